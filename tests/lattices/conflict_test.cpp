// Conflict: disagreement becomes top.
#include <gtest/gtest.h>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(Conflict, DisagreementBecomesTopAndStaysThere) {
  Conflict<int> c{1};
  EXPECT_FALSE(c.merge(Conflict<int>{1}));
  EXPECT_TRUE(c.merge(Conflict<int>{2}));
  EXPECT_TRUE(is_top(c));
  EXPECT_FALSE(reveal(c).has_value());
  EXPECT_FALSE(c.merge(Conflict<int>{3}));
  EXPECT_EQ(c, Conflict<int>::top());
}

}  // namespace
}  // namespace calm::lattices
