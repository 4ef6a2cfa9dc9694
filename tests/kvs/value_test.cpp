// KeyValue: calm-kvs's per-key CRDT. Redis's behaviour at one replica, and what concurrent
// writes at several replicas converge to.
#include <gtest/gtest.h>

#include <algorithm>
#include <kvs/decimal.hpp>
#include <kvs/value.hpp>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lattices/serialize.hpp"

namespace calm::apps::kvs {
namespace {

lat::HlcTimestamp at(std::uint64_t ms) { return lat::HlcTimestamp{ms, 0}; }

template <class T>
T ok(std::variant<T, CommandError> result) {
  EXPECT_TRUE(std::holds_alternative<T>(result)) << std::get<CommandError>(result).message;
  return std::get<T>(std::move(result));
}
template <class T>
std::string error_of(const std::variant<T, CommandError>& result) {
  return std::holds_alternative<CommandError>(result) ? std::get<CommandError>(result).message
                                                      : "no error";
}

static_assert(lat::Decomposable<KeyValue> && lat::DeltaLattice<KeyValue>,
              "anti-entropy replicates KeyValue by its parts and deltas");

std::string exact(const std::string& text) {
  const auto d = Decimal::parse(text);
  return d ? d->text() : "none";
}
std::string exact_sum(const std::string& a, const std::string& b, bool minus = false) {
  const auto x = Decimal::parse(a), y = Decimal::parse(b);
  if (!x || !y) return "none";
  const auto sum = minus ? *x - *y : *x + *y;
  return sum ? sum->text() : "none";
}

TEST(Decimal, ParsesPlainDecimalTextExactlyAndNothingElse) {
  EXPECT_EQ(exact("1.50"), "1.5");
  EXPECT_EQ(exact("-0"), "0");
  EXPECT_EQ(exact("-0.000"), "0");
  EXPECT_EQ(exact("007"), "7");
  EXPECT_EQ(exact("1e3"), "1000");
  EXPECT_EQ(exact("1.5E-3"), "0.0015");
  EXPECT_EQ(exact("+.5"), "0.5");
  EXPECT_EQ(exact("5."), "5");
  EXPECT_EQ(exact("-12.34e1"), "-123.4");
  for (const char* no : {"", ".", "-", "1e", "1e+", "0x10", "inf", " 1", "1 ", "1.2.3", "1e5x"}) {
    EXPECT_EQ(exact(no), "none") << no;
  }
  EXPECT_EQ(exact("1e" + std::to_string(decimal_digits_max + 1)), "none");
  EXPECT_EQ(exact(std::string(decimal_digits_max + 1, '1')), "none");
}

TEST(Decimal, SumsAndDifferencesAreExact) {
  EXPECT_EQ(exact_sum("0.1", "0.2"), "0.3");
  EXPECT_EQ(exact_sum("100000000000000000000", "-100000000000000000000"), "0");
  EXPECT_EQ(exact_sum("-1.5", "1.25"), "-0.25");
  // Zero beside a number with fewer digits than its scale (the review of 575944f: this
  // aborted the server).
  EXPECT_EQ(exact_sum("0", "-0.05"), "-0.05");
  EXPECT_EQ(exact_sum("-0.05", "0"), "-0.05");
  EXPECT_EQ(exact_sum("0", "0.05", true), "-0.05");
  EXPECT_EQ(exact_sum("0", "0.5", true), "-0.5");
  EXPECT_EQ(exact_sum("0.05", "0.05", true), "0");
  EXPECT_EQ(exact_sum("-0.001", "0.0005"), "-0.0005");
  EXPECT_EQ(exact_sum("999.9", "0.1"), "1000");
  EXPECT_EQ(exact_sum("0.001", "0.0005", true), "0.0005");
  EXPECT_EQ(exact_sum("1", "1.000000000000000000001", true), "-0.000000000000000000001");
  EXPECT_EQ(exact_sum("9e15999", "9e15999"), "none");  // 16,001 digits: past the bound
}

TEST(KeyValue, ASetStringThenIncrementReadsTheSum) {
  KeyValue v;
  set_string(v, 1, "10", at(1));
  EXPECT_EQ(ok(increment(v, 1, 1)).first, 11);
  EXPECT_EQ(ok(increment(v, 1, -3)).first, 8);
  EXPECT_EQ(string_value(v), "8");
  EXPECT_EQ(type_of(v), Type::string);
  set_string(v, 1, "abc", at(2));  // SET takes away the increments it saw
  EXPECT_EQ(string_value(v), "abc");
}

TEST(KeyValue, IncrementingANonIntegerOrPastTheLimitIsAnErrorThatChangesNothing) {
  KeyValue v;
  set_string(v, 1, "abc", at(1));
  const KeyValue before = v;
  EXPECT_EQ(error_of(increment(v, 1, 1)), "ERR value is not an integer or out of range");
  EXPECT_EQ(v, before);
  KeyValue big;
  set_string(big, 1, "9223372036854775800", at(1));
  EXPECT_EQ(error_of(increment(big, 1, 100)), "ERR increment or decrement would overflow");
  EXPECT_EQ(ok(increment(big, 1, 7)).first, INT64_MAX);
  KeyValue low;
  EXPECT_EQ(ok(increment(low, 1, INT64_MIN)).first, INT64_MIN);  // its magnitude fits no int64
  EXPECT_EQ(string_value(low), "-9223372036854775808");
}

/// Two replicas' concurrent increments, each legal alone, merged at both.
std::pair<KeyValue, KeyValue> concurrent_increments(std::int64_t at_one, std::int64_t at_two) {
  KeyValue one, two;
  const KeyValue d1 = ok(increment(one, 1, at_one)).second;
  const KeyValue d2 = ok(increment(two, 2, at_two)).second;
  lat::merge(one, d2);
  lat::merge(two, d1);
  return {one, two};
}

TEST(KeyValue, ConcurrentIncrementsPastInt64ReadAsTheirExactSum) {
  const auto [one, two] = concurrent_increments(INT64_MAX, 1);
  EXPECT_EQ(one, two);
  EXPECT_EQ(type_of(one), Type::string);
  EXPECT_EQ(string_value(one), "9223372036854775808");
  EXPECT_EQ(plain_string_value(one), nullptr);
  const auto [low, low_too] = concurrent_increments(INT64_MIN, -1);
  EXPECT_EQ(string_value(low), "-9223372036854775809");
  KeyValue with_base;  // a register's integer plus the counter, also exact
  set_string(with_base, 1, "9223372036854775807", at(1));
  lat::merge(with_base, two);
  EXPECT_EQ(string_value(with_base), "18446744073709551615");
}

TEST(KeyValue, IncrementingAValueOutsideInt64IsRedisErrorNotAnException) {
  auto [one, two] = concurrent_increments(INT64_MAX, 1);
  const KeyValue before = one;
  EXPECT_EQ(error_of(increment(one, 1, 1)), not_an_integer.message);
  EXPECT_EQ(error_of(increment(one, 1, -1)), not_an_integer.message);  // as Redis for the string
  EXPECT_EQ(one, before);
  // A SET takes the counter away; counting starts again from the register.
  set_string(one, 1, "5", at(1));
  EXPECT_EQ(ok(increment(one, 1, 1)).first, 6);
  EXPECT_EQ(string_value(one), "6");
}

TEST(KeyValue, ACounterKeepsCountingAfterASetTookAwayMoreThanInt64) {
  // The totals only grow (a SET takes away what it saw by remembering it): one replica's
  // totals pass INT64_MAX while the value stays small.
  KeyValue v;
  EXPECT_EQ(ok(increment(v, 1, INT64_MAX)).first, INT64_MAX);
  set_string(v, 1, "0", at(1));
  EXPECT_EQ(ok(increment(v, 1, 1)).first, 1);
  EXPECT_EQ(ok(increment(v, 1, -2)).first, -1);
  EXPECT_EQ(string_value(v), "-1");
  remove_all(v, 1, at(2));
  EXPECT_EQ(ok(increment(v, 1, INT64_MAX)).first, INT64_MAX);
  remove_all(v, 1, at(3));
  // The replica's increments of this key total 2^64 - 1 at most: past that it refuses.
  const KeyValue before = v;
  EXPECT_EQ(error_of(increment(v, 1, INT64_MAX)), overflow.message);
  EXPECT_EQ(v, before);
  EXPECT_EQ(ok(increment(v, 1, -7)).first, -7);  // decrements have their own total
}

TEST(KeyValue, HashCountersPastInt64ReadExactlyAndRefuseHincrby) {
  KeyValue one, two;
  const KeyValue d1 = ok(hash_increment(one, 1, "f", INT64_MAX)).second;
  const KeyValue d2 = ok(hash_increment(two, 2, "f", 1)).second;
  lat::merge(one, d2);
  lat::merge(two, d1);
  EXPECT_EQ(one, two);
  EXPECT_EQ(hash_field(one, "f"), "9223372036854775808");
  const KeyValue before = one;
  EXPECT_EQ(error_of(hash_increment(one, 1, "f", 1)), hash_not_an_integer.message);
  EXPECT_EQ(one, before);
  // A field whose totals passed int64 after an HSET took them away still counts.
  KeyValue h;
  ok(hash_increment(h, 1, "g", INT64_MAX));
  ok(hash_set(h, 1, "g", "0"));
  EXPECT_EQ(ok(hash_increment(h, 1, "g", 1)).first, 1);
  EXPECT_EQ(hash_field(h, "g"), "1");
}

TEST(KeyValue, HsetAndHdelOfManyFieldsEqualTheJoinOfOneFieldAtATime) {
  // A hash written at two replicas, with a concurrent write of "a" and a counted field "c".
  KeyValue base, there;
  ok(hash_set(base, 1, "a", "1"));
  ok(hash_set(base, 1, "d", "4"));
  lat::merge(there, base);
  const KeyValue concurrent = ok(hash_set(there, 2, "a", "2")).second;
  lat::merge(base, concurrent);
  lat::merge(base, ok(hash_increment(there, 2, "c", 5)).second);
  const std::vector<std::string> pairs = {"a", "x", "b", "y", "c", "z", "e", "w"};
  KeyValue batch = base, one_by_one = base;
  const auto [added, delta] = ok(hash_set_fields(batch, 1, pairs));
  KeyValue joined;
  std::int64_t added_one_by_one = 0;
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    auto [fresh, d] = ok(hash_set(one_by_one, 1, pairs[i], pairs[i + 1]));
    added_one_by_one += fresh;
    lat::merge(joined, d);
  }
  EXPECT_EQ(batch, one_by_one);
  EXPECT_EQ(delta, joined);
  EXPECT_EQ(added, added_one_by_one);
  EXPECT_EQ(added, 2);  // b and e
  EXPECT_EQ(hash_field(batch, "a"), "x");
  EXPECT_EQ(hash_field(batch, "c"), "z");  // the counter it saw is taken away
  const std::vector<std::string> gone = {"a", "c", "nope", "a"};
  KeyValue removed_batch = batch, removed_one_by_one = batch;
  const auto [removed, remove_delta] = ok(hash_remove_fields(removed_batch, gone));
  KeyValue remove_joined;
  for (const char* field : {"a", "c", "nope"}) {
    lat::merge(remove_joined, ok(hash_remove(removed_one_by_one, field)).second);
  }
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(removed_batch, removed_one_by_one);
  EXPECT_EQ(remove_delta, remove_joined);
  EXPECT_EQ(hash_fields(removed_batch), (std::vector<std::string>{"b", "d", "e"}));
}

TEST(KeyValue, HsetOfAFieldGivenTwiceKeepsItsLastValue) {
  KeyValue v;
  const std::vector<std::string> pairs = {"f", "1", "g", "2", "f", "3"};
  EXPECT_EQ(ok(hash_set_fields(v, 1, pairs)).first, 2);
  EXPECT_EQ(hash_field(v, "f"), "3");
  EXPECT_EQ(hash_field(v, "g"), "2");
}

TEST(KeyValue, CommandsOfAnotherTypeGetWrongType) {
  KeyValue s;
  ok(set_add(s, 1, "m"));
  const std::string wrong = "WRONGTYPE Operation against a key holding the wrong kind of value";
  EXPECT_EQ(error_of(increment(s, 1, 1)), wrong);
  EXPECT_EQ(error_of(hash_set(s, 1, "f", "v")), wrong);
  EXPECT_EQ(string_value(s), std::nullopt);
  KeyValue h;
  ok(hash_set(h, 1, "f", "v"));
  EXPECT_EQ(error_of(set_add(h, 1, "m")), wrong);
  EXPECT_EQ(error_of(set_remove(h, "m")), wrong);
}

TEST(KeyValue, SetReplacesASetOrAHashAsInRedis) {
  KeyValue v;
  ok(set_add(v, 1, "m"));
  set_string(v, 1, "x", at(1));
  EXPECT_EQ(type_of(v), Type::string);
  EXPECT_TRUE(v.set->empty());
  ok(hash_set(v = KeyValue{}, 1, "f", "v"));
  set_string(v, 1, "y", at(3));
  EXPECT_EQ(type_of(v), Type::string);
}

TEST(KeyValue, AnAddRetagsAPresentMemberUnlessItsTagIsUnpublished) {
  KeyValue a, b;
  KeyValue unpublished = ok(set_add(a, 1, "x")).second;
  lat::merge(b, unpublished);
  // Published (b has it): adding x again tags it anew, so that b's remove of what it saw
  // cannot take away this acknowledged add.
  const KeyValue again = ok(set_add(a, 1, "x")).second;
  EXPECT_FALSE(lat::is_bot(again));
  const KeyValue removed = remove_all(b, 2, at(5));
  lat::merge(a, removed);
  lat::merge(b, again);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.set->elements(), (std::vector<std::string>{"x"}));

