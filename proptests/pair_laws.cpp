// The laws of Pair, over mixed components.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(PairLaws, HoldForMixedComponents) { EXPECT_LATTICE(Pair<Max<int>, SetUnion<int>>); }

}  // namespace
}  // namespace calm::lattices
