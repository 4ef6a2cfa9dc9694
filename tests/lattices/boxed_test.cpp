// Boxed<L>: the same lattice and the same bytes as L, with no memory while bottom.
#include <gtest/gtest.h>

#include <boost/hana/define_struct.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "lattices/lattices.hpp"

namespace calm_boxed_test {

using namespace calm::lattices;

// A product in which most fields stay at bottom, as calm-kvs's KeyValue.
struct Sparse {
  BOOST_HANA_DEFINE_STRUCT(Sparse, (Max<int>, version), (Boxed<AWSet<std::string>>, tags),
                           (Boxed<PNCounter<>>, count));
  friend bool operator==(const Sparse&, const Sparse&) = default;
};
struct Plain {
  BOOST_HANA_DEFINE_STRUCT(Plain, (Max<int>, version), (AWSet<std::string>, tags),
                           (PNCounter<>, count));
  friend bool operator==(const Plain&, const Plain&) = default;
};

// A lattice with an std::hash, to see Boxed hash as it.
struct Flag {
  bool on = false;
  bool merge(const Flag& other) {
    const bool changed = !on && other.on;
    on = on || other.on;
    return changed;
  }
  friend bool operator==(const Flag&, const Flag&) = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(on);
  }
};

// A user's lattice with a cereal class version, which cereal writes once per archive: a box
// cannot write its bottom from bytes made once in another archive.
struct VersionedFlag {
  bool on = false;
  bool merge(const VersionedFlag& other) {
    const bool changed = !on && other.on;
    on = on || other.on;
    return changed;
  }
  friend bool operator==(const VersionedFlag&, const VersionedFlag&) = default;
  template <class Archive>
  void serialize(Archive& ar, std::uint32_t /*version*/) {
    ar(on);
  }
};
// A lattice that counts the values built, to see that decoding an empty box builds none.
struct CountedFlag {
  static inline int built = 0;
  bool on = false;
  CountedFlag() { ++built; }
  CountedFlag(const CountedFlag& other) : on(other.on) { ++built; }
  CountedFlag& operator=(const CountedFlag&) = default;
  bool merge(const CountedFlag& other) {
    const bool changed = !on && other.on;
    on = on || other.on;
    return changed;
  }
  friend bool operator==(const CountedFlag&, const CountedFlag&) = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(on);
  }
};
struct CountedFlags {
  BOOST_HANA_DEFINE_STRUCT(CountedFlags, (Boxed<CountedFlag>, a), (Max<int>, version),
                           (Boxed<CountedFlag>, b));
  friend bool operator==(const CountedFlags&, const CountedFlags&) = default;
};

struct TwoBoxedFlags {
  BOOST_HANA_DEFINE_STRUCT(TwoBoxedFlags, (Boxed<VersionedFlag>, a), (Boxed<VersionedFlag>, b));
  friend bool operator==(const TwoBoxedFlags&, const TwoBoxedFlags&) = default;
};
struct TwoFlags {
  BOOST_HANA_DEFINE_STRUCT(TwoFlags, (VersionedFlag, a), (VersionedFlag, b));
  friend bool operator==(const TwoFlags&, const TwoFlags&) = default;
};

}  // namespace calm_boxed_test

CEREAL_CLASS_VERSION(calm_boxed_test::VersionedFlag, 1);

template <>
struct std::hash<calm_boxed_test::Flag> {
  std::size_t operator()(const calm_boxed_test::Flag& f) const noexcept { return f.on ? 7 : 3; }
};