  // Unpublished (the tag was made in this batch of writes): no second tag is needed.
  unpublished = ok(set_add(a, 1, "y")).second;
  const auto [added, delta] = ok(set_add(a, 1, "y", &unpublished));
  EXPECT_FALSE(added);
  EXPECT_TRUE(lat::is_bot(delta));
  // ... but after an unpublished remove of y, adding it again is an add.
  lat::merge(unpublished, ok(set_remove(a, "y")).second);
  const auto [readded, tag] = ok(set_add(a, 1, "y", &unpublished));
  EXPECT_TRUE(readded);
  EXPECT_FALSE(lat::is_bot(tag));
}

TEST(KeyValue, DelTakesAwayWhatItSawButNotAConcurrentWrite) {
  KeyValue a, b;
  lat::merge(b, ok(set_add(a, 1, "x")).second);
  const KeyValue del = remove_all(a, 1, at(5));          // saw x
  const KeyValue add_y = ok(set_add(b, 2, "y")).second;  // concurrently
  lat::merge(a, add_y);
  lat::merge(b, del);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.set->elements(), (std::vector<std::string>{"y"}));
}

TEST(KeyValue, AnIncrementSurvivesAConcurrentSetItDidNotSee) {
  KeyValue a, b;
  const KeyValue set10 = set_string(a, 1, "10", at(1));
  const KeyValue plus5 = ok(increment(b, 2, 5)).second;
  lat::merge(a, plus5);
  lat::merge(b, set10);
  EXPECT_EQ(a, b);
  EXPECT_EQ(string_value(a), "15");
}

