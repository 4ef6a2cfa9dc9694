// ORMap: removes that keep only the updates they did not see, with counters, sets, nested maps,
// plain lattices and registers as values (Shapiro et al.'s catalog, riak_dt).
//
// A small delta into a large ORMap (what HSET sends into a big hash) is joined entry by entry
// (DotMap::join_small): each ORMapSmallDelta case is checked against the join in one pass
// (join_whole) and against what the map must read as.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

template <class Counter>
auto add_to(std::uint64_t id, std::uint64_t n) {
  return [id, n](Counter& c) { return c.increment(id, n); };
}

TEST(ORMap, ARemovedCounterKeepsOnlyTheConcurrentIncrementOneNotEleven) {
  ORMap<std::string, PNCounter<>> a, b;
  for (int i = 0; i < 10; ++i) b.merge(a.update(1, "k", add_to<PNCounter<>>(1, 1)));
  ASSERT_EQ(b.get("k").value(), 10);
  const auto remove = b.remove("k");  // saw the ten increments
  const auto increment = a.update(1, "k", add_to<PNCounter<>>(1, 1));
  EXPECT_FALSE(b.contains("k"));
  a.merge(remove);
  b.merge(increment);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(a.contains("k"));
  EXPECT_EQ(a.get("k").value(), 1);
  EXPECT_EQ(b.get("k").value(), 1);
}

TEST(ORMap, CountersConvergeUnderDuplicatedAndReorderedDeltas) {
  ORMap<int, PNCounter<>> a, b;
  const auto d1 = a.update(1, 7, add_to<PNCounter<>>(1, 3));
  const auto d2 = b.update(2, 7, [](PNCounter<>& c) { return c.decrement(2, 1); });
  const auto d3 = a.update(1, 7, add_to<PNCounter<>>(1, 2));
  const auto d4 = b.update(2, 8, add_to<PNCounter<>>(2, 6));
  for (const auto* d : {&d2, &d3, &d4, &d2, &d1, &d3}) a.merge(*d);
  for (const auto* d : {&d3, &d1, &d1, &d4, &d3, &d2}) b.merge(*d);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get(7).value(), 4);  // 3 + 2 - 1, each update counted once
  EXPECT_EQ(a.get(8).value(), 6);
}

TEST(ORMap, GCounterValuesSumTheUpdatesThatSurvive) {
  ORMap<std::string, GCounter<>> a, b;
  b.merge(a.update(1, "k", add_to<GCounter<>>(1, 4)));
  const auto remove = b.remove("k");
  const auto from_b = b.update(2, "k", add_to<GCounter<>>(2, 5));  // after b's own remove
  const auto from_a = a.update(1, "k", add_to<GCounter<>>(1, 2));  // concurrent with it
  a.merge(remove);
  a.merge(from_b);
  b.merge(from_a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get("k").value(), 7u);
}

TEST(ORMap, RemoveConcurrentWithANestedSetAddKeepsOnlyTheUnobservedAdds) {
  using Set = AWSet<std::string>;
  ORMap<std::string, Set> a, b;
  b.merge(a.update(1, "k", [](Set& s) { return s.add(1, "x"); }));
  b.merge(a.update(1, "k", [](Set& s) { return s.add(1, "y"); }));
  const auto remove = b.remove("k");  // saw x and y
  const auto add_z = a.update(1, "k", [](Set& s) { return s.add(1, "z"); });
  const auto re_add_x = a.update(1, "k", [](Set& s) { return s.add(1, "x"); });
  a.merge(remove);
  b.merge(add_z);
  b.merge(re_add_x);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get("k").elements(), (std::vector<std::string>{"x", "z"}));
}

TEST(ORMap, ANestedSetRemoveTravelsAsTheDotsItSaw) {
  using Set = AWSet<int>;
  ORMap<std::string, Set> a, b;
  b.merge(a.update(1, "k", [](Set& s) { return s.add(1, 1); }));
  b.merge(a.update(1, "k", [](Set& s) { return s.add(1, 2); }));
  const auto remove_1 = a.update(1, "k", [](Set& s) { return s.remove(1); });
  b.merge(remove_1);
  EXPECT_EQ(b.get("k").elements(), (std::vector<int>{2}));
  EXPECT_EQ(a, b);
  b.merge(a.update(1, "k", [](Set& s) { return s.remove(2); }));
  EXPECT_FALSE(b.contains("k"));  // a key whose set emptied is gone
}

