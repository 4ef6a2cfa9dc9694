// The laws of SetUnion: every backing, string elements, and sets large enough to use the
// recent run.
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

}  // namespace
}  // namespace calm::lattices
