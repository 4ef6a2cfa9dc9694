// Behaviour of the causality kernel (DotContext) and the dot-based CRDTs (AWSet, RWSet, EWFlag,
// DWFlag, MVRegister, ORMap): the scenarios of Almeida et al. ("Delta State Replicated Data
// Types"), Shapiro et al.'s CRDT catalog and riak_dt, each named by the behaviour it pins.
//
// The AWSet keeps a fast representation of its own; AWSetAgainstTheDottedAlgebra checks, after
// every merge of a long randomized run, that it holds exactly the value of the reference algebra
// Dotted<DotMap<T, DotSet>>, mutated and joined by the textbook rules written out below.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

template <class T>
std::string printed(const T& value) {
  std::ostringstream os;
  os << value;
  return os.str();
}

using Dot1 = Dot<std::uint64_t>;
using Runs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
using Cloud = std::vector<DotContext<>::Range>;

// ---- DotContext -----------------------------------------------------------------------------

TEST(DotContext, ConsecutiveDotsCompactIntoARunWithAnEmptyCloud) {
  DotContext<> context;
  EXPECT_TRUE(context.insert({1, 1}));
  EXPECT_TRUE(context.insert({1, 2}));
  EXPECT_TRUE(context.insert({1, 3}));
  EXPECT_FALSE(context.insert({1, 2}));  // seen already
  EXPECT_EQ(context.runs(), (Runs{{1, 3}}));
  EXPECT_TRUE(context.cloud().empty());
  EXPECT_EQ(context.count(), 3u);
  EXPECT_EQ(printed(context), "DotContext{1: 1..3}");
}

TEST(DotContext, ADotPastAGapStaysInTheCloudAndFoldsInWhenTheGapIsFilled) {
  DotContext<> context{{1, 1}, {1, 3}, {1, 5}, {2, 2}};
  EXPECT_EQ(context.runs(), (Runs{{1, 1}}));
  EXPECT_EQ(context.cloud(), (Cloud{{1, 3, 3}, {1, 5, 5}, {2, 2, 2}}));

  context.insert({1, 2});  // fills 1's first gap: 1..3, and (1, 5) still waits
  EXPECT_EQ(context.runs(), (Runs{{1, 3}}));
  EXPECT_EQ(context.cloud(), (Cloud{{1, 5, 5}, {2, 2, 2}}));

  context.insert({2, 1});  // a new replica's first dot starts its run and absorbs (2, 2)
  EXPECT_EQ(context.runs(), (Runs{{1, 3}, {2, 2}}));
  EXPECT_EQ(context.cloud(), (Cloud{{1, 5, 5}}));
  EXPECT_EQ(printed(context), "DotContext{1: 1..3, 2: 1..2, (1, 5)}");
}

TEST(DotContext, MergingTheMissingDotFoldsTheCloudIntoTheRun) {
  DotContext<> holes{{1, 1}, {1, 3}, {1, 4}};
  const DotContext<> filler{{1, 2}};
  EXPECT_TRUE(holes.merge(filler));
  EXPECT_EQ(holes.runs(), (Runs{{1, 4}}));
  EXPECT_TRUE(holes.cloud().empty());
  EXPECT_FALSE(holes.merge(filler));  // nothing new the second time
}

TEST(DotContext, NextIsOnePastTheLargestDotSeenIncludingTheCloud) {
  const DotContext<> context{{1, 1}, {1, 2}, {1, 7}};
  EXPECT_EQ(context.next(1), (Dot1{1, 8}));
  EXPECT_EQ(context.next(2), (Dot1{2, 1}));  // a replica never seen starts at 1
  EXPECT_EQ(context.max(1), 7u);
}

TEST(DotContext, ContainsTheRunAndCloudDotsAndNothingElse) {
  const DotContext<> context{{1, 1}, {1, 2}, {1, 5}, {3, 2}};
  for (const Dot1 d : {Dot1{1, 1}, Dot1{1, 2}, Dot1{1, 5}, Dot1{3, 2}}) {
    EXPECT_TRUE(context.contains(d)) << d;
  }
  for (const Dot1 d : {Dot1{1, 3}, Dot1{1, 4}, Dot1{1, 6}, Dot1{2, 1}, Dot1{3, 1}, Dot1{3, 3}}) {
    EXPECT_FALSE(context.contains(d)) << d;
  }
}

TEST(DotContext, ADotWithCounterZeroIsRefused) {
  DotContext<> context;
  EXPECT_THROW(context.insert({1, 0}), std::invalid_argument);
  EXPECT_TRUE(context.is_bot());
}