TEST(ORMap, RemoveOfAnOuterKeyKeepsOnlyTheConcurrentInnerUpdate) {
  using Inner = ORMap<std::string, PNCounter<>>;
  ORMap<std::string, Inner> a, b;
  auto bump = [](std::string key, std::uint64_t n) {
    return [key, n](Inner& inner) { return inner.update(1, key, add_to<PNCounter<>>(1, n)); };
  };
  b.merge(a.update(1, "user", bump("x", 5)));
  b.merge(a.update(1, "user", bump("y", 2)));
  const auto remove = b.remove("user");
  const auto concurrent = a.update(1, "user", bump("x", 1));
  a.merge(remove);
  b.merge(concurrent);
  EXPECT_EQ(a, b);
  ASSERT_TRUE(a.contains("user"));
  const Inner user = a.get("user");
  EXPECT_EQ(user.keys(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(user.get("x").value(), 1);
}

TEST(ORMap, APlainLatticeValueKeepsOnlyTheUpdatesARemoveDidNotSee) {
  ORMap<std::string, Max<int>> a, b;
  auto raise_to = [](int n) {
    return [n](Max<int>& m) {
      const Max<int> effect{n};
      m.merge(effect);
      return effect;
    };
  };
  b.merge(a.update(1, "k", raise_to(7)));
  ASSERT_EQ(b.get("k").reveal(), 7);
  const auto remove = b.remove("k");
  const auto concurrent = a.update(1, "k", raise_to(3));  // below 7 here, but its own effect
  a.merge(remove);
  b.merge(concurrent);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get("k").reveal(), 3);
}

TEST(ORMap, AnLWWRegisterValueTakesTheLatestSurvivingWrite) {
  using Reg = LWWRegister<std::string>;
  ORMap<std::string, Reg> a, b;
  auto write = [](std::uint64_t id, std::string v, HlcTimestamp t) {
    return [id, v, t](Reg& r) { return r.write(id, v, t); };
  };
  const auto early = a.update(1, "k", write(1, "early", {10, 0}));
  const auto late = b.update(2, "k", write(2, "late", {20, 0}));
  a.merge(late);
  b.merge(early);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get("k").value(), "late");

  const auto remove = b.remove("k");  // saw both writes
  const auto again = a.update(1, "k", write(1, "again", {15, 0}));
  a.merge(remove);
  b.merge(again);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get("k").value(), "again");  // the later-stamped "late" was removed
}

TEST(ORMap, KeysAreSortedAndAnUpdateWithNoEffectAddsNoKey) {
  ORMap<std::string, PNCounter<>> map;
  for (const char* key : {"pear", "apple", "fig"}) map.update(1, key, add_to<PNCounter<>>(1, 1));
  EXPECT_EQ(map.keys(), (std::vector<std::string>{"apple", "fig", "pear"}));
  EXPECT_EQ(map.size(), 3u);
  const auto nothing = map.update(1, "plum", add_to<PNCounter<>>(1, 0));
  EXPECT_TRUE(is_bot(nothing));
  EXPECT_FALSE(map.contains("plum"));
  EXPECT_EQ(map.get("plum"), PNCounter<>{});  // an absent key reads as bottom
}

TEST(ORMap, ClearRemovesEveryKeyItSawButNotAConcurrentUpdate) {
  ORMap<int, MVRegister<int>> a, b;
  for (int k : {1, 2}) b.merge(a.update(1, k, [k](MVRegister<int>& r) { return r.write(1, k); }));
  const auto clear = b.clear();
  const auto concurrent = a.update(1, 3, [](MVRegister<int>& r) { return r.write(1, 30); });
  a.merge(clear);
  b.merge(concurrent);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.keys(), (std::vector<int>{3}));
  EXPECT_EQ(a.get(3).values(), (std::vector<int>{30}));
}

using Register = MVRegister<std::string>;
using Hash = ORMap<std::string, Register>;
constexpr int kFields = 256;  // a one-field delta is small against this many

std::string field(int i) {
  std::string name = "f";  // not "f" + to_string(i): g++ 12 -O3 warns falsely (-Wrestrict)
  name += std::to_string(i);
  return name;
}

Hash big_hash() {
  Hash h;
  for (int i = 0; i < kFields; ++i)
    h.update(1, field(i), [](Register& r) { return r.write(1, "v"); });
  return h;
}

