// Pair: the product of two lattices.
#include <gtest/gtest.h>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(Pair, HasATopOnlyWhereBothSidesDo) {
  static_assert(BoundedLattice<Pair<Or, And>>);
  static_assert(!BoundedLattice<Pair<Or, SetUnion<int>>>);
  EXPECT_TRUE(is_top(Pair<Or, And>{Or{true}, And{false}}));
  EXPECT_FALSE(is_top(Pair<Or, And>{Or{true}, And{true}}));
}

}  // namespace
}  // namespace calm::lattices