TEST(DotContext, ACopyIsIndependentOfTheOriginal) {
  DotContext<> original{{1, 1}};
  DotContext<> copy = original;
  copy.insert(copy.next(1));
  copy.insert({2, 4});
  EXPECT_EQ(original, (DotContext<>{{1, 1}}));
  EXPECT_EQ(original.next(1), (Dot1{1, 2}));
}

TEST(DotContext, MergeIsTheUnionOfTheDotsWhateverThePathTaken) {
  // Small and large contexts (the merge inserts a small one dot by dot, rebuilds otherwise),
  // with gaps, against std::set as the reference. The result must also be in normal form.
  std::mt19937 rng(7);
  auto random_dots = [&](std::size_t n, std::uint64_t replicas, std::uint64_t max_counter) {
    std::set<Dot1> dots;
    std::uniform_int_distribution<std::uint64_t> replica(1, replicas);
    std::uniform_int_distribution<std::uint64_t> counter(1, max_counter);
    while (dots.size() < n) dots.insert({replica(rng), counter(rng)});
    return dots;
  };
  auto context_of = [](const std::set<Dot1>& dots) {
    DotContext<> c;
    for (const Dot1& d : dots) c.insert(d);
    return c;
  };
  auto runs_plus_a_few = [&](std::uint64_t replicas) {
    std::set<Dot1> dots = random_dots(3, 4, 60);
    for (std::uint64_t id = 1; id <= replicas; ++id) {
      const std::uint64_t n = std::uniform_int_distribution<std::uint64_t>(1, 70)(rng);
      for (std::uint64_t k = 1; k <= n; ++k) dots.insert({id, k});
    }
    return dots;
  };
  for (int round = 0; round < 400; ++round) {
    const bool big_left = (round / 4) % 2 == 0;
    const std::set<Dot1> left = big_left ? random_dots(80, 4, 60) : runs_plus_a_few(1);
    std::set<Dot1> right;
    switch (round % 4) {
      case 0:
        right = random_dots(60, 4, 60);
        break;
      case 1:
        right = random_dots(4, 4, 60);
        break;
      case 2:
        right = runs_plus_a_few(2);
        break;
      default:
        right = runs_plus_a_few(3);
        break;
    }
    std::set<Dot1> both = left;
    both.insert(right.begin(), right.end());

    DotContext<> merged = context_of(left);
    const bool changed = merged.merge(context_of(right));
    EXPECT_EQ(changed, both.size() != left.size()) << "round " << round;
    ASSERT_EQ(merged, context_of(both)) << "round " << round;
    std::vector<Dot1> listed;
    merged.for_each([&](const Dot1& d) { listed.push_back(d); });
    ASSERT_EQ(listed, std::vector<Dot1>(both.begin(), both.end())) << "round " << round;
    for (const auto& r : merged.cloud()) {
      std::uint64_t run = 0;
      for (const auto& [id, n] : merged.runs()) {
        if (id == r.replica) run = n;
      }
      ASSERT_GT(r.first, run + 1) << "a cloud range belongs in its run: " << merged;
    }
    for (std::size_t i = 1; i < merged.cloud().size(); ++i) {
      const auto& [before, after] = std::pair(merged.cloud()[i - 1], merged.cloud()[i]);
      ASSERT_TRUE(before.replica < after.replica || before.last + 1 < after.first)
          << "cloud ranges touch or overlap: " << merged;
    }
  }
}

// ---- Claims far beyond the encoded size ----------------------------------------------------
// A context of a few ranges may claim billions of dots. Every operation but for_each and
// atomize must cost what the ranges cost: broken, these tests hang until CTest's timeout.

constexpr std::uint64_t k2to31 = std::uint64_t{1} << 31;
constexpr std::uint64_t k2to40 = std::uint64_t{1} << 40;
constexpr std::uint64_t k2to62 = std::uint64_t{1} << 62;

/// Replica 1: 1..2^31. Replica 2: 2^40..2^40+5 and 2^62, past huge gaps. Replica 3: 1..2^62.
DotContext<> hostile_context() {
  DotContext<> c;
  c.insert_range(1, 1, k2to31);
  c.insert_range(2, k2to40, k2to40 + 5);
  c.insert({2, k2to62});
  c.insert_range(3, 1, k2to62);
  return c;
}

