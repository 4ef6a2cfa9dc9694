// Min: the lesser value, ordered in reverse.
#include <gtest/gtest.h>

#include <compare>
#include <limits>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(Min, KeepsTheLesserValueAndOrdersInReverse) {
  Min<int> m{5};
  EXPECT_TRUE(m.merge(Min<int>{3}));
  EXPECT_EQ(reveal(m), 3);
  EXPECT_EQ(compare(Min<int>{5}, Min<int>{3}), std::partial_ordering::less);
  EXPECT_EQ(reveal(Min<int>{}), std::numeric_limits<int>::max());
}

}  // namespace
}  // namespace calm::lattices
