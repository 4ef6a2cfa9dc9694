// The laws of Max, at the harness's default 1,000 cases per law.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(MaxLaws, HoldForSignedUnsignedFloatingAndStringValues) {
  EXPECT_LATTICE(Max<int>);
  EXPECT_LATTICE(Max<std::int64_t>);
  EXPECT_LATTICE(Max<std::uint64_t>);
  EXPECT_LATTICE(Max<double>);
  EXPECT_LATTICE(Max<std::string>);
}

}  // namespace
}  // namespace calm::lattices
