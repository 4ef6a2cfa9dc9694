// The laws of HlcTimestamp under Max, and the hybrid logical clock's promise: every timestamp
// exceeds all it returned or received before, whatever the wall clock does.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(HlcTimestampLaws, MaxOfATimestampIsALattice) { EXPECT_LATTICE(Max<HlcTimestamp>); }

TEST(HybridClockLaws, EveryTimestampExceedsAllReturnedOrReceivedBeforeWhateverTheWallClockDoes) {
  // A wall clock that jumps forwards and backwards, and received timestamps from anywhere,
  // including logical counters at their maximum.
  const bool held = rc::check([](const HlcTimestamp& start) {
    const auto events =
        *rc::gen::container<std::vector<std::tuple<bool, std::uint64_t, HlcTimestamp>>>(
            rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange<std::uint64_t>(0, 8),
                           rc::gen::arbitrary<HlcTimestamp>()));
    RC_PRE(start.wall_ms < std::numeric_limits<std::uint64_t>::max() - 1);
    HybridClock clock(start);
    HlcTimestamp highest = start;
    for (const auto& [receive, wall_ms, received] : events) {
      if (receive && received.wall_ms >= std::numeric_limits<std::uint64_t>::max() - 1) continue;
      const HlcTimestamp t = receive ? clock.update(received, wall_ms) : clock.now(wall_ms);
      RC_ASSERT(t > highest);
      if (receive) RC_ASSERT(t > received);
      RC_ASSERT(t.wall_ms >= wall_ms);  // never behind the physical time it was given
      RC_ASSERT(clock.last() == t);
      highest = std::max(t, receive ? std::max(received, highest) : highest);
    }
  });
  EXPECT_TRUE(held);
}

}  // namespace
}  // namespace calm::lattices