TEST(KeyValue, ConcurrentWritesOfTwoTypesReadAsTheHigherUntilOneReplacesTheOther) {
  KeyValue a, b;
  const KeyValue s = set_string(a, 1, "text", at(1));
  const KeyValue m = ok(set_add(b, 2, "member")).second;
  lat::merge(a, m);
  lat::merge(b, s);
  EXPECT_EQ(type_of(a), Type::set);
  EXPECT_EQ(string_value(a), std::nullopt);
  set_string(a, 1, "again", at(2));  // saw both: replaces the set
  EXPECT_EQ(type_of(a), Type::string);
  EXPECT_EQ(string_value(a), "again");
}

TEST(KeyValue, RepeatedWritesToOneKeyDoNotGrowItsMetadata) {
  // A hot counter or hash field is rewritten forever: its state must stay the same size.
  KeyValue counter, hash, decimal, field;
  for (int i = 0; i < 2000; ++i) {
    const ReplicaId replica = 1 + static_cast<ReplicaId>(i % 3);
    ok(increment(counter, replica, 1));
    ok(hash_set(hash, replica, "field", std::to_string(i)));
    const std::string sum = human_long_double(0.25L * static_cast<long double>(i % 500 + 1));
    ok(increment_decimal(decimal, replica, sum));
    ok(hash_increment_decimal(field, replica, "f", sum));
    if (i % 500 == 0) {
      set_string(counter, 1, "0", at(static_cast<std::uint64_t>(i + 1)));
      set_string(decimal, 1, "0", at(static_cast<std::uint64_t>(i + 1)));
      ok(hash_set(field, 1, "f", "0"));
    }
  }
  EXPECT_EQ(string_value(counter), "499");
  EXPECT_EQ(string_value(decimal), "125");
  EXPECT_EQ(hash_field(field, "f"), "125");
  EXPECT_LT(lat::to_bytes(counter).size(), 320u);
  EXPECT_LT(lat::to_bytes(hash).size(), 300u);
  // One (count, net) per replica, however many INCRBYFLOATs.
  EXPECT_LT(lat::to_bytes(decimal).size(), 450u);
  EXPECT_LT(lat::to_bytes(field).size(), 600u);
}

