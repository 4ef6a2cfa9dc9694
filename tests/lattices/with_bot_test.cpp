// WithBot: a new bottom below the inner one.
#include <gtest/gtest.h>

#include <compare>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(WithBot, AddsABottomBelowTheInnerBottom) {
  const WithBot<Max<int>> nothing;
  const WithBot<Max<int>> inner_bottom{Max<int>{}};
  EXPECT_NE(nothing, inner_bottom);
  EXPECT_TRUE(is_bot(nothing));
  EXPECT_FALSE(is_bot(inner_bottom));
  EXPECT_EQ(compare(nothing, inner_bottom), std::partial_ordering::less);
  EXPECT_EQ(join(inner_bottom, WithBot<Max<int>>{Max<int>{4}}), WithBot<Max<int>>{Max<int>{4}});
}

}  // namespace
}  // namespace calm::lattices
