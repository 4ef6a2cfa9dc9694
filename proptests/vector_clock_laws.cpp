// The laws of VectorClock, and its increment's delta.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(VectorClockLaws, HoldForNumericAndStringReplicaIds) {
  EXPECT_LATTICE(VectorClock<>);
  EXPECT_LATTICE(VectorClock<std::string>);
}

TEST(VectorClockLaws, IncrementIsInflationaryAndItsDeltaRebuildsTheClock) {
  // For any clock and replica, increment moves the clock strictly up, and merging only the
  // returned delta into the old clock gives the new one.
  const bool held = rc::check([](const VectorClock<>& start, std::uint8_t replica) {
    VectorClock<> clock = start;
    const VectorClock<> delta = clock.increment(replica);
    RC_ASSERT(compare(start, clock) == std::partial_ordering::less);
    RC_ASSERT(join(start, delta) == clock);
    RC_ASSERT(clock.get(replica) == start.get(replica) + 1);
  });
  EXPECT_TRUE(held);
}

}  // namespace
}  // namespace calm::lattices