TEST(DotContextClaims, AContextClaimingBillionsOfDotsIsDeltadMergedAndComparedByRanges) {
  const DotContext<> big = hostile_context();
  const DotContext<> small{{1, 1}, {1, 2}, {1, 3}, {1, 100}, {2, k2to40 + 3}, {4, 7}};
  EXPECT_EQ(big.count(), k2to31 + 6 + 1 + k2to62);

  DotContext<> expected;  // big minus small
  expected.insert_range(1, 4, 99);
  expected.insert_range(1, 101, k2to31);
  expected.insert_range(2, k2to40, k2to40 + 2);
  expected.insert_range(2, k2to40 + 4, k2to40 + 5);
  expected.insert({2, k2to62});
  expected.insert_range(3, 1, k2to62);
  EXPECT_EQ(big.delta(small), expected);
  EXPECT_EQ(small.delta(big), (DotContext<>{{4, 7}}));

  DotContext<> merged = small;
  EXPECT_TRUE(merged.merge(big));
  EXPECT_TRUE(merged.contains({1, k2to31}));
  EXPECT_FALSE(merged.contains({1, k2to31 + 1}));
  EXPECT_TRUE(merged.contains({2, k2to40 + 3}));
  EXPECT_FALSE(merged.contains({2, k2to40 + 6}));
  EXPECT_TRUE(merged.contains({4, 7}));
  EXPECT_EQ(merged.next(2), (Dot1{2, k2to62 + 1}));
  EXPECT_EQ(compare(big, merged), std::partial_ordering::less);
  EXPECT_EQ(compare(big, small), std::partial_ordering::unordered);
  EXPECT_TRUE(merged.delta(big) == (DotContext<>{{4, 7}}));
  // The small-delta path (a large context merging a small one) as well.
  DotContext<> many;
  for (std::uint64_t r = 10; r < 50; ++r) many.insert({r, 2});
  DotContext<> claim;
  claim.insert_range(1, 1, k2to62);
  EXPECT_TRUE(many.merge(claim));
  EXPECT_TRUE(many.contains({1, k2to62}));
  EXPECT_EQ(from_bytes<DotContext<>>(to_bytes(merged)), merged);
}

TEST(DotContextClaims, AtomsPastHugeGapsAreOnePerDot) {
  DotContext<> gaps{{1, k2to40}, {2, k2to62}, {2, k2to62 + 2}};
  gaps.insert_range(3, k2to31, k2to31 + 1);
  const std::vector<DotContext<>> atoms = atomize(gaps);
  ASSERT_EQ(atoms.size(), 5u);
  DotContext<> rejoined;
  for (const DotContext<>& atom : atoms) rejoined.merge(atom);
  EXPECT_EQ(rejoined, gaps);
}

TEST(DotContextClaims, AnAWSetDeltaClaimingBillionsOfDotsIsDeltadMergedAndDecomposed) {
  // A replica's honest state: three elements, a removal, a history of a few dots.
  AWSet<int> state;
  state.add(1, 10);
  state.add(2, 20);
  state.add(1, 30);
  state.remove(30);
  // A peer's 60-byte delta: one element, and a context claiming every dot of three replicas.
  DotMap<int, DotSet<>> store{{40, DotSet<>{Dot1{1, k2to31}}}};
  const AWSet<int> hostile(Dotted<DotMap<int, DotSet<>>>(store, hostile_context()));
  EXPECT_LT(to_bytes(hostile).size(), 200u);

  const AWSet<int> fresh = delta(hostile, state);
  EXPECT_EQ(join(state, fresh), join(state, hostile));
  EXPECT_TRUE(compare(fresh, hostile) <= 0);
  // It removes what it claims to have seen: 10 (dot (1, 1)); 20 (dot (2, 1)) was not claimed.
  const AWSet<int> merged = join(state, hostile);
  EXPECT_EQ(merged.elements(), (std::vector<int>{20, 40}));
  EXPECT_EQ(join(hostile, state), merged);
  // The other way: only 20, which the claims do not cover, is new to the hostile side.
  EXPECT_EQ(delta(state, hostile).elements(), (std::vector<int>{20}));
  EXPECT_EQ(join(hostile, delta(state, hostile)), merged);

  const std::vector<AWSet<int>> parts = decompose(merged);
  EXPECT_LE(parts.size(), 8u);
  AWSet<int> rejoined;
  for (const AWSet<int>& part : parts) {
    EXPECT_FALSE(is_bot(part));
    rejoined.merge(part);
  }
  EXPECT_EQ(rejoined, merged);
}

// ---- AWSet: scenarios -----------------------------------------------------------------------

TEST(AWSet, ConcurrentAddAndRemoveOfTheSameElementKeepsIt) {
  AWSet<std::string> a, b;
  b.merge(a.add(1, "x"));
  const auto re_add = a.add(1, "x");  // concurrent with b's remove
  const auto remove = b.remove("x");
  a.merge(remove);
  b.merge(re_add);
  EXPECT_TRUE(a.contains("x"));
  EXPECT_TRUE(b.contains("x"));
  EXPECT_EQ(a, b);
}

