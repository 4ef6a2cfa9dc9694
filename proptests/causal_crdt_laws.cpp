// The laws of the dot-based sets, flags and registers, and their convergence under a faulty
// network (check_delta_crdt against tagged-history reference models).
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

TEST(RWSetLaws, Hold) { EXPECT_LATTICE(RWSet<int>); }
TEST(RWSetConvergence, DeltasConvergeToTheRemoveWinsModel) { EXPECT_DELTA_CRDT(RWSet<int>); }

TEST(FlagLaws, HoldForBothFlags) {
  EXPECT_LATTICE(EWFlag<>);
  EXPECT_LATTICE(DWFlag<>);
}
TEST(FlagConvergence, DeltasConvergeToTheirModels) {
  EXPECT_DELTA_CRDT(EWFlag<>);
  EXPECT_DELTA_CRDT(DWFlag<>);
}

TEST(MVRegisterLaws, Hold) { EXPECT_LATTICE(MVRegister<int>); }
TEST(MVRegisterConvergence, DeltasConvergeToTheCausalHistoryModel) {
  EXPECT_DELTA_CRDT(MVRegister<int>);
}

}  // namespace
}  // namespace calm::lattices
