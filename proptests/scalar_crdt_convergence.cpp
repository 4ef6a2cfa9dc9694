// Convergence of the scalar CRDTs' deltas over a lossy, duplicating, reordering network,
// against their reference models (counters: the arithmetic; registers: the set of writes).
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(CounterConvergence, DeltasConvergeToTheArithmetic) {
  EXPECT_DELTA_CRDT(GCounter<>);
  EXPECT_DELTA_CRDT(PNCounter<>);
}

TEST(RegisterConvergence, DeltasConvergeToTheWritesModel) {
  EXPECT_DELTA_CRDT(LWWRegister<int>);
  EXPECT_DELTA_CRDT(Causal<SetUnion<int>>);
}

TEST(TwoPSetConvergence, DeltasConvergeToTheAddsAndRemovesModel) {
  EXPECT_DELTA_CRDT(TwoPSet<int>);
}

}  // namespace
}  // namespace calm::lattices