namespace calm_boxed_test {
namespace {

// Boxed satisfies exactly the concepts its L satisfies.
static_assert(Lattice<Boxed<Max<int>>> && BoundedLattice<Boxed<Max<int>>>);
static_assert(!BoundedLattice<Boxed<AWSet<int>>>);
static_assert(Atomizable<Boxed<AWSet<int>>> && DeltaLattice<Boxed<AWSet<int>>>);
static_assert(Atomizable<Boxed<PNCounter<>>> == Atomizable<PNCounter<>>);
static_assert(DeltaLattice<Boxed<PNCounter<>>> == DeltaLattice<PNCounter<>>);
static_assert(Atomizable<Boxed<LWWRegister<int>>> == Atomizable<LWWRegister<int>>);
static_assert(!Atomizable<Boxed<Flag>> && !DeltaLattice<Boxed<Flag>>);
static_assert(Lattice<Sparse> && Atomizable<Sparse> && DeltaLattice<Sparse>);
static_assert(Lattice<MapUnion<std::string, Boxed<PNCounter<>>>>);
static_assert(Lattice<Pair<Boxed<Max<int>>, Boxed<SetUnion<int>>>>);
static_assert(Lattice<ORMap<int, Boxed<Max<int>>>>);
static_assert(Lattice<Boxed<Boxed<Max<int>>>>);
// One pointer, whatever L weighs.
static_assert(sizeof(Boxed<AWSet<std::string>>) == sizeof(void*));
static_assert(std::is_nothrow_move_constructible_v<Boxed<AWSet<int>>>);
static_assert(std::is_invocable_v<std::hash<Boxed<Flag>>, const Boxed<Flag>&>);
static_assert(!std::is_invocable_v<std::hash<Boxed<Max<int>>>, const Boxed<Max<int>>&>);

TEST(Boxed, TheEmptyBoxIsBottomAndHoldsNoMemory) {
  const Boxed<AWSet<std::string>> empty;
  EXPECT_TRUE(is_bot(empty));
  EXPECT_FALSE(empty.allocated());
  EXPECT_EQ(empty.value(), AWSet<std::string>{});
  EXPECT_TRUE(empty->empty());
}

TEST(Boxed, BoxingBottomAllocatesNothing) {
  EXPECT_FALSE(Boxed<Max<int>>(Max<int>{}).allocated());
  Boxed<Max<int>> b(Max<int>{4});
  EXPECT_TRUE(b.allocated());
  b = Max<int>{};
  EXPECT_FALSE(b.allocated());
}

TEST(Boxed, ReadingComparingAndEncodingAnEmptyBoxAllocateNothing) {
  Boxed<AWSet<std::string>> empty;
  const Boxed<AWSet<std::string>> other;
  (void)empty.value();
  (void)*empty;
  (void)empty->contains("x");
  (void)(empty == other);
  (void)compare(empty, other);
  (void)to_bytes(empty);
  (void)delta(empty, other);
  (void)atomize(empty);
  empty.merge(other);
  EXPECT_FALSE(empty.allocated());
}

TEST(Boxed, AWriteAllocatesTheBoxInPlace) {
  Boxed<AWSet<std::string>> b;
  const auto d = b.mutable_value().add(1, "x");
  EXPECT_TRUE(b.allocated());
  EXPECT_TRUE(b->contains("x"));
  EXPECT_EQ(b, Boxed<AWSet<std::string>>(d));
}

TEST(Boxed, ABoxLeftAtBottomIsTheEmptyBoxInEveryRespect) {
  Boxed<Flag> left;
  left.mutable_value();  // a writer that wrote nothing
  const Boxed<Flag> empty;
  ASSERT_TRUE(left.allocated());
  EXPECT_TRUE(is_bot(left));
  EXPECT_EQ(left, empty);
  EXPECT_EQ(empty, left);
  EXPECT_EQ(compare(left, empty), std::partial_ordering::equivalent);
  EXPECT_EQ(to_bytes(left), to_bytes(empty));
  EXPECT_EQ(std::hash<Boxed<Flag>>{}(left), std::hash<Boxed<Flag>>{}(empty));
  // and the next copy, merge or assignment drops it
  EXPECT_FALSE(Boxed<Flag>(left).allocated());
  Boxed<Flag> target;
  EXPECT_FALSE(target.merge(left));
  EXPECT_FALSE(target.allocated());
  Boxed<Flag> assigned(Flag{true});
  assigned = left;
  EXPECT_FALSE(assigned.allocated());
}

TEST(Boxed, HashesAsItsValue) {
  EXPECT_EQ(std::hash<Boxed<Flag>>{}(Boxed<Flag>(Flag{true})), std::hash<Flag>{}(Flag{true}));
  EXPECT_EQ(std::hash<Boxed<Flag>>{}(Boxed<Flag>{}), std::hash<Flag>{}(Flag{}));
}

TEST(Boxed, ACopyIsDeep) {
  Boxed<SetUnion<int>> a(SetUnion<int>{1});
  Boxed<SetUnion<int>> b = a;
  b.mutable_value().merge(SetUnion<int>{2});
  EXPECT_EQ(a.value(), SetUnion<int>{1});
  EXPECT_EQ(b.value(), (SetUnion<int>{1, 2}));
  a = b;
  b.mutable_value().merge(SetUnion<int>{3});
  EXPECT_EQ(a.value(), (SetUnion<int>{1, 2}));
}

TEST(Boxed, AMoveTakesTheBoxAndLeavesBottom) {
  Boxed<SetUnion<int>> a(SetUnion<int>{1});
  const SetUnion<int>* inside = &*a;
  Boxed<SetUnion<int>> b = std::move(a);
  EXPECT_EQ(&*b, inside);
  EXPECT_TRUE(is_bot(a));  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_FALSE(a.allocated());
}

TEST(Boxed, MergingAnRvalueIntoBottomTakesItsBox) {
  Boxed<SetUnion<int>> into;
  Boxed<SetUnion<int>> from(SetUnion<int>{1, 2});
  const SetUnion<int>* inside = &*from;
  EXPECT_TRUE(into.merge(std::move(from)));
  EXPECT_EQ(&*into, inside);
  EXPECT_FALSE(from.allocated());  // NOLINT(bugprone-use-after-move)
  // into something, the rvalue's box is freed: a moved-from Boxed is bottom, not a moved-from L
  Boxed<SetUnion<int>> more(SetUnion<int>{3});
  EXPECT_TRUE(into.merge(std::move(more)));
  EXPECT_FALSE(more.allocated());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(into.value(), (SetUnion<int>{1, 2, 3}));
}

// Found by a review: merging a box into itself as an rvalue (a product's rvalue merge does so
// field by field) emptied it, and said nothing changed.
TEST(Boxed, MergingItselfAsAnRvalueChangesNothing) {
  Boxed<GCounter<int>> box;
  box.mutable_value().increment(1, 3);
  const Boxed<GCounter<int>> before = box;
  EXPECT_FALSE(merge(box, std::move(box)));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(box, before);
  std::pair<Boxed<GCounter<int>>, GCounter<int>> pair{before, {}};
  pair.second.increment(2, 1);
  const auto pair_before = pair;
  EXPECT_FALSE(merge(pair, std::move(pair)));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(pair, pair_before);
}

TEST(Boxed, MergeCompareDeltaAndAtomsAreTheInnerLattices) {
  AWSet<int> x;
  x.add(1, 10);
  x.add(1, 11);
  AWSet<int> y;
  y.add(2, 10);
  const Boxed<AWSet<int>> bx(x);
  const Boxed<AWSet<int>> by(y);
  EXPECT_EQ(join(bx, by).value(), join(x, y));
  EXPECT_EQ(compare(bx, by), compare(x, y));
  EXPECT_EQ(compare(bx, join(bx, by)), std::partial_ordering::less);
  EXPECT_EQ(delta(bx, by).value(), delta(x, y));
  const auto atoms = atomize(bx);
  const auto inner_atoms = atomize(x);
  ASSERT_EQ(atoms.size(), inner_atoms.size());
  for (std::size_t i = 0; i < atoms.size(); ++i) EXPECT_EQ(atoms[i].value(), inner_atoms[i]);
  EXPECT_EQ(decompose(bx).size(), decompose(x).size());
}

TEST(Boxed, TopAndRevealAreTheInnerLattices) {
  EXPECT_TRUE(is_top(Boxed<Max<int>>::top()));
  EXPECT_FALSE(is_top(Boxed<Max<int>>{}));
  EXPECT_EQ(reveal(Boxed<Max<int>>(Max<int>{3})), 3);
  EXPECT_EQ(reveal(Boxed<Max<int>>{}), reveal(Max<int>{}));
}

// The bytes: to_bytes(Boxed<L>{x}) == to_bytes(x), bottom included, and they decode back either
// way. (The bytes of L itself are pinned in serialization_test.cpp.)
template <class L>
void expect_same_bytes(const L& x) {
  const std::string bytes = to_bytes(x);
  EXPECT_EQ(to_bytes(Boxed<L>(x)), bytes);
  EXPECT_EQ(from_bytes<Boxed<L>>(bytes), Boxed<L>(x));
  EXPECT_EQ(from_bytes<L>(to_bytes(Boxed<L>(x))), x);
  EXPECT_EQ(from_bytes<Boxed<L>>(bytes).allocated(), !is_bot(x));
}

TEST(BoxedBytes, AreTheInnerLatticesBytesBottomIncluded) {
  expect_same_bytes(Max<int>{});
  expect_same_bytes(Max<int>{-5});
  AWSet<std::string> set;
  expect_same_bytes(set);
  set.add(3, "a");
  set.add(1, "b");
  set.remove("a");
  expect_same_bytes(set);
  PNCounter<> counter;
  expect_same_bytes(counter);
  counter.increment(1, 5);
  counter.decrement(2, 7);
  expect_same_bytes(counter);
  expect_same_bytes(MapUnion<std::string, Max<int>>{});
  expect_same_bytes(MapUnion<std::string, Max<int>>{{"k", Max<int>{1}}});
}

TEST(BoxedBytes, BoxingFieldsOfAStructChangesNoByte) {
  Sparse sparse;
  Plain plain;
  EXPECT_EQ(to_bytes(sparse), to_bytes(plain));
  sparse.version = Max<int>{2};
  plain.version = Max<int>{2};
  EXPECT_EQ(to_bytes(sparse), to_bytes(plain));
  sparse.tags.mutable_value().add(1, "t");
  plain.tags.add(1, "t");
  sparse.count.mutable_value().increment(4, 9);
  plain.count.increment(4, 9);
  const std::string bytes = to_bytes(plain);
  EXPECT_EQ(to_bytes(sparse), bytes);
  EXPECT_EQ(from_bytes<Sparse>(bytes), sparse);
}

TEST(BoxedBytes, AnEmptyBoxOfAVersionedTypeWritesWhatTheTypeWouldHereAndNow) {
  // Each empty box writes its bottom from bytes made once, unless those depend on what the
  // archive wrote before: a class version is written at the first flag only.
  const TwoBoxedFlags boxed;
  const std::string bytes = to_bytes(TwoFlags{});
  EXPECT_EQ(to_bytes(boxed), bytes);
  EXPECT_EQ(encoded_size(boxed), bytes.size());
  EXPECT_EQ(from_bytes<TwoBoxedFlags>(bytes), boxed);
}

TEST(BoxedBytes, DecodingAnEmptyBoxBuildsNoInnerLattice) {
  CountedFlags value;
  value.version = Max<int>{7};
  const std::string bottoms = to_bytes(value);  // also makes the box's bottom once
  value.b.mutable_value().on = true;
  const std::string one_set = to_bytes(value);
  CountedFlag::built = 0;
  const auto decoded = from_bytes<CountedFlags>(bottoms);
  EXPECT_EQ(CountedFlag::built, 0);
  EXPECT_FALSE(decoded.a.allocated());
  EXPECT_FALSE(decoded.b.allocated());
  EXPECT_EQ(decoded.version, Max<int>{7});
  // A box that is not empty decodes as before, after an empty one.
  const auto with_b = from_bytes<CountedFlags>(one_set);
  EXPECT_FALSE(with_b.a.allocated());
  EXPECT_TRUE(with_b.b.value().on);
  EXPECT_EQ(with_b, value);
  // Bytes cut inside an empty box's bottom are refused, as the inner decode would.
  EXPECT_THROW(from_bytes<CountedFlags>(bottoms.substr(0, bottoms.size() - 1)), DecodeError);
}

TEST(BoxedBytes, NonCanonicalInnerBytesAreRefusedAsForTheInnerLattice) {
  // A MapUnion entry holding bottom is not canonical: Boxed passes L's refusal on.
  std::string bytes = to_bytes(MapUnion<int, Max<int>>{{1, Max<int>{5}}});
  const std::string five = to_bytes(Max<int>{5}).substr(1);
  const std::string bottom = to_bytes(Max<int>{}).substr(1);
  bytes.replace(bytes.size() - five.size(), five.size(), bottom);
  using Map = MapUnion<int, Max<int>>;
  EXPECT_THROW(from_bytes<Map>(bytes), DecodeError);
  EXPECT_THROW(from_bytes<Boxed<Map>>(bytes), DecodeError);
}

}  // namespace
}  // namespace calm_boxed_test
