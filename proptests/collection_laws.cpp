// The laws of the collection lattices: every SetUnion backing, MapUnion, VecUnion, and their
// nesting.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(SetUnionLaws, HoldForEveryBacking) {
  EXPECT_LATTICE(SetUnion<int>);
  EXPECT_LATTICE(SetUnion<int, backing::Hash>);
  EXPECT_LATTICE(SetUnion<int, backing::Tree>);
}

TEST(SetUnionLaws, HoldForStringElements) { EXPECT_LATTICE(SetUnion<std::string>); }

TEST(SetUnionLaws, HoldForSetsLargeEnoughToUseTheRecentRun) {
  // Sizes up to 400 elements push merges through both the small-delta path and the flush of
  // the recent run into the base run.
  EXPECT_LATTICE_WITH((testing::Options{.cases = 300, .max_size = 400}), SetUnion<std::uint64_t>);
}

TEST(MapUnionLaws, HoldForChainAndSetValues) {
  EXPECT_LATTICE(MapUnion<int, Max<int>>);
  EXPECT_LATTICE(MapUnion<std::string, SetUnion<int>>);
}

TEST(MapUnionLaws, HoldWhenNested) { EXPECT_LATTICE(MapUnion<int, MapUnion<int, Or>>); }

TEST(VecUnionLaws, HoldForChainAndSetElements) {
  EXPECT_LATTICE(VecUnion<Max<int>>);
  EXPECT_LATTICE(VecUnion<SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
