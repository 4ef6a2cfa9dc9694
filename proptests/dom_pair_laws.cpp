// The laws of DomPair, over a chain key and over keys that can be concurrent.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(DomPairLaws, HoldWithAChainKey) { EXPECT_LATTICE(DomPair<Max<int>, SetUnion<int>>); }

TEST(DomPairLaws, HoldWithKeysThatCanBeConcurrent) {
  EXPECT_LATTICE(DomPair<SetUnion<int>, Max<int>>);
  EXPECT_LATTICE(DomPair<Pair<Max<int>, Max<int>>, SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
