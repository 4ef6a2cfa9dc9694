// Counters and dot counters at the top of their range (issue 12, findings 1 and 2): what a
// replica reads and does when legal increments at several replicas sum past int64 or uint64,
// and when a peer's context or clock claims a replica's counters up to 2^64 - 1.
#include <gtest/gtest.h>

#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"
#include "support/limits.hpp"

namespace calm::lattices {
namespace {

constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();

// ---- wide readings --------------------------------------------------------------------------

TEST(WideInt, ToStringGivesTheDecimalDigitsOfEvery128BitValue) {
  EXPECT_EQ(to_string(uint128{0}), "0");
  EXPECT_EQ(to_string(int128{-1}), "-1");
  EXPECT_EQ(to_string(static_cast<uint128>(kU64Max) + 1), "18446744073709551616");
  EXPECT_EQ(to_string(~uint128{0}), "340282366920938463463374607431768211455");
  const int128 least = -static_cast<int128>(~uint128{0} >> 1) - 1;
  EXPECT_EQ(to_string(least), "-170141183460469231731687303715884105728");
  EXPECT_EQ(to_string(static_cast<int128>(kI64Min) - 1), "-9223372036854775809");
}

TEST(GCounter, TotalsSummingPastUint64AreReadExactlyByWideValueAndValueThrows) {
  GCounter<> a, b;
  a.increment(1, kU64Max);
  b.increment(2, kU64Max);
  a.merge(b);
  EXPECT_EQ(a.wide_value(), 2 * static_cast<uint128>(kU64Max));
  EXPECT_THROW((void)a.value(), std::overflow_error);
  // Every replica still counts: only its own total is bounded.
  a.increment(3, 5);
  EXPECT_EQ(a.wide_value(), 2 * static_cast<uint128>(kU64Max) + 5);
}

TEST(GCounter, AReplicasTotalPastUint64ThrowsAndChangesNothing) {
  GCounter<> counter;
  counter.increment(1, kU64Max - 1);
  const GCounter<> before = counter;
  EXPECT_THROW(counter.increment(1, 2), std::overflow_error);
  EXPECT_EQ(counter, before);
  counter.increment(1, 1);
  EXPECT_EQ(counter.get(1), kU64Max);
  EXPECT_THROW(counter.increment(1), std::overflow_error);
  EXPECT_EQ(counter.value(), kU64Max);
}

TEST(PNCounter, ConcurrentIncrementsPastInt64AreReadExactlyByWideValueAndValueThrows) {
  // INCRBY k 9223372036854775807 at one replica, INCRBY k 1 at another: both legal.
  PNCounter<> a, b;
  a.increment(1, static_cast<std::uint64_t>(kI64Max));
  b.increment(2, 1);
  a.merge(b);
  b.merge(a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.wide_value(), static_cast<int128>(kI64Max) + 1);
  EXPECT_EQ(to_string(a.wide_value()), "9223372036854775808");
  EXPECT_THROW((void)a.value(), std::overflow_error);
  // And below: the least int64 and one past it.
  PNCounter<> c, d;
  c.decrement(1, static_cast<std::uint64_t>(kI64Max) + 1);
  EXPECT_EQ(c.value(), kI64Min);
  d.decrement(2, 1);
  c.merge(d);
  EXPECT_EQ(c.wide_value(), static_cast<int128>(kI64Min) - 1);
  EXPECT_THROW((void)c.value(), std::overflow_error);
}

TEST(PNCounter, ValueIsExactAtBothEndsOfEveryTotal) {
  PNCounter<> counter;
  counter.increment(1, kU64Max);
  counter.increment(2, kU64Max);
  EXPECT_EQ(counter.wide_value(), 2 * static_cast<int128>(kU64Max));
  counter.decrement(1, kU64Max);
  counter.decrement(2, kU64Max);
  counter.decrement(3, kU64Max);
  EXPECT_EQ(counter.wide_value(), -static_cast<int128>(kU64Max));
}

TEST(PNCounter, ACounterResetBySubtractionKeepsCountingPastInt64Totals) {
  // calm-kvs's ResettableCounter: SET takes away the total it saw; INCR goes on. The halves
  // grow past INT64_MAX while the value read stays small, and no increment may fail for it.
  PNCounter<> total, removed;
  total.increment(1, static_cast<std::uint64_t>(kI64Max));
  removed.merge(total);  // SET k 0
  total.increment(1, 5);
  EXPECT_EQ(total.wide_value() - removed.wide_value(), 5);
  total.decrement(1, 2);
  EXPECT_EQ(total.wide_value() - removed.wide_value(), 3);
}

TEST(PNCounter, AReplicasTotalPastUint64ThrowsAndChangesNothingInEitherHalf) {
  PNCounter<> counter;
  counter.increment(1, kU64Max);
  counter.decrement(1, kU64Max);
  const PNCounter<> before = counter;
  EXPECT_THROW(counter.increment(1), std::overflow_error);
  EXPECT_THROW(counter.decrement(1), std::overflow_error);
  EXPECT_EQ(counter, before);
  EXPECT_EQ(counter.value(), 0);
  counter.increment(2);  // another replica counts on
  EXPECT_EQ(counter.value(), 1);
}

TEST(ORMap, ACounterWhoseTotalsSumPastUint64StillTakesUpdates) {
  using Map = ORMap<std::string, PNCounter<>>;
  Map a, b;
  a.update(1, "k", [](PNCounter<>& c) { return c.increment(1, kU64Max); });
  b.update(2, "k", [](PNCounter<>& c) { return c.increment(2, kU64Max); });
  a.merge(b);
  a.update(3, "k", [](PNCounter<>& c) { return c.decrement(3, 1); });
  EXPECT_EQ(a.get("k").wide_value(), 2 * static_cast<int128>(kU64Max) - 1);
}

// ---- dot counters at the top ----------------------------------------------------------------

/// A context that saw every dot of replica 1, as a peer's 17-byte range can claim.
DotContext<> exhausted_context() {
  DotContext<> context;
  context.insert_range(1, 1, kU64Max);
  return context;
}

template <class Crdt, class Mutate>
void expect_overflow_and_unchanged(const Crdt& start, Mutate mutate, const char* what) {
  Crdt value = start;
  const std::string bytes = to_bytes(value);
  EXPECT_THROW(mutate(value), std::overflow_error) << what;
  EXPECT_TRUE(value == start) << what;
  EXPECT_EQ(to_bytes(value), bytes) << what;
}

TEST(DotExhaustion, EveryMutatorThatMakesADotThrowsAndLeavesTheValueUnchanged) {
  const DotContext<> full = exhausted_context();
  EXPECT_THROW((void)full.next(1), std::overflow_error);
  EXPECT_EQ(full.next(2), (Dot<>{2, 1}));

  AWSet<std::string> set(Dotted<DotMap<std::string, DotSet<>>>({}, full));
  set.add(2, "x");
  expect_overflow_and_unchanged(
      set, [](auto& s) { s.add(1, "y"); }, "AWSet::add");
  expect_overflow_and_unchanged(
      set, [](auto& s) { s.add(1, "x"); }, "AWSet::add (present)");

  MVRegister<std::string> reg(Dotted<DotFun<std::string>>({}, full));
  reg.write(2, "v");
  expect_overflow_and_unchanged(
      reg, [](auto& r) { r.write(1, "w"); }, "MVRegister::write");

  EWFlag<> ew(Dotted<DotSet<>>({}, full));
  expect_overflow_and_unchanged(
      ew, [](auto& f) { f.enable(1); }, "EWFlag::enable");
  DWFlag<> dw(Dotted<DotSet<>>({}, full));
  expect_overflow_and_unchanged(
      dw, [](auto& f) { f.disable(1); }, "DWFlag::disable");

  using Tags = DotMap<bool, DotSet<>>;
  RWSet<std::string> rw(Dotted<DotMap<std::string, Tags>>({}, full));
  expect_overflow_and_unchanged(
      rw, [](auto& s) { s.add(1, "x"); }, "RWSet::add");
  expect_overflow_and_unchanged(
      rw, [](auto& s) { s.remove(1, "x"); }, "RWSet::remove");

  // ORMap, one of each kind of value: nested dot-based CRDTs, a plain lattice, a counter.
  ORMap<std::string, MVRegister<std::string>> hash;
  hash.merge(ORMap<std::string, MVRegister<std::string>>(
      Dotted<DotMap<std::string, DotFun<std::string>>>({}, full)));
  hash.update(2, "f", [](auto& r) { return r.write(2, "v"); });
  expect_overflow_and_unchanged(
      hash, [](auto& m) { m.update(1, "f", [](auto& r) { return r.write(1, "w"); }); },
      "ORMap<_, MVRegister>::update");
  ORMap<std::string, AWSet<std::string>> sets;
  sets.merge(ORMap<std::string, AWSet<std::string>>(
      Dotted<DotMap<std::string, DotMap<std::string, DotSet<>>>>({}, full)));
  expect_overflow_and_unchanged(
      sets, [](auto& m) { m.update(1, "k", [](auto& s) { return s.add(1, "x"); }); },
      "ORMap<_, AWSet>::update");
  ORMap<std::string, LWWRegister<std::string>> lww;
  lww.merge(ORMap<std::string, LWWRegister<std::string>>(
      Dotted<DotMap<std::string, DotFun<LWWRegister<std::string>>>>({}, full)));
  expect_overflow_and_unchanged(
      lww,
      [](auto& m) {
        m.update(1, "k", [](auto& r) { return r.write(1, "v", HlcTimestamp{1, 0}); });
      },
      "ORMap<_, LWWRegister>::update");
  ORMap<std::string, PNCounter<>> counters;
  counters.merge(ORMap<std::string, PNCounter<>>(
      Dotted<DotMap<std::string, DotFun<detail::CounterUpdate>>>({}, full)));
  expect_overflow_and_unchanged(
      counters, [](auto& m) { m.update(1, "k", [](auto& c) { return c.increment(1); }); },
      "ORMap<_, PNCounter>::update");

  // Everything else goes on: another replica's writes, removes, merges.
  set.add(3, "z");
  set.remove("x");
  EXPECT_EQ(set.elements(), (std::vector<std::string>{"z"}));
  hash.update(3, "g", [](auto& r) { return r.write(3, "u"); });
  EXPECT_TRUE(hash.contains("g"));
}

TEST(DotExhaustion, AContextClaimingTheTopDotArrivesByBytesAndStopsOnlyThatReplica) {
  // What a peer sends: an AWSet delta whose context is the range (1, 1..2^64 - 1).
  const AWSet<std::string> hostile(Dotted<DotMap<std::string, DotSet<>>>({}, exhausted_context()));
  const std::string bytes = to_bytes(hostile);
  EXPECT_LT(bytes.size(), 64u);
  AWSet<std::string> replica;
  replica.add(1, "a");
  replica.merge(from_bytes<AWSet<std::string>>(bytes));
  EXPECT_TRUE(replica.elements().empty());  // the claim covers (1, 1): "a" was removed
  const AWSet<std::string> before = replica;
  EXPECT_THROW(replica.add(1, "b"), std::overflow_error);
  EXPECT_EQ(replica, before);
  replica.add(2, "b");
  EXPECT_EQ(replica.elements(), (std::vector<std::string>{"b"}));
}

TEST(DotExhaustion, AVectorClockAtTheTopThrowsInsteadOfWrappingAndCausalWriteKeepsItsVersions) {
  VectorClock<> clock{{1, kU64Max}, {2, 3}};
  const VectorClock<> before = clock;
  EXPECT_THROW(clock.increment(1), std::overflow_error);
  EXPECT_EQ(clock, before);
  clock.increment(2);
  EXPECT_EQ(clock.get(2), 4u);

  // A version whose clock claims the top counter for replica 1 (a peer can send one).
  Causal<Max<int>> value;
  std::string bytes = "\x01";
  auto put = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>(v >> (8 * i));
  };
  put(1);                                       // one version
  put(1);                                       // its clock: one entry
  put(1);                                       // replica 1
  put(kU64Max);                                 // counter 2^64 - 1
  bytes += std::string("\x07\x00\x00\x00", 4);  // Max<int>{7}
  value = from_bytes<Causal<Max<int>>>(bytes);
  const Causal<Max<int>> seen = value;
  // Wrapping made the new version's clock equal to the old one, and joined the values into it.
  EXPECT_THROW(value.write(1, Max<int>{9}), std::overflow_error);
  EXPECT_EQ(value, seen);
  value.write(2, Max<int>{3});
  ASSERT_EQ(value.size(), 1u);
  EXPECT_EQ(value.values(), (std::vector<Max<int>>{Max<int>{3}}));
}

// ---- huge claimed ranges cost by their encoded size -----------------------------------------

/// Ranges reaching 2^64 - 1: the whole of replica 1, the top half of replica 2, and replica 3
/// past a gap.
DotContext<> top_claims() {
  DotContext<> c;
  c.insert_range(1, 1, kU64Max);
  c.insert_range(2, std::uint64_t{1} << 63, kU64Max);
  c.insert_range(3, 5, kU64Max);
  return c;
}

TEST(DotContextClaims, RangesUpToTheTopDotAreMergedComparedAndSubtractedByRanges) {
  const DotContext<> big = top_claims();
  const DotContext<> small{{1, 1}, {2, 1}, {2, kU64Max}, {3, 4}, {4, 9}};
  EXPECT_EQ(big.count(), kU64Max);  // saturates
  EXPECT_TRUE(big.contains({2, kU64Max}));
  EXPECT_FALSE(big.contains({2, (std::uint64_t{1} << 63) - 1}));
  EXPECT_EQ(big.max(3), kU64Max);

  DotContext<> expected;  // small minus big
  expected.insert({2, 1});
  expected.insert({3, 4});
  expected.insert({4, 9});
  EXPECT_EQ(small.delta(big), expected);
  const DotContext<> big_minus_small = big.delta(small);
  EXPECT_LE(big_minus_small.runs().size() + big_minus_small.cloud().size(), 4u);
  EXPECT_FALSE(big_minus_small.contains({2, kU64Max}));
  EXPECT_TRUE(big_minus_small.contains({2, kU64Max - 1}));

  DotContext<> merged = small;
  EXPECT_TRUE(merged.merge(big));
  EXPECT_EQ(compare(big, merged), std::partial_ordering::less);
  EXPECT_EQ(compare(small, merged), std::partial_ordering::less);
  EXPECT_EQ(merged.runs().size() + merged.cloud().size(), 5u);
  EXPECT_EQ(from_bytes<DotContext<>>(to_bytes(merged)), merged);
}

template <class Crdt>
void expect_bounded_by_ranges(const Crdt& honest, const Crdt& hostile) {
  EXPECT_LT(to_bytes(hostile).size(), 300u);
  const Crdt merged = join(honest, hostile);
  EXPECT_EQ(join(hostile, honest), merged);
  EXPECT_EQ(join(honest, delta(hostile, honest)), merged);
  EXPECT_EQ(join(hostile, delta(honest, hostile)), merged);
  EXPECT_TRUE(compare(honest, merged) <= 0);
  EXPECT_TRUE(compare(hostile, merged) <= 0);
  const auto parts = decompose(merged);
  EXPECT_LE(parts.size(), 16u);
  Crdt rejoined;
  for (const Crdt& part : parts) rejoined.merge(part);
  EXPECT_EQ(rejoined, merged);
  EXPECT_LT(to_bytes(merged).size(), to_bytes(honest).size() + 300u);
}

TEST(DotContextClaims, CrdtsWithContextsUpToTheTopDotMergeDeltaAndDecomposeByRanges) {
  AWSet<std::string> set;
  set.add(1, "a");
  set.add(2, "b");
  set.add(5, "c");
  expect_bounded_by_ranges(
      set, AWSet<std::string>(Dotted<DotMap<std::string, DotSet<>>>(
               DotMap<std::string, DotSet<>>{{"d", DotSet<>{Dot<>{2, kU64Max}}}}, top_claims())));

  MVRegister<std::string> reg;
  reg.write(2, "v");
  reg.write(6, "w");
  expect_bounded_by_ranges(reg, MVRegister<std::string>(Dotted<DotFun<std::string>>(
                                    DotFun<std::string>{{Dot<>{3, kU64Max}, "x"}}, top_claims())));

  using Hash = ORMap<std::string, MVRegister<std::string>>;
  Hash hash;
  hash.update(1, "f", [](auto& r) { return r.write(1, "v"); });
  hash.update(7, "g", [](auto& r) { return r.write(7, "u"); });
  expect_bounded_by_ranges(
      hash, Hash(Dotted<DotMap<std::string, DotFun<std::string>>>({}, top_claims())));
}

}  // namespace
}  // namespace calm::lattices
