// The laws of Or, and of its dual And (and.hpp), at the harness's default 1,000 cases per law.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(BoolLaws, HoldForOrAndAnd) {
  EXPECT_LATTICE(Or);
  EXPECT_LATTICE(And);
}

}  // namespace
}  // namespace calm::lattices
