// The laws of MapUnion, over chain and set values and nested.
#include <gtest/gtest.h>

#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(MapUnionLaws, HoldForChainAndSetValues) {
  EXPECT_LATTICE(MapUnion<int, Max<int>>);
  EXPECT_LATTICE(MapUnion<std::string, SetUnion<int>>);
}

TEST(MapUnionLaws, HoldWhenNested) { EXPECT_LATTICE(MapUnion<int, MapUnion<int, Or>>); }

}  // namespace
}  // namespace calm::lattices
