// PNCounter: the counter that goes both ways, its deltas and its int64 reading.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "lattices/lattices.hpp"
#include "support/limits.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

TEST(PNCounter, GoesBelowZeroAndConvergesUnderReorderedDeltas) {
  PNCounter<> a, b;
  const auto d1 = a.increment(1, 2);
  const auto d2 = b.decrement(2, 5);
  const auto d3 = a.decrement(1);
  b.merge(d3);
  b.merge(d1);
  b.merge(d3);
  a.merge(d2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.value(), -4);
}

TEST(PNCounter, ADeltaHoldsOnlyTheHalfItChanged) {
  PNCounter<> counter;
  counter.increment(1, 4);
  const PNCounter<> delta = counter.decrement(1, 3);
  EXPECT_TRUE(is_bot(delta.increments()));
  EXPECT_EQ(delta.decrements().get(1), 3u);
  EXPECT_EQ(atomize(counter).size(), 2u);  // one per replica per half
  EXPECT_EQ(printed(counter), "PNCounter{+GCounter{1: 4}, -GCounter{1: 3}}");
}

TEST(PNCounter, TheLeastInt64IsReachableAndValueThrowsOneBelowIt) {
  constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  PNCounter<> counter;
  counter.decrement(1, int64_max + 1);
  EXPECT_EQ(counter.value(), std::numeric_limits<std::int64_t>::min());
  counter.decrement(1);  // the replica's total still fits: only the reading is out of range
  EXPECT_THROW((void)counter.value(), std::overflow_error);
  counter.increment(2, kU64Max);
  EXPECT_EQ(counter.value(), std::numeric_limits<std::int64_t>::max() - 1);
}

}  // namespace
}  // namespace calm::lattices
