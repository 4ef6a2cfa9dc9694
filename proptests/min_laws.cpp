// The laws of Min, at the harness's default 1,000 cases per law.
#include <gtest/gtest.h>

#include <cstdint>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(MinLaws, HoldForSignedUnsignedAndFloatingValues) {
  EXPECT_LATTICE(Min<int>);
  EXPECT_LATTICE(Min<std::uint64_t>);
  EXPECT_LATTICE(Min<double>);
}

}  // namespace
}  // namespace calm::lattices