TEST(AWSet, ConcurrentAddAtOneReplicaAndRemoveAtAnotherKeepsTheUnseenAdd) {
  AWSet<std::string> a, b, c;
  const auto first = a.add(1, "x");
  b.merge(first);
  const auto remove = b.remove("x");  // saw a's add only
  const auto other = c.add(3, "x");   // b never saw this add
  for (AWSet<std::string>* r : {&a, &b, &c}) {
    r->merge(first);
    r->merge(remove);
    r->merge(other);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_TRUE(a.contains("x"));
  EXPECT_EQ(a.dotted().store().find("x")->size(), 1u);  // only c's tag survives
}

TEST(AWSet, RemoveThenReAddBringsTheElementBack) {
  AWSet<int> a, b;
  const auto add = a.add(1, 5);
  const auto remove = a.remove(5);
  EXPECT_FALSE(a.contains(5));
  const auto re_add = a.add(1, 5);
  EXPECT_TRUE(a.contains(5));
  for (const auto* d : {&re_add, &remove, &add}) b.merge(*d);  // delivered backwards
  EXPECT_EQ(a, b);
  EXPECT_TRUE(b.contains(5));
}

TEST(AWSet, ClearRemovesWhatItSawButNotAConcurrentAdd) {
  AWSet<int> a, b;
  for (int x : {1, 2, 3}) b.merge(a.add(1, x));
  const auto concurrent = a.add(1, 4);
  const auto clear = b.clear();
  EXPECT_TRUE(b.empty());
  a.merge(clear);
  b.merge(concurrent);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.elements(), (std::vector<int>{4}));
}

TEST(AWSet, ClearConcurrentWithAReAddOfAClearedElementKeepsIt) {
  AWSet<int> a, b;
  for (int x : {1, 2}) b.merge(a.add(1, x));
  const auto re_add = a.add(1, 2);
  const auto clear = b.clear();
  a.merge(clear);
  b.merge(re_add);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.elements(), (std::vector<int>{2}));
}

TEST(AWSet, AnAddsDeltaMergedTwiceOrOutOfOrderConverges) {
  AWSet<std::string> a, b, c;
  const auto d1 = a.add(1, "x");
  const auto d2 = a.add(1, "y");
  const auto d3 = a.remove("x");
  const auto d4 = a.add(1, "z");
  for (const auto* d : {&d4, &d2, &d4, &d3, &d1, &d3, &d1}) b.merge(*d);
  for (const auto* d : {&d3, &d1, &d2, &d2, &d4}) c.merge(*d);
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(b.elements(), (std::vector<std::string>{"y", "z"}));
  EXPECT_FALSE(c.merge(d1));                      // a duplicate changes nothing
  EXPECT_EQ(b.context().runs(), (Runs{{1, 3}}));  // the out-of-order dots folded into one run
  EXPECT_TRUE(b.context().cloud().empty());
}

TEST(AWSet, ARemoveDeliveredBeforeItsAddStillRemovesIt) {
  AWSet<int> a, b;
  const auto add = a.add(1, 9);
  const auto remove = a.remove(9);
  b.merge(remove);             // b learns that (1, 1) was removed before it learns (1, 1)
  EXPECT_FALSE(b.merge(add));  // nothing changes: b knows the tag is gone
  EXPECT_FALSE(b.contains(9));
  EXPECT_EQ(a, b);
}