TEST(KeyValue, AHashFieldCountsFromItsValueAndHsetOrHdelTakeTheCounterAway) {
  KeyValue v;
  ok(hash_set(v, 1, "f", "10"));
  EXPECT_EQ(ok(hash_increment(v, 1, "f", 5)).first, 15);
  EXPECT_EQ(ok(hash_increment(v, 1, "new", -3)).first, -3);
  EXPECT_EQ(hash_field(v, "f"), "15");
  EXPECT_EQ(hash_fields(v), (std::vector<std::string>{"f", "new"}));
  EXPECT_EQ(type_of(v), Type::hash);
  ok(hash_set(v, 1, "f", "1"));  // HSET takes away the increments it saw
  EXPECT_EQ(hash_field(v, "f"), "1");
  EXPECT_TRUE(ok(hash_remove(v, "new")).first);  // a field that only counted is a field
  EXPECT_FALSE(hash_contains(v, "new"));
  EXPECT_EQ(ok(hash_increment(v, 1, "new", 2)).first, 2);  // counts again from 0
  remove_all(v, 1, at(1));
  EXPECT_EQ(type_of(v), Type::none);
}

TEST(KeyValue, HincrbyOnANonIntegerOrPastTheLimitIsAnErrorThatChangesNothing) {
  KeyValue v;
  ok(hash_set(v, 1, "f", "abc"));
  ok(hash_set(v, 1, "big", "9223372036854775807"));
  const KeyValue before = v;
  EXPECT_EQ(error_of(hash_increment(v, 1, "f", 1)), "ERR hash value is not an integer");
  EXPECT_EQ(error_of(hash_increment(v, 1, "big", 1)), "ERR increment or decrement would overflow");
  EXPECT_EQ(v, before);
  KeyValue s;
  ok(set_add(s, 1, "m"));
  EXPECT_EQ(error_of(hash_increment(s, 1, "f", 1)), wrong_type.message);
}

TEST(KeyValue, AnHincrbySurvivesAConcurrentHsetOrHdelItDidNotSee) {
  KeyValue a, b;
  const KeyValue first = std::get<0>(hash_set(a, 1, "f", "10")).second;
  lat::merge(b, first);
  const KeyValue set = std::get<0>(hash_set(a, 1, "f", "20")).second;
  const KeyValue incr = ok(hash_increment(b, 2, "f", 1)).second;
  lat::merge(a, incr);
  lat::merge(b, set);
  EXPECT_EQ(a, b);
  EXPECT_EQ(hash_field(a, "f"), "21");  // SET's value plus the increment it did not see
  const KeyValue del = ok(hash_remove(a, "f")).second;
  const KeyValue again = ok(hash_increment(b, 2, "f", 4)).second;
  lat::merge(a, again);
  lat::merge(b, del);
  EXPECT_EQ(a, b);
  EXPECT_EQ(hash_field(a, "f"), "4");  // HDEL took away only what it saw
}

