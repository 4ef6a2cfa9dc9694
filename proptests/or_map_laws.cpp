// The laws of ORMap with each kind of value (dot-based CRDT, register, plain lattice, nested
// map), and its convergence under a faulty network against tagged-history reference models.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(ORMapLaws, HoldWithSetsLatticesAndNestedMapsAsValues) {
  EXPECT_LATTICE(ORMap<int, AWSet<int>>);
  EXPECT_LATTICE(ORMap<int, Max<int>>);
  EXPECT_LATTICE(ORMap<int, ORMap<int, EWFlag<>>>);
  EXPECT_LATTICE(ORMap<int, PNCounter<>>);
  EXPECT_LATTICE(ORMap<int, MVRegister<int>>);
}

TEST(ORMapConvergence, DeltasConvergeToTheModelWithSetValues) {
  EXPECT_DELTA_CRDT(ORMap<int, AWSet<int>>);
}
TEST(ORMapConvergence, DeltasConvergeToTheModelWithLatticeValues) {
  EXPECT_DELTA_CRDT(ORMap<int, Max<int>>);
}
TEST(ORMapConvergence, DeltasConvergeToTheModelWithRegisterValues) {
  // calm-kvs's hashes: concurrent writes of a field all stay until a write that saw them.
  EXPECT_DELTA_CRDT(ORMap<int, MVRegister<int>>);
}
TEST(ORMapConvergence, DeltasConvergeToTheModelWithNestedMaps) {
  EXPECT_DELTA_CRDT(ORMap<int, ORMap<int, EWFlag<>>>);
}

}  // namespace
}  // namespace calm::lattices

namespace calm::lattices {
namespace {

TEST(ORMapConvergence, DeltasConvergeToTheModelWithCounterValues) {
  // A remove takes away exactly the increments it saw: removed at 10 with a concurrent +1, 1.
  EXPECT_DELTA_CRDT(ORMap<int, PNCounter<>>);
}

}  // namespace
}  // namespace calm::lattices
