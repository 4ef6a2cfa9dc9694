// The laws of RWSet, and its deltas' convergence to the remove-wins model.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(RWSetLaws, Hold) { EXPECT_LATTICE(RWSet<int>); }

TEST(RWSetConvergence, DeltasConvergeToTheRemoveWinsModel) { EXPECT_DELTA_CRDT(RWSet<int>); }

}  // namespace
}  // namespace calm::lattices