TEST(KeyValue, RepeatedHincrbyDoesNotGrowTheKey) {
  KeyValue v;
  ok(hash_increment(v, 1, "f", 1));
  const std::size_t one = lat::to_bytes(v).size();
  for (int i = 0; i < 1000; ++i) ok(hash_increment(v, 1 + i % 3, "f", 1));
  EXPECT_EQ(hash_field(v, "f"), "1001");
  EXPECT_LT(lat::to_bytes(v).size(), one + 64);  // one total per replica, not one per update
}

TEST(KeyValue, DeltasDeliveredInAnyOrderAndTwiceConvergeToTheJoin) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    KeyValue replicas[3];
    std::vector<KeyValue> deltas;
    std::uint64_t ms = 0;
    for (int step = 0; step < 200; ++step) {
      const std::size_t r = pick(3);
      KeyValue& v = replicas[r];
      const ReplicaId id = r + 1;
      const std::string member(1, static_cast<char>('a' + pick(4)));
      KeyValue delta;
      switch (pick(14)) {
        case 0:
          delta = set_string(v, id, std::to_string(pick(5)), at(++ms));
          break;
        case 1:
          delta = remove_all(v, id, at(++ms));
          break;
        case 2:
          if (auto res = increment(v, id, static_cast<std::int64_t>(pick(7)) - 3);
              std::holds_alternative<std::pair<std::int64_t, KeyValue>>(res)) {
            delta = std::get<0>(res).second;
          }
          break;
        case 3:
          if (auto res = set_add(v, id, member); res.index() == 0) delta = std::get<0>(res).second;
          break;
        case 4:
          if (auto res = set_remove(v, member); res.index() == 0) delta = std::get<0>(res).second;
          break;
        case 5:
          if (auto res = hash_set(v, id, member, std::to_string(pick(9))); res.index() == 0) {
            delta = std::get<0>(res).second;
          }
          break;
        case 6:
          if (auto res = hash_remove(v, member); res.index() == 0) delta = std::get<0>(res).second;
          break;
        case 7:
          if (auto res = hash_increment(v, id, member, static_cast<std::int64_t>(pick(7)) - 3);
              res.index() == 0) {
            delta = std::get<0>(res).second;
          }
          break;
        case 8: {
          const double score = static_cast<double>(pick(5)) / 2;
          if (auto res = zset_add(v, id, std::span(&member, 1), std::span(&score, 1));
              res.index() == 0) {
            delta = std::get<0>(res).second;
          }
          break;
        }
        case 9:
          if (auto res = zset_increment(v, id, member, static_cast<double>(pick(7)) - 3.5);
              res.index() == 0) {
            delta = std::get<0>(res).second;
          }
          break;
        case 10:
          if (auto res = zset_remove(v, std::span(&member, 1)); res.index() == 0) {
            delta = std::get<0>(res).second;
          }
          break;
        case 11:  // EXPIRE, or PERSIST (0)
          delta = write_expiry(v, id, pick(3) * 1000);
          break;
        case 12:  // what SET does to the TTL
          delta = clear_expiry(v, id);
          break;
        default:
          if (!deltas.empty()) lat::merge(v, deltas[pick(deltas.size())]);  // gossip
          break;
      }
      if (!lat::is_bot(delta)) deltas.push_back(std::move(delta));
    }
    // The laws on what the run produced.
    EXPECT_EQ(lat::join(replicas[0], replicas[1]), lat::join(replicas[1], replicas[0]));
    EXPECT_EQ(lat::join(replicas[0], replicas[0]), replicas[0]);
    EXPECT_EQ(lat::join(lat::join(replicas[0], replicas[1]), replicas[2]),
              lat::join(replicas[0], lat::join(replicas[1], replicas[2])));
    KeyValue everything;
    for (const KeyValue& d : deltas) lat::merge(everything, d);
    for (KeyValue& v : replicas) {
      std::vector<KeyValue> order = deltas;
      order.insert(order.end(), deltas.begin(),
                   deltas.begin() + static_cast<long>(deltas.size() / 3));
      std::shuffle(order.begin(), order.end(), rng);
      for (const KeyValue& d : order) lat::merge(v, d);
      EXPECT_EQ(v, everything);
    }
    EXPECT_EQ(lat::from_bytes<KeyValue>(lat::to_bytes(everything)), everything);
    EXPECT_EQ(type_of(everything), type_of(replicas[2]));
  }
}

// ---- sorted sets ---------------------------------------------------------------------------

/// ZADD of one member.
KeyValue zadd(KeyValue& v, ReplicaId replica, const std::string& member, double score) {
  return ok(zset_add(v, replica, std::span(&member, 1), std::span(&score, 1))).second;
}
KeyValue zincrby(KeyValue& v, ReplicaId replica, const std::string& member, double n) {
  return ok(zset_increment(v, replica, member, n)).second;
}
KeyValue zrem(KeyValue& v, const std::string& member) {
  return ok(zset_remove(v, std::span(&member, 1))).second;
}

