// The laws of AWSet, and its deltas' convergence under a faulty network to the observed-remove
// model (check_delta_crdt against a tagged-history reference).
#include <gtest/gtest.h>

#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(AWSetLaws, HoldForNumericAndStringElementsAndIds) {
  EXPECT_LATTICE(AWSet<int>);
  EXPECT_LATTICE(AWSet<std::string, std::string>);
}

TEST(AWSetConvergence, DeltasConvergeToTheObservedRemoveModel) {
  EXPECT_DELTA_CRDT(AWSet<int>);
  EXPECT_DELTA_CRDT(AWSet<std::string, std::string>);
}

}  // namespace
}  // namespace calm::lattices
