// What a calm-kvs replica accepts from its peers (kvs/admission.hpp), and the timestamps it
// takes in from them (CommandProcessor::observe).
#include <gtest/gtest.h>

#include <kvs/admission.hpp>
#include <kvs/commands.hpp>
#include <kvs/decimal.hpp>
#include <map>
#include <string>

#include "memory_keyspace.hpp"

namespace calm::apps::kvs {
namespace {

constexpr std::uint64_t wall_ms = 1'700'000'000'000;

KeyValue written_at(std::uint64_t at_ms) {
  KeyValue v;
  set_string(v, 9, "theirs", {at_ms, 0});
  return v;
}

KeyValue set_with_dots_up_to(std::uint64_t last) {
  lattices::DotContext<ReplicaId> context;
  context.insert_range(9, 1, last);
  KeyValue v;
  v.set = KeyValue::Set(KeyValue::Set::dotted_type({}, context));
  return v;
}

TEST(Admission, AnOrdinaryValueIsAdmitted) {
  KeyValue v = written_at(wall_ms - 10);
  set_add(v, 9, "member");
  increment(v, 9, 5);
  hash_set(v, 9, "field", "x");
  EXPECT_EQ(admission_refusal(v, wall_ms), std::nullopt);
  EXPECT_EQ(admission_refusal(KeyValue{}, wall_ms), std::nullopt);
}

TEST(Admission, ATimestampMoreThanFiveMinutesAheadIsRefused) {
  EXPECT_EQ(future_timestamp_ms_max, 5u * 60 * 1000);
  EXPECT_EQ(admission_refusal(written_at(wall_ms + future_timestamp_ms_max), wall_ms),
            std::nullopt);
  const auto refusal =
      admission_refusal(written_at(wall_ms + future_timestamp_ms_max + 1), wall_ms);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("ahead of this replica's clock"), std::string::npos) << *refusal;
  // Ten years ahead, and the last timestamp there is.
  EXPECT_TRUE(admission_refusal(written_at(wall_ms + 10ull * 365 * 24 * 3600 * 1000), wall_ms));
  EXPECT_TRUE(admission_refusal(written_at(UINT64_MAX), wall_ms));
  // A timestamp in the past is fine, however far.
  EXPECT_EQ(admission_refusal(written_at(1), wall_ms), std::nullopt);
}

TEST(Admission, ASetContextClaimingDotsAboveTheBoundIsRefused) {
  EXPECT_EQ(admission_refusal(set_with_dots_up_to(dot_counter_max), wall_ms), std::nullopt);
  EXPECT_TRUE(admission_refusal(set_with_dots_up_to(dot_counter_max + 1), wall_ms));
  EXPECT_TRUE(admission_refusal(set_with_dots_up_to(UINT64_MAX), wall_ms));
  // Past a gap (the context's cloud), not only in a replica's run.
  lattices::DotContext<ReplicaId> context;
  context.insert_range(9, UINT64_MAX - 1, UINT64_MAX);
  KeyValue v;
  v.set = KeyValue::Set(KeyValue::Set::dotted_type({}, context));
  EXPECT_TRUE(admission_refusal(v, wall_ms));
}

TEST(Admission, AHashContextClaimingDotsAboveTheBoundIsRefused) {
  lattices::DotContext<ReplicaId> context;
  context.insert_range(4, 1, UINT64_MAX);
  KeyValue v;
  v.hash = KeyValue::Hash(KeyValue::Hash::dotted_type({}, context));
  const auto refusal = admission_refusal(v, wall_ms);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("hash"), std::string::npos) << *refusal;
}

TEST(Admission, ASortedSetContextClaimingDotsAboveTheBoundIsRefused) {
  lattices::DotContext<ReplicaId> context;
  context.insert_range(4, 1, UINT64_MAX);
  KeyValue v;
  v.zset = KeyValue::ZSet(KeyValue::ZSet::dotted_type({}, context));
  const auto refusal = admission_refusal(v, wall_ms);
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find("sorted set"), std::string::npos) << *refusal;
}

TEST(Admission, CounterTotalsUpToTheirLimitAreAdmittedAndReadExactly) {
  // Totals are summed in 128 bits, so no total a replica can make needs refusing: two
  // replicas at UINT64_MAX read as their exact sum.
  KeyValue v;
  for (ReplicaId replica : {ReplicaId{8}, ReplicaId{9}}) {
    KeyValue::Counter c;
    c.total.decrement(replica, std::uint64_t{1} << 63);  // so the value stays within int64
    c.total.increment(replica, UINT64_MAX);
    lattices::merge(v.counter.mutable_value(), c);
  }
  EXPECT_EQ(admission_refusal(v, wall_ms), std::nullopt);
}

