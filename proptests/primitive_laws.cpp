// The laws of the primitive lattices, at the harness's default 1,000 cases per law.
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

TEST(MinLaws, HoldForSignedUnsignedAndFloatingValues) {
  EXPECT_LATTICE(Min<int>);
  EXPECT_LATTICE(Min<std::uint64_t>);
  EXPECT_LATTICE(Min<double>);
}

TEST(BoolLaws, HoldForOrAndAnd) {
  EXPECT_LATTICE(Or);
  EXPECT_LATTICE(And);
}

TEST(PointLaws, HoldWhereverTheJoinIsDefined) { EXPECT_LATTICE(Point<int>); }

TEST(ConflictLaws, HoldIncludingTop) {
  EXPECT_LATTICE(Conflict<int>);
  EXPECT_LATTICE(Conflict<std::string>);
}

TEST(WithBotLaws, HoldOverChainsAndSets) {
  EXPECT_LATTICE(WithBot<Max<int>>);
  EXPECT_LATTICE(WithBot<SetUnion<int>>);
}

TEST(WithTopLaws, HoldOverChainsAndSets) {
  EXPECT_LATTICE(WithTop<Max<int>>);
  EXPECT_LATTICE(WithTop<SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