TEST(SortedSet, MembersReadInScoreThenMemberOrder) {
  KeyValue v;
  zadd(v, 1, "b", 2);
  zadd(v, 1, "a", 2);
  zadd(v, 1, "c", -1);
  zincrby(v, 1, "d", 0.5);
  const std::vector<ScoredMember> entries = zset_entries(v);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].member, "c");
  EXPECT_EQ(entries[1].member, "d");
  EXPECT_EQ(entries[2].member, "a");
  EXPECT_EQ(entries[3].member, "b");
  EXPECT_EQ(zset_size(v), 4u);
  EXPECT_EQ(type_of(v), Type::zset);
  EXPECT_EQ(*zset_score(v, "d"), 0.5);
  EXPECT_FALSE(zset_score(v, "e"));
}

TEST(SortedSet, ConcurrentIncrementsAddUpAndAZaddReplacesTheIncrementsItSaw) {
  KeyValue a;
  zadd(a, 1, "m", 1);
  KeyValue b = a;
  const KeyValue da = zincrby(a, 1, "m", 2);
  const KeyValue db = zincrby(b, 2, "m", 3);
  lat::merge(a, db);
  lat::merge(b, da);
  EXPECT_EQ(a, b);
  EXPECT_EQ(*zset_score(a, "m"), 6);
  // A ZADD sets the score it is given: the increments it saw no longer count...
  KeyValue c = a;
  const KeyValue dc = zadd(c, 3, "m", 10);
  EXPECT_EQ(*zset_score(c, "m"), 10);
  // ...but one it did not see still adds.
  const KeyValue d_late = zincrby(a, 1, "m", 0.5);
  lat::merge(c, d_late);
  lat::merge(a, dc);
  EXPECT_EQ(a, c);
  EXPECT_EQ(*zset_score(a, "m"), 10.5);
}

TEST(SortedSet, ConcurrentZaddsReadAsTheGreatestUntilALaterWrite) {
  KeyValue a, b;
  const KeyValue da = zadd(a, 1, "m", 5);
  const KeyValue db = zadd(b, 2, "m", 7);
  lat::merge(a, db);
  lat::merge(b, da);
  EXPECT_EQ(*zset_score(a, "m"), 7);
  zadd(a, 1, "m", 1);
  EXPECT_EQ(*zset_score(a, "m"), 1);
}

TEST(SortedSet, ZremTakesAwayWhatItSawAndAConcurrentAddOrIncrementWins) {
  KeyValue a;
  zadd(a, 1, "m", 1);
  zincrby(a, 1, "m", 2);
  KeyValue b = a;
  const KeyValue removed = zrem(b, "m");
  EXPECT_FALSE(zset_score(b, "m"));
  EXPECT_EQ(type_of(b), Type::none);
  const KeyValue later = zincrby(a, 1, "m", 4);  // concurrent with the ZREM
  lat::merge(a, removed);
  lat::merge(b, later);
  EXPECT_EQ(a, b);
  EXPECT_EQ(*zset_score(a, "m"), 4);  // only the increment the ZREM did not see
}

TEST(SortedSet, ZincrbyToAnInfinityWritesTheScoreAndNanIsRefused) {
  KeyValue v;
  zincrby(v, 1, "m", 1);
  EXPECT_EQ(*zset_score(v, "m"), 1);
  zincrby(v, 1, "m", std::numeric_limits<double>::infinity());
  EXPECT_EQ(*zset_score(v, "m"), std::numeric_limits<double>::infinity());
  const KeyValue before = v;
  const auto nan = zset_increment(v, 1, "m", -std::numeric_limits<double>::infinity());
  ASSERT_TRUE(std::holds_alternative<CommandError>(nan));
  EXPECT_EQ(std::get<CommandError>(nan).message, "ERR resulting score is not a number (NaN)");
  EXPECT_EQ(v, before);
  // Back from infinity to a number, by writing it: the counter never holds an infinity.
  zadd(v, 1, "m", 3);
  EXPECT_EQ(*zset_score(v, "m"), 3);
}

TEST(SortedSet, AnIncrementLostInALargeSumIsWrittenInstead) {
  KeyValue v;
  zincrby(v, 1, "m", 1e20);
  zrem(v, "m");
  // The replica's sum of increments is 1e20: adding 1 to it changes nothing.
  zincrby(v, 1, "m", 1);
  EXPECT_EQ(*zset_score(v, "m"), 1);
  zincrby(v, 1, "n", 0);  // ZINCRBY 0 of a new member adds it, as Redis
  EXPECT_EQ(*zset_score(v, "n"), 0);
}

TEST(SortedSet, SetAndDelTakeTheSortedSetAway) {
  KeyValue v;
  zadd(v, 1, "m", 1);
  zincrby(v, 1, "n", 2);
  set_string(v, 1, "s", at(1));
  EXPECT_EQ(type_of(v), Type::string);
  EXPECT_FALSE(zset_score(v, "n"));
  KeyValue w;
  zadd(w, 1, "m", 1);
  zincrby(w, 1, "n", 2);
  remove_all(w, 1, at(1));
  EXPECT_EQ(type_of(w), Type::none);
  EXPECT_TRUE(std::holds_alternative<CommandError>(set_add(v, 1, "x")));
  EXPECT_TRUE(std::holds_alternative<CommandError>(zset_increment(v, 1, "x", 1)));
}