TEST(AWSet, ElementsAreSortedAndSizeCountsElementsNotTags) {
  AWSet<int> a, b;
  for (int x : {30, 10, 20}) a.add(1, x);
  b.add(2, 10);  // a second, concurrent tag on 10
  a.merge(b);
  EXPECT_EQ(a.elements(), (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.dotted().store().find(10)->size(), 2u);
  EXPECT_EQ(printed(AWSet<int>{}), "AWSetDotted{{}, DotContext{}}");
}

TEST(AWSet, AnAddDropsTheTagsItSaw) {
  AWSet<int> a, b;
  a.add(1, 10);
  b.add(2, 10);
  a.merge(b);
  const auto delta = a.add(1, 10);  // one tag again; the delta removes both old ones
  EXPECT_EQ(a.dotted().store().find(10)->size(), 1u);
  EXPECT_EQ(delta.context(), (DotContext<>{{1, 1}, {1, 2}, {2, 1}}));
  b.merge(delta);
  EXPECT_EQ(a, b);
}

TEST(AWSet, RemovingAnAbsentElementIsABottomDelta) {
  AWSet<int> set;
  set.add(1, 1);
  const AWSet<int> before = set;
  const AWSet<int> delta = set.remove(2);
  EXPECT_TRUE(is_bot(delta));
  EXPECT_EQ(set, before);
  EXPECT_TRUE(is_bot(AWSet<int>{}.remove(1)));
}

TEST(AWSet, ACopyAddsWithoutChangingTheOriginal) {
  // delta-enabled-crdts shares the causal context between copies, so a copy's add moves the
  // original's context; a calm AWSet is a value.
  AWSet<std::string> original;
  original.add(1, "x");
  AWSet<std::string> copy = original;
  copy.add(1, "y");
  copy.remove("x");
  EXPECT_EQ(original.elements(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(original.context(), (DotContext<>{{1, 1}}));
  EXPECT_EQ(original.context().next(1), (Dot1{1, 2}));
}

TEST(AWSet, DottedIsTheDotMapOfAlmeidaEtAlAndConvertsBack) {
  AWSet<int> set;
  set.add(1, 4);
  set.add(1, 2);
  set.remove(4);
  const Dotted<DotMap<int, DotSet<>>> expected(DotMap<int, DotSet<>>{{2, DotSet<>{Dot1{1, 2}}}},
                                               DotContext<>{{1, 1}, {1, 2}});
  EXPECT_EQ(set.dotted(), expected);
  EXPECT_EQ(AWSet<int>(expected), set);
}

// ---- AWSet against the reference algebra ----------------------------------------------------

using IntTags = DotMap<int, DotSet<>>;
using RefSet = Dotted<IntTags>;

// The textbook AWSet (Almeida et al., figure 3), on the generic Dotted join.
DotContext<> observed_tags(const RefSet& s, int x) {
  DotContext<> seen;
  if (const DotSet<>* tags = s.store().find(x)) {
    for (const Dot1& d : *tags) seen.insert(d);
  }
  return seen;
}
RefSet ref_add(RefSet& s, std::uint64_t id, int x) {
  const Dot1 d = s.context().next(id);
  DotContext<> seen = observed_tags(s, x);
  seen.insert(d);
  const RefSet delta(IntTags{{x, DotSet<>{d}}}, std::move(seen));
  s.merge(delta);
  return delta;
}
RefSet ref_remove(RefSet& s, int x) {
  const RefSet delta(IntTags{}, observed_tags(s, x));
  s.merge(delta);
  return delta;
}
RefSet ref_clear(RefSet& s) {
  DotContext<> seen;
  s.store().for_each_dot([&](const Dot1& d) { seen.insert(d); });
  const RefSet delta(IntTags{}, std::move(seen));
  s.merge(delta);
  return delta;
}

::testing::AssertionResult same_as_reference(const AWSet<int>& fast, const RefSet& ref) {
  if (!(fast.dotted() == ref)) {
    return ::testing::AssertionFailure()
           << "\n  fast:      " << fast.dotted() << "\n  reference: " << ref;
  }
  std::vector<int> keys;
  for (const auto& entry : ref.store()) keys.push_back(entry.first);
  if (fast.elements() != keys || fast.size() != keys.size() || fast.empty() != keys.empty()) {
    return ::testing::AssertionFailure()
           << "elements()/size() disagree with dotted(): size " << fast.size() << " for "
           << ::testing::PrintToString(keys) << ", elements() "
           << ::testing::PrintToString(fast.elements());
  }
  if (!(AWSet<int>(ref) == fast)) {
    return ::testing::AssertionFailure() << "AWSet(reference) != fast set";
  }
  return ::testing::AssertionSuccess();
}

TEST(AWSetAgainstTheDottedAlgebra, ALargeJoinEqualsTheGenericDottedJoin) {
  AWSet<int> a, b;
  RefSet ra, rb;
  for (int x = 0; x < 330; ++x) {
    a.add(1, x);
    ref_add(ra, 1, x);
  }
  b.merge(a);  // b saw every add of a...
  rb.merge(ra);
  for (int x = 150; x < 450; ++x) {  // ...then both go on concurrently
    b.add(2, x);
    ref_add(rb, 2, x);
  }
  for (int x = 0; x < 330; x += 3) {
    a.remove(x);
    ref_remove(ra, x);
  }
  for (int x = 100; x < 400; x += 7) {
    b.remove(x);
    ref_remove(rb, x);
  }
  ASSERT_TRUE(same_as_reference(a, ra));
  ASSERT_TRUE(same_as_reference(b, rb));
  ASSERT_GT(a.size(), 200u);
  ASSERT_GT(b.size(), 200u);

  const AWSet<int> a_before = a;
  EXPECT_EQ(a.merge(b), RefSet(ra).merge(rb));
  RefSet joined = ra;
  joined.merge(rb);
  EXPECT_TRUE(same_as_reference(a, joined));
  AWSet<int> b_then_a = b;
  b_then_a.merge(a_before);
  EXPECT_TRUE(same_as_reference(b_then_a, joined));
  EXPECT_FALSE(a.contains(3));    // a's remove takes away the stale tag b still holds
  EXPECT_TRUE(a.contains(153));   // a removed its tag, but b's concurrent re-add survives
  EXPECT_FALSE(a.contains(107));  // b removed it after seeing a's tag
  EXPECT_TRUE(a.contains(151));   // b's re-add replaced a's tag: one tag, b's
  EXPECT_EQ(a.dotted().store().find(151)->size(), 1u);
}

TEST(AWSetAgainstTheDottedAlgebra, AddsThatInterleaveWithEarlierOnesMatchTheReference) {
  // Adds only, so nothing is ever marked dead: the recent run is folded into the base in place.
  // Evens first, then odds from the top down, so every fold interleaves with the base.
  AWSet<int> a, b;
  RefSet ra, rb;
  std::vector<int> order;
  for (int x = 0; x < 400; x += 2) order.push_back(x);
  for (int x = 399; x > 0; x -= 2) order.push_back(x);
  for (const int x : order) {
    const AWSet<int> delta = a.add(1, x);
    const RefSet ref_delta = ref_add(ra, 1, x);
    ASSERT_TRUE(same_as_reference(a, ra)) << "after adding " << x;
    ASSERT_EQ(b.merge(delta), rb.merge(ref_delta));  // b takes the small-delta path
    ASSERT_TRUE(same_as_reference(b, rb)) << "after receiving " << x;
  }
  EXPECT_EQ(a.size(), 400u);
  EXPECT_EQ(a, b);
}

struct Replica {
  AWSet<int> fast;
  RefSet ref;
};
struct InFlight {
  AWSet<int> fast;
  RefSet ref;
};

// `replica_count` replicas make add/remove/clear deltas; the network delivers them late, out of
// order, duplicated and grouped; now and then two replicas exchange full states. After every step
// the fast AWSet must be the reference value and agree with it on whether a merge changed anything.
void run_against_reference(unsigned seed, int steps, int elements_max,
                           std::size_t replica_count = 3) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto uniform = [&](std::size_t n) {
    return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
  };
  const std::size_t n = replica_count;
  std::vector<Replica> replicas(n);
  std::vector<InFlight> network;

  for (int step = 0; step < steps; ++step) {
    const std::size_t i = uniform(n);
    Replica& r = replicas[i];
    const std::size_t roll = uniform(1000);
    if (roll < 380) {
      const int x = static_cast<int>(uniform(static_cast<std::size_t>(elements_max)));
      InFlight delta{r.fast.add(i + 1, x), ref_add(r.ref, i + 1, x)};
      ASSERT_TRUE(same_as_reference(delta.fast, delta.ref)) << "add's delta, step " << step;
      network.push_back(std::move(delta));
    } else if (roll < 500) {
      const std::vector<int> present = r.fast.elements();
      const int x = !present.empty() && uniform(5) != 0
                        ? present[uniform(present.size())]
                        : static_cast<int>(uniform(static_cast<std::size_t>(elements_max)));
      InFlight delta{r.fast.remove(x), ref_remove(r.ref, x)};
      ASSERT_TRUE(same_as_reference(delta.fast, delta.ref)) << "remove's delta, step " << step;
      network.push_back(std::move(delta));
    } else if (roll < 503) {
      InFlight delta{r.fast.clear(), ref_clear(r.ref)};
      ASSERT_TRUE(same_as_reference(delta.fast, delta.ref)) << "clear's delta, step " << step;
      network.push_back(std::move(delta));
    } else if (roll < 530) {
      if (network.size() < 2) continue;  // a delta group: a few deltas joined into one
      InFlight group = network[uniform(network.size())];
      for (std::size_t k = 1 + uniform(3); k > 0; --k) {
        const InFlight& other = network[uniform(network.size())];
        ASSERT_EQ(group.fast.merge(other.fast), group.ref.merge(other.ref)) << "step " << step;
      }
      ASSERT_TRUE(same_as_reference(group.fast, group.ref)) << "delta group, step " << step;
      network.push_back(std::move(group));
    } else if (roll < 550) {
      const Replica& from = replicas[(i + 1 + uniform(n - 1)) % n];
      // delta(from, r) is all r lacks: merging it must give what the full state gives.
      AWSet<int> via_delta = r.fast;
      via_delta.merge(from.fast.delta(r.fast));
      // join() builds its result afresh rather than merging into a copy: the same value.
      const AWSet<int> joined = join(r.fast, from.fast);
      const AWSet<int> joined_other_way = join(from.fast, r.fast);
      ASSERT_EQ(r.fast.merge(from.fast), r.ref.merge(from.ref)) << "full merge, step " << step;
      ASSERT_EQ(via_delta, r.fast) << "delta(), step " << step;
      ASSERT_EQ(joined, r.fast) << "join(), step " << step;
      ASSERT_EQ(joined_other_way, r.fast) << "join() the other way, step " << step;
    } else if (roll < 555) {
      // A copy starts without the dot index; rebuilding from dotted() starts from one run.
      if (uniform(2) == 0) {
        AWSet<int> copy = r.fast;
        r.fast = std::move(copy);
      } else {
        r.fast = AWSet<int>(r.fast.dotted());
      }
    } else {
      if (network.empty()) continue;
      const std::size_t k = uniform(network.size());
      // What r lacks of a delta (a small one against a large set takes a path of its own).
      ASSERT_TRUE(same_as_reference(network[k].fast.delta(r.fast), network[k].ref.delta(r.ref)))
          << "delta() of a delivery, step " << step;
      ASSERT_EQ(r.fast.merge(network[k].fast), r.ref.merge(network[k].ref))
          << "delivery, step " << step;
      if (uniform(10) >= 3) {  // else it stays in flight, to arrive again
        network[k] = std::move(network.back());
        network.pop_back();
      }
    }
    ASSERT_TRUE(same_as_reference(r.fast, r.ref)) << "replica " << i << ", step " << step;
  }

  // Quiescence: everything delivered everywhere, then full states exchanged.
  for (Replica& r : replicas) {
    for (const InFlight& delta : network) {
      r.fast.merge(delta.fast);
      r.ref.merge(delta.ref);
    }
    ASSERT_TRUE(same_as_reference(r.fast, r.ref));
  }
  for (std::size_t round = 0; round < n; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      replicas[i].fast.merge(replicas[(i + 1) % n].fast);
      replicas[i].ref.merge(replicas[(i + 1) % n].ref);
    }
  }
  for (const Replica& r : replicas) {
    ASSERT_TRUE(same_as_reference(r.fast, r.ref));
    EXPECT_EQ(r.fast, replicas[0].fast);
  }
}

TEST(AWSetAgainstTheDottedAlgebra, RandomizedReplicasMatchTheReferenceAfterEveryMerge) {
  for (const unsigned seed : {1u, 2u, 3u}) {
    run_against_reference(seed, 2500, 400);
    if (HasFatalFailure()) return;
  }
}

TEST(AWSetAgainstTheDottedAlgebra, ElevenReplicasMatchTheReference) {
  // More replicas than the set merges by cursor when it reads in element order (8): the
  // entries of each replica form a group, and past 8 groups the set sorts instead.
  for (const unsigned seed : {21u, 22u}) {
    run_against_reference(seed, 2500, 300, 11);
    if (HasFatalFailure()) return;
  }
}

TEST(AWSetAgainstTheDottedAlgebra, RandomizedReplicasOnAFewHotElementsMatchTheReference) {
  // Few elements: many concurrent tags per element, removes that hit several tags at once.
  for (const unsigned seed : {11u, 12u}) {
    run_against_reference(seed, 2000, 12);
    if (HasFatalFailure()) return;
  }
}

// ---- RWSet ----------------------------------------------------------------------------------

TEST(RWSet, ConcurrentAddAndRemoveOfTheSameElementRemovesIt) {
  RWSet<std::string> a, b;
  b.merge(a.add(1, "x"));
  const auto add = a.add(1, "x");
  const auto remove = b.remove(2, "x");
  a.merge(remove);
  b.merge(add);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.contains("x"));
  EXPECT_TRUE(a.elements().empty());
}

