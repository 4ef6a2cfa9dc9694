// The laws of WithBot over a chain and a set, at the harness's default 1,000 cases per law.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(WithBotLaws, HoldOverChainsAndSets) {
  EXPECT_LATTICE(WithBot<Max<int>>);
  EXPECT_LATTICE(WithBot<SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
