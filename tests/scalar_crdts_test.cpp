// Behaviour of the hybrid logical clock, the counters, the LWW register, the two-phase set and
// Causal: concurrent cases, deltas, overflow.
#include <gtest/gtest.h>

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();

template <class T>
std::string printed(const T& value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

// ---- hybrid logical clock -------------------------------------------------------------------

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

// ---- counters -------------------------------------------------------------------------------

TEST(GCounter, CountersConvergeUnderDuplicatedDeltas) {
  GCounter<std::string> a, b, c;
  const auto d1 = a.increment("a", 3);
  const auto d2 = b.increment("b");
  const auto d3 = a.increment("a", 2);
  const auto d4 = c.increment("c", 10);
  // Every replica gets every delta, in its own order, some twice, one stale after a newer one.
  for (const auto* d : {&d2, &d4, &d1, &d4, &d3}) a.merge(*d);
  for (const auto* d : {&d3, &d1, &d4, &d1, &d2}) b.merge(*d);
  for (const auto* d : {&d1, &d2, &d3, &d2, &d4}) c.merge(*d);
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(a.value(), 16u);
}

TEST(GCounter, IncrementReturnsOnlyTheReplicasNewTotal) {
  GCounter<> counter;
  counter.increment(1, 5);
  counter.increment(2, 7);
  const GCounter<> delta = counter.increment(1, 2);
  EXPECT_EQ(delta.size(), 1u);
  EXPECT_EQ(delta.get(1), 7u);
  EXPECT_EQ(counter.get(1), 7u);
  EXPECT_EQ(counter.value(), 14u);
  EXPECT_TRUE(is_bot(counter.increment(3, 0)));
  EXPECT_EQ(atomize(counter).size(), 2u);
  EXPECT_EQ(printed(counter), "GCounter{1: 7, 2: 7}");
}

// Past UINT64_MAX and int64's range: tests/counter_limits_test.cpp.

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

// ---- LWW register ---------------------------------------------------------------------------

TEST(LWWRegister, BottomIsNeverWritten) {
  const LWWRegister<std::string> reg;
  EXPECT_EQ(reg.value(), std::nullopt);
  EXPECT_EQ(reg.writer(), std::nullopt);
  EXPECT_EQ(reg.timestamp(), HlcTimestamp{});
  EXPECT_EQ(printed(reg), "LWWRegister{}");
}

TEST(LWWRegister, TheLaterTimestampWinsWhateverTheArrivalOrder) {
  LWWRegister<std::string> a, b;
  const auto early = a.write(1, "early", HlcTimestamp{10, 0});
  const auto late = b.write(2, "late", HlcTimestamp{10, 1});
  a.merge(late);
  b.merge(early);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.value(), "late");
  EXPECT_EQ(a.writer(), 2u);
  EXPECT_EQ(printed(a), "LWWRegister{late @ Hlc(10.1) by 2}");
}

TEST(LWWRegister, LwwTieOnTimestampIsBrokenByReplicaThenValue) {
  const HlcTimestamp t{7, 0};
  LWWRegister<std::string> by_replica_1, by_replica_2;
  by_replica_1.write(1, "zzz", t);
  by_replica_2.write(2, "aaa", t);
  EXPECT_EQ(join(by_replica_1, by_replica_2).value(), "aaa");  // replica 2 > replica 1
  EXPECT_EQ(join(by_replica_2, by_replica_1), join(by_replica_1, by_replica_2));

  LWWRegister<std::string> x, y;  // same timestamp and replica: the greater value wins
  x.write(1, "apple", t);
  y.write(1, "pear", t);
  EXPECT_EQ(join(x, y).value(), "pear");
  EXPECT_EQ(join(y, x), join(x, y));
}

TEST(LWWRegister, ALosingWriteIsReturnedButChangesNothing) {
  LWWRegister<int> reg;
  reg.write(1, 5, HlcTimestamp{20, 0});
  const LWWRegister<int> before = reg;
  const LWWRegister<int> delta = reg.write(2, 9, HlcTimestamp{10, 0});
  EXPECT_EQ(delta.value(), 9);
  EXPECT_EQ(reg, before);
  LWWRegister<int> elsewhere = before;
  EXPECT_FALSE(elsewhere.merge(delta));
  EXPECT_TRUE(is_bot(::calm::lattices::delta(delta, reg)));
}

TEST(LWWRegister, WithHybridClocksACausallyLaterWriteWinsDespiteASlowWallClock) {
  HybridClock fast, slow;
  LWWRegister<std::string> a, b;
  const auto first = a.write(1, "first", fast.now(1000));
  b.merge(first);
  slow.update(first.timestamp(), 200);  // b's wall clock is 800 ms behind
  b.write(2, "second", slow.now(210));
  a.merge(b);
  EXPECT_EQ(a.value(), "second");
}

// ---- two-phase set --------------------------------------------------------------------------