TEST(RWSet, AnAddThatSawTheRemoveBringsTheElementBack) {
  RWSet<std::string> a, b;
  const auto add = a.add(1, "x");
  const auto remove = b.remove(2, "x");
  a.merge(remove);
  b.merge(add);
  ASSERT_FALSE(a.contains("x"));
  b.merge(a.add(1, "x"));  // saw both tags
  EXPECT_TRUE(b.contains("x"));
  EXPECT_EQ(b.dotted().store().find("x")->size(), 1u);  // only the new add tag is left
}

TEST(RWSet, ElementsAreSortedAndSkipRemovedOnes) {
  RWSet<int> set;
  for (int x : {3, 1, 2}) set.add(1, x);
  set.remove(1, 2);
  set.remove(1, 7);  // removing an absent element leaves a remove tag, and no element
  EXPECT_EQ(set.elements(), (std::vector<int>{1, 3}));
  EXPECT_EQ(set.size(), 2u);
}

// ---- EWFlag and DWFlag ----------------------------------------------------------------------

TEST(EWFlag, StartsDisabled) { EXPECT_FALSE(EWFlag<>{}.value()); }

TEST(EWFlag, ConcurrentEnableAndDisableLeaveItEnabled) {
  EWFlag<> a, b;
  b.merge(a.enable(1));
  const auto enable = a.enable(1);
  const auto disable = b.disable();
  a.merge(disable);
  b.merge(enable);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(a.value());
}

