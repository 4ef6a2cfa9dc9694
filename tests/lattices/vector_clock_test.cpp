// Behaviour of VectorClock: happened-before, concurrency, increments and their deltas.
#include <gtest/gtest.h>

#include <compare>
#include <sstream>
#include <string>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(VectorClock, AbsentReplicasReadAsZero) {
  const VectorClock<> clock{{1, 3}};
  EXPECT_EQ(clock.get(1), 3u);
  EXPECT_EQ(clock.get(2), 0u);
  EXPECT_EQ(VectorClock<>({{1, 0}}), VectorClock<>{});
}

TEST(VectorClock, OrdersEventsByHappenedBefore) {
  VectorClock<std::string> a;
  a.increment("a");
  VectorClock<std::string> b = a;
  b.increment("b");
  EXPECT_EQ(compare(a, b), std::partial_ordering::less);     // a happened before b
  EXPECT_EQ(compare(b, a), std::partial_ordering::greater);  // b happened after a
  EXPECT_EQ(compare(a, a), std::partial_ordering::equivalent);
  VectorClock<std::string> c = a;
  c.increment("c");
  EXPECT_TRUE(concurrent(b, c));
  EXPECT_EQ(compare(b, c), std::partial_ordering::unordered);
}

TEST(VectorClock, MergeTakesEachReplicasMaximum) {
  VectorClock<> a{{1, 5}, {2, 1}};
  EXPECT_TRUE(a.merge(VectorClock<>{{2, 4}, {3, 2}}));
  EXPECT_EQ(a, (VectorClock<>{{1, 5}, {2, 4}, {3, 2}}));
  EXPECT_FALSE(a.merge(VectorClock<>{{1, 4}}));
}

TEST(VectorClock, IncrementReturnsTheOneEntryItChanged) {
  VectorClock<> clock{{1, 2}, {2, 7}};
  const VectorClock<> delta = clock.increment(1);
  EXPECT_EQ(delta, (VectorClock<>{{1, 3}}));
  EXPECT_EQ(clock, (VectorClock<>{{1, 3}, {2, 7}}));
}

TEST(VectorClock, DeltaIsWhereTheClockIsAhead) {
  const VectorClock<> a{{1, 5}, {2, 1}, {3, 9}};
  const VectorClock<> b{{1, 5}, {2, 3}, {3, 2}};
  EXPECT_EQ(delta(a, b), (VectorClock<>{{3, 9}}));
  EXPECT_EQ(atomize(a).size(), 3u);
}

TEST(VectorClock, PrintsReplicaCounters) {
  std::ostringstream os;
  os << VectorClock<>{{2, 1}, {1, 4}};
  EXPECT_EQ(os.str(), "VectorClock{1: 4, 2: 1}");
}

}  // namespace
}  // namespace calm::lattices