/// Merges `delta` into `target` in place (its index kept) by the public join, after checking
/// that the delta is small for it (so the public join takes join_small), and checks that the
/// result is join_whole's.
template <class M>
void merge_checked(M& target, const M& delta) {
  using Store = typename M::store_type;
  EXPECT_TRUE(detail::is_small_delta(delta.dotted().store().size(), delta.dotted().context(),
                                     target.dotted().store().size()));
  Dotted<Store> whole = target.dotted();
  Store::join_whole(whole.mutable_store(), whole.context(), delta.dotted().store(),
                    delta.dotted().context());
  whole.mutable_context().merge(delta.dotted().context());
  target.merge(delta);
  EXPECT_EQ(target.dotted(), whole);
}

std::vector<std::string> values(const Hash& h, const std::string& f) { return h.get(f).values(); }

TEST(ORMapSmallDelta, ANewFieldIsInsertedInItsPlace) {
  Hash after = big_hash();
  Hash writer = after;
  merge_checked(after, writer.update(2, "f100a", [](Register& r) { return r.write(2, "x"); }));
  EXPECT_EQ(after.size(), kFields + 1u);
  EXPECT_EQ(values(after, "f100a"), std::vector<std::string>{"x"});
  EXPECT_EQ(after, writer);
}

TEST(ORMapSmallDelta, AReplacedFieldLosesTheWritesItsDeltaSaw) {
  Hash after = big_hash();
  Hash writer = after;
  merge_checked(after, writer.update(2, field(7), [](Register& r) { return r.write(2, "y"); }));
  EXPECT_EQ(values(after, field(7)), std::vector<std::string>{"y"});
  EXPECT_EQ(after, writer);
}

TEST(ORMapSmallDelta, AFieldRemovedByTheContextAloneGoes) {
  Hash after = big_hash();
  Hash writer = after;
  merge_checked(after, writer.update(2, field(9), [](Register& r) { return r.write(2, "y"); }));
  const Hash removal = writer.remove(field(9));
  EXPECT_TRUE(removal.dotted().store().empty());
  merge_checked(after, removal);  // builds the dot index: no key of the delta holds the dot
  EXPECT_TRUE(after.dotted().store().dot_index_built());
  merge_checked(after, writer.remove(field(10)));  // asks the index the last join kept
  EXPECT_FALSE(after.contains(field(9)));
  EXPECT_FALSE(after.contains(field(10)));
  EXPECT_EQ(after.size(), kFields - 2u);
  EXPECT_EQ(after, writer);
}

// A write's delta removes only dots of the keys it writes, which the join visits anyway: so
// a map that takes only such deltas (a replica's own HSETs) never builds the dot index, an
// O(n) table with a copy of every key. A delta that removes a dot under a key it does not
// hold (a removal, or a write grouped with one) still finds that dot, by the index.
TEST(ORMapSmallDelta, WritesOfTheirOwnKeysNeedNoDotIndex) {
  Hash after = big_hash();
  Hash writer = after;
  ASSERT_FALSE(after.dotted().store().dot_index_built());
  merge_checked(after, writer.update(2, field(7), [](Register& r) { return r.write(2, "y"); }));
  merge_checked(after, writer.update(2, "f7a", [](Register& r) { return r.write(2, "n"); }));
  merge_checked(after, writer.update(2, field(7), [](Register& r) { return r.write(2, "z"); }));
  EXPECT_FALSE(after.dotted().store().dot_index_built());
  EXPECT_EQ(values(after, field(7)), std::vector<std::string>{"z"});
  const Hash replace = writer.update(2, field(8), [](Register& r) { return r.write(2, "w"); });
  merge_checked(after, join(replace, writer.remove(field(3))));
  EXPECT_TRUE(after.dotted().store().dot_index_built());
  EXPECT_FALSE(after.contains(field(3)));
  EXPECT_EQ(after, writer);
}