TEST(EWFlag, ADisableThatSawEveryEnableDisablesIt) {
  EWFlag<> a, b;
  b.merge(a.enable(1));
  a.merge(b.enable(2));
  a.merge(b);
  const auto disable = a.disable();
  EXPECT_FALSE(a.value());
  b.merge(disable);
  EXPECT_FALSE(b.value());
  EXPECT_EQ(a, b);
}

TEST(DWFlag, StartsEnabledBecauseItsDotsRecordDisables) { EXPECT_TRUE(DWFlag<>{}.value()); }

TEST(DWFlag, ConcurrentEnableAndDisableLeaveItDisabled) {
  DWFlag<> a, b;
  b.merge(a.disable(1));
  const auto disable = a.disable(1);
  const auto enable = b.enable();
  EXPECT_TRUE(b.value());
  a.merge(enable);
  b.merge(disable);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.value());
}

TEST(DWFlag, AnEnableThatSawEveryDisableEnablesIt) {
  DWFlag<> a, b;
  b.merge(a.disable(1));
  b.disable(2);
  a.merge(b);
  a.merge(a.enable());
  EXPECT_TRUE(a.value());
  b.merge(a);
  EXPECT_TRUE(b.value());
}

// ---- MVRegister -----------------------------------------------------------------------------

