// The laws of GCounter, its increment's delta, and the convergence of the counters' deltas
// (GCounter and PNCounter) to the arithmetic over a lossy, duplicating, reordering network.
#include <gtest/gtest.h>

#include <compare>
#include <cstdint>
#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(GCounterLaws, HoldForNumericAndStringReplicaIds) {
  EXPECT_LATTICE(GCounter<>);
  EXPECT_LATTICE(GCounter<std::string>);
}

TEST(GCounterLaws, IncrementIsInflationaryAndItsDeltaRebuildsTheCounter) {
  const bool held = rc::check([](const GCounter<>& start, std::uint8_t replica, std::uint8_t n) {
    GCounter<> counter = start;
    const GCounter<> delta = counter.increment(replica, n);
    RC_ASSERT(join(start, delta) == counter);
    RC_ASSERT(compare(start, counter) ==
              (n == 0 ? std::partial_ordering::equivalent : std::partial_ordering::less));
    RC_ASSERT(counter.value() == start.value() + n);
    RC_ASSERT(delta.size() <= 1u);
  });
  EXPECT_TRUE(held);
}

TEST(CounterConvergence, DeltasConvergeToTheArithmetic) {
  EXPECT_DELTA_CRDT(GCounter<>);
  EXPECT_DELTA_CRDT(PNCounter<>);
}

}  // namespace
}  // namespace calm::lattices