TEST(Admission, ADecimalNetThatIsNoNumberIsRefused) {
  using Net = lattices::Max<ResettableCounter::Net>;
  KeyValue v;
  v.counter.mutable_value().decimals.merge_at(3, Net({1, "2.5"}));
  EXPECT_EQ(admission_refusal(v, wall_ms), std::nullopt);
  KeyValue forged = v;
  forged.counter.mutable_value().decimals.merge_at(4, Net({1, "nan"}));
  EXPECT_NE(admission_refusal(forged, wall_ms), std::nullopt);
  KeyValue forged_field;
  ResettableCounter field;
  field.decimals_removed.merge_at(4, Net({9, std::string(decimal_digits_max + 1, '1')}));
  forged_field.hash_counters.mutable_value().merge_at("f", field);
  EXPECT_NE(admission_refusal(forged_field, wall_ms), std::nullopt);
  for (const char* not_plain : {"inf", "0x10", " 1", "1e", ""}) {
    KeyValue forged_text;
    forged_text.counter.mutable_value().decimals.merge_at(4, Net({1, not_plain}));
    EXPECT_NE(admission_refusal(forged_text, wall_ms), std::nullopt) << not_plain;
  }
  KeyValue forged_count;  // its replica's next INCRBYFLOAT would have no count left
  forged_count.counter.mutable_value().decimals.merge_at(4, Net({dot_counter_max + 1, "1"}));
  EXPECT_NE(admission_refusal(forged_count, wall_ms), std::nullopt);
}

TEST(Admission, TheLatestTimestampIsTheStringRegisters) {
  EXPECT_EQ(latest_timestamp(KeyValue{}), lattices::HlcTimestamp{});
  EXPECT_EQ(latest_timestamp(written_at(wall_ms + 5000)),
            (lattices::HlcTimestamp{wall_ms + 5000, 0}));
}

std::string run(CommandProcessor& processor, const std::string& line) {
  RequestParser parser;
  parser.feed(line + "\r\n");
  auto request = parser.next();
  EXPECT_TRUE(request) << line;
  Session session;
  std::string reply;
  if (request) processor.execute(*request, session, reply);
  return reply;
}

ServerFacts clock_at(const std::uint64_t& now_ms) {
  ServerFacts facts;
  facts.wall_ms = [&now_ms] { return now_ms; };
  return facts;
}

TEST(ReceivedTimestamps, AWriteAfterAValueFromAClockAheadWinsOverIt) {
  // A peer whose clock is 5 s ahead wrote k; this replica merged it and observed its
  // timestamp (the server does so for every admitted value): its next SET must win.
  const std::uint64_t now_ms = wall_ms;
  MemoryKeyspace keyspace;
  CommandProcessor processor(keyspace, 1, clock_at(now_ms));
  keyspace.values["k"] = written_at(wall_ms + 5000);
  processor.observe(latest_timestamp(keyspace.values["k"]));
  EXPECT_EQ(run(processor, "SET k mine"), "+OK\r\n");
  EXPECT_EQ(run(processor, "GET k"), "$4\r\nmine\r\n");
  EXPECT_EQ(run(processor, "DEL k"), ":1\r\n");
  EXPECT_EQ(run(processor, "GET k"), "$-1\r\n");
}

TEST(ReceivedTimestamps, AnOlderTimestampLeavesTheClockAlone) {
  std::uint64_t now_ms = wall_ms;
  MemoryKeyspace keyspace;
  CommandProcessor processor(keyspace, 1, clock_at(now_ms));
  processor.observe({wall_ms - 1000, 7});
  EXPECT_EQ(run(processor, "SET k v"), "+OK\r\n");
  EXPECT_EQ(keyspace.values["k"].str.timestamp(), (lattices::HlcTimestamp{wall_ms, 0}));
  now_ms += 3;
  EXPECT_EQ(run(processor, "SET k w"), "+OK\r\n");
  EXPECT_EQ(keyspace.values["k"].str.timestamp(), (lattices::HlcTimestamp{wall_ms + 3, 0}));
}

}  // namespace
}  // namespace calm::apps::kvs
