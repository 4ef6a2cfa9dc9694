// The laws of the counters, the last-writer-wins register and the hybrid logical clock.
#include <gtest/gtest.h>

#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

bool at_most(std::partial_ordering o) { return o < 0 || o == 0; }

TEST(GCounterLaws, HoldForNumericAndStringReplicaIds) {
  EXPECT_LATTICE(GCounter<>);
  EXPECT_LATTICE(GCounter<std::string>);
}

TEST(PNCounterLaws, Hold) { EXPECT_LATTICE(PNCounter<>); }

TEST(LWWRegisterLaws, HoldForNumericAndStringValuesAndIds) {
  EXPECT_LATTICE(LWWRegister<int>);
  EXPECT_LATTICE(LWWRegister<std::string, std::string>);
}

TEST(HlcTimestampLaws, MaxOfATimestampIsALattice) { EXPECT_LATTICE(Max<HlcTimestamp>); }

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

TEST(PNCounterLaws, IncrementAndDecrementAreInflationaryAndTheirDeltasRebuildTheCounter) {
  const bool held =
      rc::check([](const PNCounter<>& start, bool down, std::uint8_t replica, std::uint8_t n) {
        PNCounter<> counter = start;
        const PNCounter<> delta =
            down ? counter.decrement(replica, n) : counter.increment(replica, n);
        RC_ASSERT(join(start, delta) == counter);
        RC_ASSERT(at_most(compare(start, counter)));
        RC_ASSERT(at_most(compare(delta, counter)));
        RC_ASSERT(counter.value() == start.value() + (down ? -1 : 1) * std::int64_t{n});
      });
  EXPECT_TRUE(held);
}

TEST(LWWRegisterLaws, WriteIsInflationaryAndItsDeltaRebuildsTheRegister) {
  const bool held = rc::check([](const LWWRegister<int>& start, std::uint8_t replica, int value,
                                 const HlcTimestamp& timestamp) {
    LWWRegister<int> reg = start;
    const LWWRegister<int> delta = reg.write(replica, value, timestamp);
    RC_ASSERT(join(start, delta) == reg);
    RC_ASSERT(at_most(compare(start, reg)));
    RC_ASSERT(delta.value() == std::optional<int>(value));  // returned even when it loses
    RC_ASSERT(reg == join(start, delta));
  });
  EXPECT_TRUE(held);
}

TEST(LWWRegisterLaws, MergeIsCommutativeForWritesWithEqualTimestamps) {
  // Same timestamp, replicas and values from tiny ranges: ties on the replica too.
  const bool held = rc::check([](const HlcTimestamp& timestamp) {
    const auto id_a = *rc::gen::inRange<std::uint64_t>(0, 2);
    const auto id_b = *rc::gen::inRange<std::uint64_t>(0, 2);
    const auto value_a = *rc::gen::inRange(0, 3);
    const auto value_b = *rc::gen::inRange(0, 3);
    LWWRegister<int> a;
    a.write(id_a, value_a, timestamp);
    LWWRegister<int> b;
    b.write(id_b, value_b, timestamp);
    RC_ASSERT(join(a, b) == join(b, a));
    const auto winner = std::max(std::pair{id_a, value_a}, std::pair{id_b, value_b});
    RC_ASSERT(join(a, b).writer() == std::optional(winner.first));
    RC_ASSERT(join(a, b).value() == std::optional(winner.second));
  });
  EXPECT_TRUE(held);
}

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
