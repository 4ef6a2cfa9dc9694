// The laws of Point, wherever its join is defined, at the harness's default 1,000 cases per law.
#include <gtest/gtest.h>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(PointLaws, HoldWhereverTheJoinIsDefined) { EXPECT_LATTICE(Point<int>); }

}  // namespace
}  // namespace calm::lattices