// ---- expiry: an MVRegister of deadlines, PERSIST (0) wins, then the longest -----------------

/// A string key written at replica 1 and known to replica 2.
std::pair<KeyValue, KeyValue> a_key_at_two_replicas() {
  KeyValue one;
  set_string(one, 1, "v", at(1));
  return {one, one};
}

TEST(KeyValueExpiry, ConcurrentExpiresConvergeOnTheLongest) {
  auto [one, two] = a_key_at_two_replicas();
  const KeyValue d1 = write_expiry(one, 1, 5000);
  const KeyValue d2 = write_expiry(two, 2, 9000);
  lat::merge(one, d2);
  lat::merge(two, d1);
  EXPECT_EQ(one, two);
  EXPECT_EQ(expiry_deadline_ms(one), 9000u);
}

TEST(KeyValueExpiry, PersistConcurrentWithExpireWins) {
  auto [one, two] = a_key_at_two_replicas();
  write_expiry(one, 1, 5000);
  two = one;
  const KeyValue persist = write_expiry(one, 1, 0);
  const KeyValue longer = write_expiry(two, 2, 90000);
  lat::merge(one, longer);
  lat::merge(two, persist);
  EXPECT_EQ(one, two);
  EXPECT_EQ(expiry_deadline_ms(one), 0u);
  EXPECT_FALSE(expired(one, 100000));
}

TEST(KeyValueExpiry, ALaterWriteReplacesTheDeadlinesItSaw) {
  auto [one, two] = a_key_at_two_replicas();
  lat::merge(one, write_expiry(two, 2, 9000));
  write_expiry(one, 1, 3000);  // EXPIRE that saw 9000: a shorter TTL, in order
  EXPECT_EQ(expiry_deadline_ms(one), 3000u);
  write_expiry(one, 1, 0);     // PERSIST
  write_expiry(one, 1, 4000);  // then EXPIRE again
  EXPECT_EQ(expiry_deadline_ms(one), 4000u);
}

TEST(KeyValueExpiry, AKeyExpiresStrictlyAfterItsDeadline) {
  auto [one, two] = a_key_at_two_replicas();
  write_expiry(one, 1, 5000);
  EXPECT_FALSE(expired(one, 5000));
  EXPECT_TRUE(expired(one, 5001));
  EXPECT_TRUE(expiry_garbage(one, 5001));
  EXPECT_FALSE(expired(two, 5001));  // no deadline: never
}

TEST(KeyValueExpiry, MergesInAnyOrderWithDuplicatesConverge) {
  auto [base, unused] = a_key_at_two_replicas();
  std::vector<KeyValue> replicas{base, base, base};
  std::vector<KeyValue> deltas;
  deltas.push_back(write_expiry(replicas[0], 1, 7000));
  deltas.push_back(write_expiry(replicas[1], 2, 8000));
  deltas.push_back(write_expiry(replicas[2], 3, 0));
  deltas.push_back(write_expiry(replicas[0], 1, 6000));  // replaces its own 7000
  std::mt19937_64 rng(17);
  KeyValue first;
  for (int round = 0; round < 20; ++round) {
    std::vector<KeyValue> order = deltas;
    order.insert(order.end(), deltas.begin(), deltas.end());  // each twice
    std::shuffle(order.begin(), order.end(), rng);
    KeyValue v = base;
    for (const KeyValue& d : order) lat::merge(v, d);
    if (round == 0) first = v;
    EXPECT_EQ(v, first);
  }
  EXPECT_EQ(expiry_deadline_ms(first), 0u);  // replica 3's PERSIST, concurrent with all
}

TEST(KeyValueExpiry, SetClearsTheTtlItSawAndWritesNothingWithoutOne) {
  KeyValue v;
  set_string(v, 1, "v", at(1));
  EXPECT_TRUE(lat::is_bot(clear_expiry(v, 1)));  // no TTL: no expiry bytes
  write_expiry(v, 1, 5000);
  const KeyValue delta = clear_expiry(v, 1);
  EXPECT_FALSE(lat::is_bot(delta));
  EXPECT_EQ(expiry_deadline_ms(v), 0u);
  EXPECT_TRUE(lat::is_bot(clear_expiry(v, 1)));  // 0 seen: nothing more to clear
}

TEST(KeyValueExpiry, DelTakesAwayTheExpiryItSawAndAConcurrentOneIsLeftAsGarbage) {
  auto [one, two] = a_key_at_two_replicas();
  write_expiry(one, 1, 5000);
  two = one;
  remove_all(one, 1, at(2));
  EXPECT_TRUE(one.expiry->values().empty());
  EXPECT_FALSE(expiry_garbage(one, 0));
  const KeyValue extension = write_expiry(two, 2, 9000);  // concurrent with the DEL
  lat::merge(one, extension);
  EXPECT_EQ(type_of(one), Type::none);
  EXPECT_TRUE(expiry_garbage(one, 0));  // an expiry without data: the sweep takes it away
}

// ---- memory and bytes: the boxed fields ------------------------------------------------------

// A string key pays one pointer for each type it does not hold (value.hpp).
static_assert(sizeof(KeyValue) <= sizeof(KeyValue::Str) + 8 * sizeof(void*));

