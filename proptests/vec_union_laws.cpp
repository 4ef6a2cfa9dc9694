// The laws of VecUnion, over chain and set elements.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(VecUnionLaws, HoldForChainAndSetElements) {
  EXPECT_LATTICE(VecUnion<Max<int>>);
  EXPECT_LATTICE(VecUnion<SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
