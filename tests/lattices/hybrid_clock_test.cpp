// HybridClock and HlcTimestamp: the hybrid logical clock follows the wall clock, counts
// logically when it stalls, moves past received timestamps, and never wraps.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>

#include "lattices/lattices.hpp"
#include "support/limits.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

TEST(HybridClock, FollowsTheWallClockWhenItIsAhead) {
  HybridClock clock;
  EXPECT_EQ(clock.now(100), (HlcTimestamp{100, 0}));
  EXPECT_EQ(clock.now(250), (HlcTimestamp{250, 0}));
  EXPECT_EQ(clock.last(), (HlcTimestamp{250, 0}));
}

TEST(HybridClock, CountsLogicallyWhenTheWallClockStallsOrGoesBackwards) {
  HybridClock clock;
  clock.now(100);
  EXPECT_EQ(clock.now(100), (HlcTimestamp{100, 1}));
  EXPECT_EQ(clock.now(40), (HlcTimestamp{100, 2}));  // the wall clock went backwards
  EXPECT_EQ(clock.now(101), (HlcTimestamp{101, 0}));
}

TEST(HybridClock, UpdateMovesPastAReceivedTimestampFromTheFuture) {
  HybridClock clock;
  clock.now(100);
  EXPECT_EQ(clock.update(HlcTimestamp{500, 7}, 100), (HlcTimestamp{500, 8}));
  EXPECT_EQ(clock.now(120), (HlcTimestamp{500, 9}));
  // A received timestamp in the past only advances the logical counter.
  EXPECT_EQ(clock.update(HlcTimestamp{10, 3}, 130), (HlcTimestamp{500, 10}));
  // Equal wall times: one more than the larger logical counter.
  EXPECT_EQ(clock.update(HlcTimestamp{500, 42}, 0), (HlcTimestamp{500, 43}));
  // A wall clock ahead of both wins.
  EXPECT_EQ(clock.update(HlcTimestamp{600, 9}, 700), (HlcTimestamp{700, 0}));
}

TEST(HybridClock, CarriesALogicalOverflowIntoTheWallTimeInsteadOfWrapping) {
  HybridClock clock(HlcTimestamp{5, kU32Max});
  EXPECT_EQ(clock.now(3), (HlcTimestamp{6, 0}));
  EXPECT_EQ(clock.update(HlcTimestamp{9, kU32Max}, 0), (HlcTimestamp{10, 0}));
}

TEST(HybridClock, ThrowsAtTheLastTimestampAndStaysThere) {
  HybridClock clock(HlcTimestamp{kU64Max, kU32Max});
  EXPECT_THROW(clock.now(0), std::overflow_error);
  EXPECT_THROW(HybridClock{}.update(HlcTimestamp{kU64Max, kU32Max}, 0), std::overflow_error);
  EXPECT_EQ(clock.last(), (HlcTimestamp{kU64Max, kU32Max}));
}

TEST(HybridClock, NowWithoutAnArgumentReadsTheSystemClockInMilliseconds) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  HybridClock clock;
  const HlcTimestamp t = clock.now();
  EXPECT_GE(t.wall_ms, static_cast<std::uint64_t>(before));
  EXPECT_LT(t.wall_ms, static_cast<std::uint64_t>(before) + 60'000);
  EXPECT_GT(clock.update(t), t);
}

TEST(HlcTimestamp, OrdersByWallTimeThenLogicalAndPrintsBoth) {
  EXPECT_LT((HlcTimestamp{1, 9}), (HlcTimestamp{2, 0}));
  EXPECT_LT((HlcTimestamp{2, 0}), (HlcTimestamp{2, 1}));
  EXPECT_EQ(printed(HlcTimestamp{12, 3}), "Hlc(12.3)");
}

}  // namespace
}  // namespace calm::lattices