TEST(KeyValue, AStringKeyHoldsNoBoxForTheTypesItDoesNotUse) {
  KeyValue v;
  set_string(v, 1, "10", at(1));
  ok(increment(v, 1, 0));  // INCRBY 0 writes nothing
  remove_all(v, 1, at(2));
  set_string(v, 1, "20", at(3));
  EXPECT_FALSE(v.counter.allocated());
  EXPECT_FALSE(v.set.allocated());
  EXPECT_FALSE(v.hash.allocated());
  EXPECT_FALSE(v.hash_counters.allocated());
  EXPECT_FALSE(v.zset.allocated());
  EXPECT_FALSE(v.zset_scores.allocated());
  EXPECT_FALSE(v.expiry.allocated());  // SET and DEL write no expiry on a key without a TTL
  ok(increment(v, 1, 2));
  EXPECT_TRUE(v.counter.allocated());
  EXPECT_FALSE(v.set.allocated());
}

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// CHANGING A LITERAL HERE IS A FORMAT CHANGE of calm-kvs's stored and replicated keys (storage
// format 4, server.hpp): the bytes of the unboxed fields, the list (its 19 bytes when empty
// were added by format 2), then the sorted set's two parts and the expiry (their 56 bytes when
// empty were added by format 3); each counter's two maps of decimal nets (16 bytes when empty)
// were added by format 4.
TEST(KeyValue, TheBytesOfAKeyAreThoseOfItsUnboxedFields) {
  const KeyValue empty;
  KeyValue string_key;
  set_string(string_key, 1, "v", at(5));
  KeyValue counter_key;
  ok(increment(counter_key, 2, 3));
  KeyValue set_key;
  ok(set_add(set_key, 1, "m"));
  KeyValue hash_key;
  ok(hash_set(hash_key, 1, "f", "x"));
  ok(hash_increment(hash_key, 1, "g", 2));
  KeyValue list_key;
  ASSERT_TRUE(std::holds_alternative<KeyValue>(list_insert(list_key, 1, 0, {"a", "b"})));
  KeyValue zset_key;
  const std::string member = "m";
  const double score = 1.5;
  ok(zset_add(zset_key, 1, std::span(&member, 1), std::span(&score, 1)));
  ok(zset_increment(zset_key, 2, "n", -2));
  KeyValue expiring_key;
  set_string(expiring_key, 1, "v", at(5));
  write_expiry(expiring_key, 1, 0x0102030405060708);
  KeyValue decimal_key;  // INCRBYFLOAT 1.5 at replica 1, after a SET it took away 0.5 of
  ok(increment_decimal(decimal_key, 1, "0.5"));
  set_string(decimal_key, 2, "1", at(6));
  ok(increment_decimal(decimal_key, 1, "2.5"));
  EXPECT_EQ(string_value(decimal_key), "2.5");
  const std::pair<const KeyValue&, const char*> pinned[] = {
      {decimal_key,
       "0101060000000000000000000000020000000000000000010000000000000031"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0100000000000000010000000000000002000000000000000100000000000000"
       "3201000000000000000100000000000000010000000000000003000000000000"
       "00302e3500000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000003000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "00000000000000"},
      {empty,
       "0100000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000300000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000"},
      {string_key,
       "0101050000000000000000000000010000000000000000010000000000000076"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000003000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "00000000000000000000000000000000000000"},
      {counter_key,
       "0100010000000000000002000000000000000300000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000030000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000"},
      {set_key,
       "0100000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000100000000000000010000000000"
       "00006d0100000000000000010000000000000001000000000000000100000000"
       "0000000100000000000000010000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000300000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "000000000000"},
      {hash_key,
       "0100000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000001000000000000000100000000000000660100000000"
       "0000000100000000000000010000000000000001000000000000007801000000"
       "0000000001000000000000000100000000000000000000000000000001000000"
       "0000000001000000000000006701000000000000000100000000000000020000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000300000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "000000000000000000000000000000000000000000000000"},
      {list_key,
       "0100000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000001000000000000000100000000000000070000000000"
       "0000010000000002020100000000000000610100000000000000620000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "00000000000000000000000000000000000000"},
      {zset_key,
       "0100000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000300000000000000000000010000"
       "000000000001000000000000006d010000000000000001000000000000000100"
       "000000000000000000000000f83f010000000000000001000000000000000100"
       "0000000000000000000000000000010000000000000001000000000000006e00"
       "0000000000000001000000000000000200000000000000000000000000004000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "00000000000000"},
      {expiring_key,
       "0101050000000000000000000000010000000000000000010000000000000076"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000003000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000100000000"
       "0000000100000000000000010000000000000008070605040302010100000000"
       "000000010000000000000001000000000000000000000000000000"},
  };
  for (const auto& [value, bytes] : pinned) {
    EXPECT_EQ(hex(lat::to_bytes(value)), bytes);
    // What each write's size check counts (empty boxes write bytes made once).
    EXPECT_EQ(lat::encoded_size(value), std::string_view(bytes).size() / 2);
    EXPECT_EQ(lat::from_bytes<KeyValue>(lat::to_bytes(value)), value);
  }
}

}  // namespace
}  // namespace calm::apps::kvs