TEST(TwoPSet, TwoPSetNeverReaddsARemovedElement) {
  TwoPSet<int> set;
  set.add(1);
  set.remove(1);
  const TwoPSet<int> delta = set.add(1);
  EXPECT_FALSE(set.contains(1));
  EXPECT_FALSE(delta.tombstones().contains(1));  // the add is returned, and absorbed
  TwoPSet<int> elsewhere;
  elsewhere.merge(delta);
  EXPECT_TRUE(elsewhere.contains(1));
  elsewhere.merge(set);
  EXPECT_FALSE(elsewhere.contains(1));
}

TEST(TwoPSet, RemovingANeverAddedElementTombstonesItPreemptively) {
  TwoPSet<std::string> a, b;
  a.remove("x");  // allowed: no lookup precondition
  const auto add = b.add("x");
  EXPECT_TRUE(b.contains("x"));
  a.merge(add);
  b.merge(a);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.contains("x"));
  EXPECT_TRUE(a.removed("x"));
}

TEST(TwoPSet, ConcurrentAddAndRemoveConvergeToRemovedInEitherOrder) {
  TwoPSet<int> base;
  base.add(3);
  TwoPSet<int> a = base, b = base;
  const auto re_add = a.add(3);
  const auto remove = b.remove(3);
  a.merge(remove);
  b.merge(re_add);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 0u);
}

TEST(TwoPSet, StoresARemovedElementOnlyAsItsTombstoneAndListsElementsInOrder) {
  TwoPSet<int> set;
  for (int x : {5, 1, 3}) set.add(x);
  set.remove(3);
  EXPECT_EQ(set.elements(), (std::vector<int>{1, 5}));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.added(), (SetUnion<int>{1, 5}));
  EXPECT_EQ(set.tombstones(), (SetUnion<int>{3}));
  EXPECT_EQ(atomize(set).size(), 3u);
  EXPECT_EQ(printed(set), "TwoPSet{added: SetUnion{1, 5}, removed: SetUnion{3}}");
}

TEST(TwoPSet, DeltaCarriesNothingTheOtherHasOrRemoved) {
  TwoPSet<int> a, b;
  for (int x : {1, 2, 3}) a.add(x);
  a.remove(4);
  b.add(1);
  b.remove(2);
  TwoPSet<int> expected;
  expected.add(3);
  expected.remove(4);
  EXPECT_EQ(delta(a, b), expected);
  EXPECT_EQ(compare(b, join(a, b)), std::partial_ordering::less);
}

// ---- Causal ---------------------------------------------------------------------------------

TEST(Causal, CausalKeepsConcurrentWritesAndALaterWriteReplacesThem) {
  Causal<SetUnion<std::string>> a, b;
  const auto from_a = a.write(1, {"a"});
  const auto from_b = b.write(2, {"b"});
  a.merge(from_b);
  b.merge(from_a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.values(), (std::vector<SetUnion<std::string>>{{"a"}, {"b"}}));
  EXPECT_EQ(a.clock(), (VectorClock<>{{1, 1}, {2, 1}}));

  const auto later = a.write(1, {"c"});  // saw both
  EXPECT_EQ(later.versions().front().first, (VectorClock<>{{1, 2}, {2, 1}}));
  b.merge(later);
  EXPECT_EQ(b.values(), (std::vector<SetUnion<std::string>>{{"c"}}));
  EXPECT_EQ(a, b);
}

TEST(Causal, AWriteThatSawOnlyOneVersionReplacesOnlyThatOne) {
  Causal<SetUnion<int>> a, b, c;
  const auto va = a.write(1, {1});
  const auto vb = b.write(2, {2});
  c.merge(va);
  const auto vc = c.write(3, {3});  // saw va, not vb
  a.merge(vb);
  a.merge(vc);
  // In clock order: {1: 1, 3: 1} sorts before {2: 1}.
  EXPECT_EQ(a.values(), (std::vector<SetUnion<int>>{{3}, {2}}));
  // Anna's CausalLattice would have merged va and vb into one version that vc cannot replace.
}

TEST(Causal, VersionsWithEqualClocksJoinTheirValues) {
  Causal<SetUnion<int>> a, b;  // two states that (wrongly) share replica id 1
  a.write(1, {1});
  b.write(1, {2});
  EXPECT_TRUE(a.merge(b));
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.values().front(), (SetUnion<int>{1, 2}));
  EXPECT_EQ(join(b, a), a);
}

TEST(Causal, DeltaHoldsOnlyTheVersionsTheOtherDoesNotSupersede) {
  Causal<SetUnion<int>> old, ahead;
  old.write(1, {1});
  ahead = old;
  ahead.write(2, {2});
  EXPECT_TRUE(is_bot(delta(old, ahead)));
  EXPECT_EQ(delta(ahead, old), ahead);
  EXPECT_EQ(compare(old, ahead), std::partial_ordering::less);
  EXPECT_EQ(printed(old), "Causal{VectorClock{1: 1}: SetUnion{1}}");
}

}  // namespace
}  // namespace calm::lattices