TEST(ORMapSmallDelta, ConcurrentWritesOfAFieldBothStayUntilAWriteThatSawThem) {
  Hash a = big_hash();
  Hash b = a;
  const Hash from_a = a.update(1, field(3), [](Register& r) { return r.write(1, "a"); });
  const Hash from_b = b.update(2, field(3), [](Register& r) { return r.write(2, "b"); });
  merge_checked(a, from_b);
  merge_checked(b, from_a);
  EXPECT_EQ(values(a, field(3)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(a, b);
  const Hash both_seen = a.update(1, field(3), [](Register& r) { return r.write(1, "c"); });
  merge_checked(b, both_seen);
  EXPECT_EQ(values(b, field(3)), std::vector<std::string>{"c"});
  EXPECT_EQ(a, b);
  // A late copy of b's write changes nothing: the write that saw it replaced it.
  merge_checked(a, from_b);
  EXPECT_EQ(values(a, field(3)), std::vector<std::string>{"c"});
}

TEST(ORMapSmallDelta, NestedSetsAreJoinedWithBothContexts) {
  using Sets = ORMap<std::string, AWSet<int>>;
  Sets a;
  for (int i = 0; i < kFields; ++i) {
    a.update(1, field(i), [](AWSet<int>& s) { return s.add(1, 0); });
  }
  Sets b = a;
  // An element added to a key's set, then removed: the removal's delta holds no entry at all,
  // only the element's dot in its context, and must find the key by that dot.
  merge_checked(a, b.update(2, field(5), [](AWSet<int>& s) { return s.add(2, 7); }));
  EXPECT_EQ(a.get(field(5)).elements(), (std::vector<int>{0, 7}));
  const Sets removal = b.update(2, field(5), [](AWSet<int>& s) { return s.remove(7); });
  EXPECT_TRUE(removal.dotted().store().empty());
  merge_checked(a, removal);
  EXPECT_EQ(a.get(field(5)).elements(), std::vector<int>{0});
  // An add concurrent with a remove of the whole key survives with only its own element.
  Sets c = a;
  const Sets add = c.update(3, field(6), [](AWSet<int>& s) { return s.add(3, 8); });
  merge_checked(a, b.remove(field(6)));
  EXPECT_FALSE(a.contains(field(6)));
  merge_checked(a, add);
  EXPECT_EQ(a.get(field(6)).elements(), std::vector<int>{8});
}

TEST(ORMapSmallDelta, NestedMapsAreJoinedWithBothContexts) {
  using Inner = ORMap<std::string, Register>;
  using Outer = ORMap<std::string, Inner>;
  Outer a;
  for (int i = 0; i < kFields; ++i) {
    a.update(1, field(i), [](Inner& in) {
      return in.update(1, "x", [](Register& r) { return r.write(1, "v"); });
    });
  }
  Outer b = a;
  merge_checked(a, b.update(2, field(4), [](Inner& in) { return in.remove("x"); }));
  EXPECT_FALSE(a.contains(field(4)));
  merge_checked(a, b.update(2, field(8), [](Inner& in) {
    return in.update(2, "y", [](Register& r) { return r.write(2, "w"); });
  }));
  EXPECT_EQ(a.get(field(8)).keys(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(a, b);
}

TEST(ORMapSmallDelta, ACopyJoinsSmallDeltasLikeTheOriginal) {
  Hash a = big_hash();
  Hash writer = a;
  a.merge(writer.remove(field(2)));  // a removal by context alone builds the index
  ASSERT_TRUE(a.dotted().store().dot_index_built());
  Hash copy = a;  // starts without the index
  ASSERT_FALSE(copy.dotted().store().dot_index_built());
  const Hash removal = writer.remove(field(1));
  a.merge(removal);
  copy.merge(removal);
  EXPECT_FALSE(copy.contains(field(1)));
  EXPECT_EQ(a, copy);
  EXPECT_EQ(a, writer);
}

// delta(small, large) walks the small side's context through the large map's dot index once
// a small join built it (what a replica receiving a stream of HSETs has), and walks the large
// map's dots when it is not built: the same value both ways, and the removal it must keep.
TEST(ORMapSmallDelta, ADeltaAgainstAnIndexedMapIsTheDeltaAgainstItsCopy) {
  Hash indexed = big_hash();
  Hash writer = indexed;
  indexed.merge(writer.remove(field(1)));  // a removal by context alone builds the index
  ASSERT_TRUE(indexed.dotted().store().dot_index_built());
  const Hash unindexed = indexed;  // a copy starts without the index
  const Hash replace = writer.update(2, field(7), [](Register& r) { return r.write(2, "z"); });
  const Hash removal = writer.remove(field(3));
  const Hash group = join(replace, removal);
  Hash elsewhere = big_hash();  // a replica that never saw writer's writes
  const Hash concurrent =
      elsewhere.update(3, field(9), [](Register& r) { return r.write(3, "c"); });
  for (const Hash* d : {&replace, &removal, &group, &concurrent}) {
    EXPECT_EQ(delta(*d, indexed), delta(*d, unindexed));
    Hash joined = indexed;
    joined.merge(delta(*d, indexed));
    EXPECT_EQ(joined, join(indexed, *d));
  }
  EXPECT_FALSE(is_bot(delta(removal, indexed)));  // field 3's write, alive there, removed here
  EXPECT_TRUE(is_bot(delta(indexed, indexed)));
}

}  // namespace
}  // namespace calm::lattices
