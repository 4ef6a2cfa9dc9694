// The laws of WithTop over a chain and a set, at the harness's default 1,000 cases per law.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(WithTopLaws, HoldOverChainsAndSets) {
  EXPECT_LATTICE(WithTop<Max<int>>);
  EXPECT_LATTICE(WithTop<SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
