// NaN is refused as an element or key by SetUnion, MapUnion, Point and Conflict (and by Max:
// lattices/max_test.cpp): it is not equal to itself, so their order could not hold it.
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(Collections, RejectNaNElementsAndKeys) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(SetUnion<double>({1.0, nan}), std::domain_error);
  SetUnion<double> s;
  EXPECT_THROW(s.insert(nan), std::domain_error);
  MapUnion<double, Max<int>> m;
  EXPECT_THROW(m.merge_at(nan, Max<int>{1}), std::domain_error);
  EXPECT_THROW(Point<double>{nan}, std::domain_error);
  EXPECT_THROW(Conflict<double>{nan}, std::domain_error);
}

}  // namespace
}  // namespace calm::lattices
