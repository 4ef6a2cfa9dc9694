// Serialization of the scalar CRDTs: the pinned wire format, and what decoding must reject.
//
// CHANGING A GOLDEN LITERAL IS A FORMAT CHANGE (see tests/serialization_test.cpp): a failure
// here means "the format changed", never "update the literal". The format is cereal's
// PortableBinary archive (header byte 0x01, little-endian fixed-width integers, uint64 size
// tags and string lengths). The spaces in the literals are not bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "lattices/lattices.hpp"
#include "wire_checks.hpp"

namespace {

using namespace calm::lattices;
using namespace ::calm::lattices::wire_checks;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

namespace golden {
// HlcTimestamp{0x0102, 3}: wall_ms (8 bytes), then logical (4 bytes).
constexpr std::string_view kHlcTimestamp = "01 0201000000000000 03000000";
// GCounter: increment(2, 1), increment(1, 4): MapUnion's layout, replicas in increasing order.
constexpr std::string_view kGCounter =
    "01 0200000000000000 0100000000000000 0400000000000000 0200000000000000 0100000000000000";
constexpr std::string_view kEmpty = "01 0000000000000000";
// PNCounter: increment(1, 5), decrement(2, 3): the increments' GCounter, then the decrements'.
constexpr std::string_view kPNCounter =
    "01 0100000000000000 0100000000000000 0500000000000000"
    " 0100000000000000 0200000000000000 0300000000000000";
// LWWRegister<std::string>: write(7, "hi", {5, 1}): presence, timestamp, writer, value.
constexpr std::string_view kLWWRegister =
    "01 01 0500000000000000 01000000 0700000000000000 0200000000000000 6869";
constexpr std::string_view kLWWRegisterBottom = "01 00";
// TwoPSet<int>: add 1, add 2, remove 2, remove 3: added {1} (not removed), then tombstones {2, 3}.
constexpr std::string_view kTwoPSet =
    "01 0100000000000000 01000000 0200000000000000 02000000 03000000";
constexpr std::string_view kTwoPSetEmpty = "01 0000000000000000 0000000000000000";
// Causal<SetUnion<int>>: concurrent writes {5} at replica 1 and {6} at replica 2: a size tag,
// then each version's clock and value, clocks in increasing (replica, counter) order.
constexpr std::string_view kCausal =
    "01 0200000000000000"
    " 0100000000000000 0100000000000000 0100000000000000  0100000000000000 05000000"
    " 0100000000000000 0200000000000000 0100000000000000  0100000000000000 06000000";
}  // namespace golden

std::vector<GoldenCase> scalar_golden_cases() {
  return {
      golden_case<HlcTimestamp>("HlcTimestamp", golden::kHlcTimestamp),
      golden_case<GCounter<>>("GCounter", golden::kGCounter),
      golden_case<GCounter<>>("GCounter empty", golden::kEmpty),
      golden_case<PNCounter<>>("PNCounter", golden::kPNCounter),
      golden_case<LWWRegister<std::string>>("LWWRegister", golden::kLWWRegister),
      golden_case<LWWRegister<std::string>>("LWWRegister bottom", golden::kLWWRegisterBottom),
      golden_case<TwoPSet<int>>("TwoPSet", golden::kTwoPSet),
      golden_case<TwoPSet<int>>("TwoPSet empty", golden::kTwoPSetEmpty),
      golden_case<Causal<SetUnion<int>>>("Causal", golden::kCausal),
      golden_case<Causal<SetUnion<int>>>("Causal empty", golden::kEmpty),
  };
}

TEST(ScalarCrdtGoldenBytes, HlcTimestampIsWallMillisecondsThenTheLogicalCounter) {
  EXPECT_TRUE(matches_golden(HlcTimestamp{0x0102, 3}, golden::kHlcTimestamp));
}

TEST(ScalarCrdtGoldenBytes, GCounterIsAMapOfReplicaToTotal) {
  GCounter<> counter;
  counter.increment(2, 1);
  counter.increment(1, 4);
  EXPECT_TRUE(matches_golden(counter, golden::kGCounter));
  EXPECT_TRUE(matches_golden(GCounter<>{}, golden::kEmpty));
}

TEST(ScalarCrdtGoldenBytes, PNCounterIsItsIncrementsThenItsDecrements) {
  PNCounter<> counter;
  counter.increment(1, 5);
  counter.decrement(2, 3);
  EXPECT_TRUE(matches_golden(counter, golden::kPNCounter));
}

TEST(ScalarCrdtGoldenBytes, LWWRegisterIsAPresenceByteThenTimestampWriterAndValue) {
  LWWRegister<std::string> reg;
  reg.write(7, "hi", HlcTimestamp{5, 1});
  EXPECT_TRUE(matches_golden(reg, golden::kLWWRegister));
  EXPECT_TRUE(matches_golden(LWWRegister<std::string>{}, golden::kLWWRegisterBottom));
}

TEST(ScalarCrdtGoldenBytes, TwoPSetIsItsLiveElementsThenItsTombstones) {
  TwoPSet<int> set;
  set.add(1);
  set.add(2);
  set.remove(2);
  set.remove(3);
  EXPECT_TRUE(matches_golden(set, golden::kTwoPSet));
  EXPECT_TRUE(matches_golden(TwoPSet<int>{}, golden::kTwoPSetEmpty));
}

TEST(ScalarCrdtGoldenBytes, CausalIsItsVersionsInClockOrder) {
  Causal<SetUnion<int>> a, b;
  a.write(1, {5});
  b.write(2, {6});
  a.merge(b);
  EXPECT_TRUE(matches_golden(a, golden::kCausal));
  EXPECT_TRUE(matches_golden(Causal<SetUnion<int>>{}, golden::kEmpty));
}

TEST(ScalarCrdtDecoding, EveryStrictPrefixOfAGoldenEncodingIsRejected) {
  for (const GoldenCase& c : scalar_golden_cases()) EXPECT_TRUE(every_prefix_rejected(c));
}

TEST(ScalarCrdtDecoding, ATrailingByteAfterAGoldenEncodingIsRejected) {
  for (const GoldenCase& c : scalar_golden_cases()) EXPECT_TRUE(trailing_bytes_rejected(c));
}

TEST(ScalarCrdtDecoding, LWWRegisterPresenceByteOtherThanZeroOrOneIsRejected) {
  EXPECT_TRUE(rejects<LWWRegister<std::string>>("01 02"));
}

TEST(ScalarCrdtDecoding, TwoPSetElementThatIsAlsoATombstoneIsRejected) {
  // added {2}, removed {2}: not canonical (the tombstone absorbs the add).
  EXPECT_TRUE(rejects<TwoPSet<int>>("01 0100000000000000 02000000 0100000000000000 02000000"));
}

TEST(ScalarCrdtDecoding, CausalVersionsOutOfOrderSupersededOrWithoutAClockAreRejected) {
  using C = Causal<SetUnion<int>>;
  // {2: 1} before {1: 1}: out of order.
  EXPECT_TRUE(
      rejects<C>("01 0200000000000000"
                 " 0100000000000000 0200000000000000 0100000000000000  0100000000000000 06000000"
                 " 0100000000000000 0100000000000000 0100000000000000  0100000000000000 05000000"));
  // {1: 1} and {1: 2}: the first is superseded by the second.
  EXPECT_TRUE(
      rejects<C>("01 0200000000000000"
                 " 0100000000000000 0100000000000000 0100000000000000  0100000000000000 05000000"
                 " 0100000000000000 0100000000000000 0200000000000000  0100000000000000 06000000"));
  // The same clock twice.
  EXPECT_TRUE(
      rejects<C>("01 0200000000000000"
                 " 0100000000000000 0100000000000000 0100000000000000  0100000000000000 05000000"
                 " 0100000000000000 0100000000000000 0100000000000000  0100000000000000 06000000"));
  // A version with the empty clock.
  EXPECT_TRUE(rejects<C>("01 0100000000000000 0000000000000000 0100000000000000 05000000"));
}

}  // namespace
