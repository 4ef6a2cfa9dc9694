// Max: the greater value, without narrowing, and never NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(Max, KeepsTheGreaterValue) {
  Max<int> m{3};
  EXPECT_TRUE(m.merge(Max<int>{5}));
  EXPECT_FALSE(m.merge(Max<int>{4}));
  EXPECT_EQ(reveal(m), 5);
}

TEST(Max, NeverNarrowsWideUnsignedValues) {
  // Anna's MaxLattice merges through int; 2^63 + 1 and 2^64 - 1 must survive exactly.
  const std::uint64_t big = (std::uint64_t{1} << 63) + 1;
  Max<std::uint64_t> m{big};
  EXPECT_TRUE(m.merge(Max<std::uint64_t>{std::numeric_limits<std::uint64_t>::max()}));
  EXPECT_EQ(reveal(m), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(is_top(m));
  EXPECT_FALSE(Max<std::uint64_t>{big}.merge(Max<std::uint64_t>{big - 1}));
}

TEST(Max, NeverNarrowsDoubles) {
  Max<double> m{0.1};
  EXPECT_TRUE(m.merge(Max<double>{0.2}));
  EXPECT_EQ(reveal(m), 0.2);
  EXPECT_FALSE(m.merge(Max<double>{0.15}));
}

TEST(Max, BottomIsTheLeastValueOfTheType) {
  EXPECT_EQ(reveal(Max<int>{}), std::numeric_limits<int>::lowest());
  EXPECT_EQ(reveal(Max<double>{}), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(reveal(Max<std::string>{}), "");
  EXPECT_TRUE(is_bot(Max<std::uint64_t>{0}));
}

TEST(Max, RejectsNaN) { EXPECT_THROW(Max<double>{std::nan("")}, std::domain_error); }

}  // namespace
}  // namespace calm::lattices
