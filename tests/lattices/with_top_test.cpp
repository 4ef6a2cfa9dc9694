// WithTop: a new, sticky top above the inner lattice.
#include <gtest/gtest.h>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(WithTop, TopIsStickyAndForgetsTheInnerValue) {
  WithTop<SetUnion<int>> w{SetUnion<int>{1, 2}};
  EXPECT_TRUE(w.merge(WithTop<SetUnion<int>>::top()));
  EXPECT_TRUE(is_top(w));
  EXPECT_TRUE(reveal(w).empty());
  EXPECT_FALSE(w.merge(WithTop<SetUnion<int>>{SetUnion<int>{3}}));
  EXPECT_EQ(w, WithTop<SetUnion<int>>::top());
}

}  // namespace
}  // namespace calm::lattices
