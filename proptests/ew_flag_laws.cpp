// The laws of EWFlag and of its dual DWFlag (dw_flag.hpp), and their deltas' convergence to
// their models.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(FlagLaws, HoldForBothFlags) {
  EXPECT_LATTICE(EWFlag<>);
  EXPECT_LATTICE(DWFlag<>);
}

TEST(FlagConvergence, DeltasConvergeToTheirModels) {
  EXPECT_DELTA_CRDT(EWFlag<>);
  EXPECT_DELTA_CRDT(DWFlag<>);
}

}  // namespace
}  // namespace calm::lattices
