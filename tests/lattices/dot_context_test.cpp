// DotContext, the causality kernel of the dot-based CRDTs: runs and the cloud, merge, next dot,
// and contexts that claim far more dots than their encoded size.
#include <gtest/gtest.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "lattices/lattices.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

using Dot1 = Dot<std::uint64_t>;
using Runs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
using Cloud = std::vector<DotContext<>::Range>;

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

TEST(DotContext, ALookupAnswersAsContainsWhateverItsBitBudget) {
  // Runs, clouds past gaps and several replicas; budgets from none (every replica searched)
  // through part of the replicas to all of them as bitmaps, with ranges across word bounds.
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    DotContext<> c;
    const std::uint64_t replicas = 1 + round % 4;
    for (std::uint64_t id = 1; id <= replicas; ++id) {
      const std::uint64_t run = std::uniform_int_distribution<std::uint64_t>(0, 150)(rng);
      if (run > 0) c.insert_range(id, 1, run);
      for (int k = 0; k < 6; ++k) {
        const std::uint64_t first = std::uniform_int_distribution<std::uint64_t>(1, 400)(rng);
        const std::uint64_t length = std::uniform_int_distribution<std::uint64_t>(0, 130)(rng);
        c.insert_range(id, first, first + length);
      }
    }
    for (const std::uint64_t budget : {0ull, 1ull, 200ull, 700ull, 1ull << 20}) {
      const DotContext<>::Lookup lookup(c, budget);
      for (std::uint64_t id = 0; id <= replicas + 1; ++id) {
        for (std::uint64_t k = 1; k <= 600; ++k) {
          ASSERT_EQ(lookup.contains(Dot1{id, k}), c.contains(Dot1{id, k}))
              << "round " << round << " budget " << budget << " dot " << Dot1{id, k};
        }
      }
    }
  }
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

}  // namespace
}  // namespace calm::lattices
