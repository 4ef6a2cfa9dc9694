// The laws of MVRegister, and its deltas' convergence to the causal-history model.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(MVRegisterLaws, Hold) { EXPECT_LATTICE(MVRegister<int>); }

TEST(MVRegisterConvergence, DeltasConvergeToTheCausalHistoryModel) {
  EXPECT_DELTA_CRDT(MVRegister<int>);
}

}  // namespace
}  // namespace calm::lattices