TEST(MVRegister, ConcurrentWritesAreAllKeptAndListedSorted) {
  MVRegister<std::string> a, b;
  const auto from_a = a.write(1, "pear");
  const auto from_b = b.write(2, "apple");
  a.merge(from_b);
  b.merge(from_a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.values(), (std::vector<std::string>{"apple", "pear"}));
}

TEST(MVRegister, ALaterWriteThatSawThemReplacesThemAll) {
  MVRegister<std::string> a, b;
  a.merge(b.write(2, "apple"));
  a.write(1, "pear");  // saw "apple": replaces it
  a.merge(b.write(2, "plum"));
  ASSERT_EQ(a.values(), (std::vector<std::string>{"pear", "plum"}));
  const auto later = a.write(1, "fig");
  EXPECT_EQ(a.values(), (std::vector<std::string>{"fig"}));
  b.merge(later);
  EXPECT_EQ(b.values(), (std::vector<std::string>{"fig"}));
}

TEST(MVRegister, AWriteConcurrentWithTwoOthersKeepsThree) {
  MVRegister<int> a, b, c;
  const auto wa = a.write(1, 30);
  const auto wb = b.write(2, 10);
  const auto wc = c.write(3, 20);
  for (MVRegister<int>* r : {&a, &b, &c}) {
    for (const auto* w : {&wa, &wb, &wc}) r->merge(*w);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(a.values(), (std::vector<int>{10, 20, 30}));
}

TEST(MVRegister, AWriteThatSawOnlyOneValueReplacesOnlyThatOne) {
  MVRegister<int> a, b, c;
  const auto wa = a.write(1, 1);
  const auto wb = b.write(2, 2);
  c.merge(wa);
  const auto wc = c.write(3, 3);  // saw wa, not wb
  a.merge(wb);
  a.merge(wc);
  EXPECT_EQ(a.values(), (std::vector<int>{2, 3}));
}

TEST(MVRegister, ConcurrentWritesOfTheSameValueAreListedOnce) {
  MVRegister<int> a, b;
  a.write(1, 5);
  b.write(2, 5);
  a.merge(b);
  EXPECT_EQ(a.values(), (std::vector<int>{5}));
  EXPECT_EQ(a.dotted().store().size(), 2u);  // two writes, one value
  EXPECT_TRUE(MVRegister<int>{}.values().empty());
}

// ---- ORMap ----------------------------------------------------------------------------------

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

}  // namespace
}  // namespace calm::lattices
