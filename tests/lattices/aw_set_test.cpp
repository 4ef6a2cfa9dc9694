// AWSet: the add-wins set of Almeida et al. ("Delta State Replicated Data Types") and riak_dt,
// each scenario named by the behaviour it pins.
//
// The AWSet keeps a fast representation of its own; AWSetAgainstTheDottedAlgebra checks, after
// every merge of a long randomized run, that it holds exactly the value of the reference algebra
// Dotted<DotMap<T, DotSet>>, mutated and joined by the textbook rules written out below.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lattices/lattices.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

using Dot1 = Dot<std::uint64_t>;
using Runs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

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
  // The set writes the dot map's bytes itself, without building it.
  if (to_bytes(fast) != to_bytes(ref)) {
    return ::testing::AssertionFailure() << "the set's bytes differ from its dotted() value's";
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

TEST(AWSetAgainstTheDottedAlgebra, ReplicasOfThousandsOfElementsMatchTheReference) {
  // Thousands of elements: recent runs of up to sqrt(n) entries folded into large bases.
  for (const unsigned seed : {31u, 32u}) {
    run_against_reference(seed, 5000, 2000);
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

}  // namespace
}  // namespace calm::lattices
