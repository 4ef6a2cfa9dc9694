// Standalone flow pipelines: what each operator computes and what its type says.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cf = calm::flow;
namespace cl = calm::lattices;
using cf::Dups;
using cf::has_prop_v;
using cf::is_deterministic_v;
using cf::NonDeterministic;
using cf::Props;
using cf::RandomBatch;

const std::vector<int> digits{3, 1, 4, 1, 5, 9, 2, 6};

// A shuffled, duplicated delivery of the digits, as a network would make it.
auto unordered_digits(std::uint64_t seed = 7) {
  return cf::source_unordered(digits, {.seed = seed, .copies_max = 3});
}

TEST(FlowProps, PropsAreASetWhoseArgumentOrderDoesNotMatter) {
  static_assert(std::is_same_v<Props<RandomBatch, Dups>, Props<Dups, RandomBatch>>);
  static_assert(has_prop_v<Props<Dups>, Dups>);
  static_assert(!has_prop_v<Props<Dups>, RandomBatch>);
  static_assert(is_deterministic_v<Props<>>);
  static_assert(!is_deterministic_v<Props<NonDeterministic>>);
  EXPECT_EQ((cf::detail::props_name<Props<Dups, RandomBatch>>()), "{RandomBatch, Dups}");
}

TEST(FlowProps, SourceIterHasNoPropsAndSourceUnorderedHasRandomBatchAndDups) {
  using Ordered = decltype(cf::source_iter(digits));
  using Unordered = decltype(cf::source_unordered(digits));
  static_assert(is_deterministic_v<Ordered>);
  static_assert(has_prop_v<Unordered, RandomBatch> && has_prop_v<Unordered, Dups>);
  static_assert(!has_prop_v<Unordered, NonDeterministic>);
  EXPECT_EQ(cf::source_iter(digits).collect(), digits);
}

TEST(FlowProps, ItemByItemOperatorsKeepTheProps) {
  auto s = unordered_digits()
               .map([](int x) { return x * 2; })
               .filter([](int x) { return x > 2; })
               .filter_map([](int x) { return std::optional<int>(x); })
               .flat_map([](int x) { return std::vector<int>{x}; })
               .inspect([](int) {});
  using S = decltype(s);
  static_assert(std::is_same_v<S::props, Props<RandomBatch, Dups>>);
  using O = decltype(cf::source_iter(digits).map([](int x) { return x; }).inspect([](int) {}));
  static_assert(is_deterministic_v<O>);
}

TEST(FlowProps, MergeAddsRandomBatchToTheUnionOfBothSides) {
  using S = decltype(cf::source_iter(digits).merge(cf::source_iter(digits)));
  static_assert(std::is_same_v<S::props, Props<RandomBatch>>);
  using U = decltype(cf::source_iter(digits).union_(unordered_digits()));
  static_assert(std::is_same_v<U::props, Props<RandomBatch, Dups>>);
}

TEST(FlowProps, UniqueRemovesDupsAndSortRemovesRandomBatch) {
  using U = decltype(unordered_digits().unique());
  static_assert(std::is_same_v<U::props, Props<RandomBatch>>);
  using S = decltype(unordered_digits().sort());
  static_assert(std::is_same_v<S::props, Props<Dups>>);
  static_assert(is_deterministic_v<decltype(unordered_digits().sort().unique())>);
}

TEST(FlowStream, SortedUniqueUnorderedSourceCollectsTheDistinctItemsInOrder) {
  const std::vector<int> distinct{1, 2, 3, 4, 5, 6, 9};
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    EXPECT_EQ(unordered_digits(seed).sort().unique().collect(), distinct) << "seed " << seed;
  }
}

TEST(FlowStream, SourceUnorderedWithASeedShufflesAndDuplicatesEveryItem) {
  std::vector<int> seen;
  unordered_digits(11).for_each([&](int x) { seen.push_back(x); });
  EXPECT_GT(seen.size(), digits.size());
  EXPECT_NE(std::vector<int>(seen.begin(), seen.begin() + 8), digits);
  std::map<int, int> expected, got;
  for (int x : digits) ++expected[x];
  for (int x : seen) ++got[x];
  for (const auto& [x, n] : expected) {
    EXPECT_GE(got[x], n) << x;
    EXPECT_LE(got[x], 3 * n) << x;
  }
  EXPECT_EQ(got.size(), expected.size());
}

TEST(FlowStream, MapFilterFilterMapAndFlatMapComputeItemByItem) {
  auto out =
      cf::source_iter(digits)
          .map([](int x) { return x * 10; })
          .filter([](int x) { return x >= 40; })
          .filter_map([](int x) { return x == 90 ? std::nullopt : std::optional<int>(x + 1); })
          .flat_map([](int x) {
            return std::vector<int>{x, -x};
          })
          .collect();
  EXPECT_EQ(out, (std::vector<int>{41, -41, 51, -51, 61, -61}));
}

TEST(FlowStream, InspectSeesEveryItemAndPassesItOnUnchanged) {
  int seen = 0;
  auto out = cf::source_iter(digits).inspect([&](int) { ++seen; }).collect();
  EXPECT_EQ(out, digits);
  EXPECT_EQ(seen, static_cast<int>(digits.size()));
}

TEST(FlowStream, EnumerateNumbersItemsInOrderFromZero) {
  auto out = cf::source_iter(std::vector<std::string>{"a", "b"}).enumerate().collect();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], (std::pair<std::size_t, std::string>(1, "b")));
  using E = decltype(unordered_digits().sort().unique().enumerate());
  static_assert(is_deterministic_v<E>);
}

TEST(FlowStream, FoldAppliesFInOrderLikeAccumulate) {
  auto number = cf::source_iter(std::vector<int>{3, 1, 2}).fold(0, [](int acc, int x) {
    return acc * 10 + x;
  });
  static_assert(is_deterministic_v<decltype(number)>);
  EXPECT_EQ(number.get(), 312);
}

TEST(FlowStream, FoldOverAnUnorderedSourceIsTypedNonDeterministicAndStillRunsIntoForEach) {
  auto number = unordered_digits().fold(0, [](int acc, int x) { return (acc * 10 + x) % 1000003; });
  static_assert(has_prop_v<decltype(number), NonDeterministic>);
  static_assert(decltype(number)::props::cause == cf::Cause::fold_over_random_batch);
  int read = -1;
  number.for_each([&](int v) { read = v; });
  EXPECT_GT(read, 0);
}

TEST(FlowStream, FoldAndReduceAfterSortAndUniqueAreDeterministicAndReadable) {
  auto number =
      unordered_digits().sort().unique().fold(0, [](int acc, int x) { return acc * 10 + x; });
  static_assert(is_deterministic_v<decltype(number)>);
  EXPECT_EQ(number.get(), 1234569);
  auto last = unordered_digits().sort().unique().reduce([](int, int x) { return x; });
  static_assert(is_deterministic_v<decltype(last)>);
  EXPECT_EQ(last.get(), std::optional<int>(9));
}

TEST(FlowStream, FoldCommutativeIsHurtByDupsAlone) {
  auto sum = unordered_digits().unique().fold_commutative(0, [](int a, int x) { return a + x; });
  static_assert(is_deterministic_v<decltype(sum)>);
  EXPECT_EQ(sum.get(), 1 + 2 + 3 + 4 + 5 + 6 + 9);
  using D = decltype(unordered_digits().fold_commutative(0, [](int a, int x) { return a + x; }));
  static_assert(D::props::cause == cf::Cause::fold_commutative_over_dups);
}

TEST(FlowStream, ReduceFoldsFromTheFirstItemAndYieldsNothingOnNoItems) {
  auto product =
      cf::source_iter(std::vector<int>{2, 3, 4}).reduce([](int a, int x) { return a * x; });
  EXPECT_EQ(product.get(), std::optional<int>(24));
  auto none = cf::source_iter(std::vector<int>{}).reduce([](int a, int x) { return a * x; });
  EXPECT_EQ(none.get(), std::nullopt);
}

TEST(FlowStream, CountIsDeterministicOnceDuplicatesAreGone) {
  auto n = unordered_digits().unique().count();
  static_assert(is_deterministic_v<decltype(n)>);
  EXPECT_EQ(n.get(), 7u);
  static_assert(!is_deterministic_v<decltype(unordered_digits().count())>);
}

TEST(FlowStream, LatticeFoldIsDeterministicWhateverTheProps) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    auto top = unordered_digits(seed).lattice_fold<cl::Max<int>>();
    static_assert(is_deterministic_v<decltype(top)>);
    EXPECT_EQ(top.get(), cl::Max<int>{9});
    auto all = unordered_digits(seed).lattice_fold<cl::SetUnion<int>>();
    EXPECT_EQ(all.get(), (cl::SetUnion<int>{1, 2, 3, 4, 5, 6, 9}));
  }
}

TEST(FlowStream, LatticeReduceMergesLatticeItems) {
  std::vector<cl::SetUnion<int>> parts{{1, 2}, {2, 3}, {}};
  auto whole = cf::source_unordered(parts, {.seed = 3, .copies_max = 2}).lattice_reduce();
  EXPECT_EQ(whole.get(), (cl::SetUnion<int>{1, 2, 3}));
}

TEST(FlowStream, AMorphismMapsEachLatticeItemAndKeepsTheProps) {
  std::vector<cl::Max<int>> ages{cl::Max<int>{12}, cl::Max<int>{19}, cl::Max<int>{7}};
  auto adult = cf::source_unordered(ages, {.seed = 5, .copies_max = 2})
                   .map_lattice(cl::threshold(18))
                   .lattice_reduce();
  static_assert(is_deterministic_v<decltype(adult)>);
  EXPECT_EQ(adult.get(), cl::Or{true});
}

TEST(FlowStream, AMonotoneFunctionMapsTheFoldedSingleton) {
  auto count = unordered_digits().lattice_fold<cl::SetUnion<int>>().map_lattice(cl::size);
  static_assert(is_deterministic_v<decltype(count)>);
  EXPECT_EQ(count.get(), cl::Max<std::size_t>{7});
}

TEST(FlowStream, JoinPairsTheItemsOfEqualKeysAndTakesTheUnionOfTheProps) {
  std::vector<std::pair<int, std::string>> names{{1, "ann"}, {2, "bob"}, {3, "cy"}};
  std::vector<std::pair<int, int>> ages{{2, 40}, {1, 30}, {1, 31}};
  auto joined = cf::source_iter(names).join(cf::source_iter(ages)).collect();
  using Out = std::pair<int, std::pair<std::string, int>>;
  EXPECT_EQ(joined, (std::vector<Out>{{2, {"bob", 40}}, {1, {"ann", 30}}, {1, {"ann", 31}}}));
  using J = decltype(cf::source_iter(names).join(cf::source_unordered(ages)));
  static_assert(std::is_same_v<J::props, Props<RandomBatch, Dups>>);
}

TEST(FlowStream, CrossJoinPairsEveryItemWithEveryOther) {
  auto pairs = cf::source_iter(std::vector<int>{1, 2})
                   .cross_join(cf::source_iter(std::vector<char>{'a', 'b'}))
                   .collect();
  EXPECT_EQ(pairs.size(), 4u);
  EXPECT_NE(std::find(pairs.begin(), pairs.end(), std::pair<int, char>(2, 'a')), pairs.end());
}

TEST(FlowStream, DifferenceRemovesEveryItemOfTheOtherStream) {
  auto left = cf::source_iter(digits).difference(cf::source_iter(std::vector<int>{1, 9})).collect();
  EXPECT_EQ(left, (std::vector<int>{3, 4, 5, 2, 6}));
  using Sorted = decltype(unordered_digits().sort().unique().difference(unordered_digits().sort()));
  static_assert(is_deterministic_v<Sorted>);
  using Late = decltype(cf::source_iter(digits).difference(unordered_digits()));
  static_assert(Late::props::cause == cf::Cause::difference_over_random_batch);
}

TEST(FlowStream, AntiJoinRemovesThePairsWhoseKeyIsInTheOtherStream) {
  std::vector<std::pair<int, char>> items{{1, 'a'}, {2, 'b'}, {3, 'c'}};
  auto left = cf::source_iter(items).anti_join(cf::source_iter(std::vector<int>{2})).collect();
  EXPECT_EQ(left, (std::vector<std::pair<int, char>>{{1, 'a'}, {3, 'c'}}));
}

TEST(FlowStream, GroupByThenLatticeFoldMergesEachKeysValuesInKeyOrder) {
  auto by_parity = unordered_digits()
                       .group_by([](int x) { return x % 2; })
                       .lattice_fold<cl::SetUnion<int>>()
                       .collect();
  using G = std::pair<int, cl::SetUnion<int>>;
  EXPECT_EQ(by_parity, (std::vector<G>{{0, {2, 4, 6}}, {1, {1, 3, 5, 9}}}));
}

TEST(FlowStream, GroupByThenFoldOverAnOrderedStreamIsDeterministic) {
  auto sums = cf::source_iter(digits)
                  .group_by([](int x) { return x % 3; }, [](int x) { return x * 10; })
                  .fold(0, [](int acc, int x) { return acc + x; });
  static_assert(is_deterministic_v<decltype(sums)>);
  using G = std::pair<int, int>;
  EXPECT_EQ(sums.collect(), (std::vector<G>{{0, 180}, {1, 60}, {2, 70}}));
}

using KeyMin = std::pair<int, cl::Min<int>>;

TEST(FlowStream, LatticeMergeByKeyEmitsAKeysValueOnlyWhenAMergeGrowsIt) {
  const std::vector<std::pair<int, int>> in{{1, 5}, {1, 3}, {1, 4}, {2, 7}, {1, 3}, {2, 9}};
  auto grown = cf::source_iter(in).lattice_merge_by_key<cl::Min<int>>();
  static_assert(is_deterministic_v<decltype(grown)>);
  EXPECT_EQ(
      grown.collect(),
      (std::vector<KeyMin>{{1, cl::Min<int>{5}}, {1, cl::Min<int>{3}}, {2, cl::Min<int>{7}}}));
}

TEST(FlowStream, LatticeMergeByKeyIgnoresABottomValue) {
  const std::vector<KeyMin> in{{1, cl::Min<int>{}}, {1, cl::Min<int>{2}}, {1, cl::Min<int>{}}};
  EXPECT_EQ(cf::source_iter(in).lattice_merge_by_key().collect(),
            (std::vector<KeyMin>{{1, cl::Min<int>{2}}}));
}

TEST(FlowStream, LatticeMergeByKeyOverArrivalLosesDupsAndDeterminismButNotTheFinalValues) {
  using S = decltype(unordered_digits()
                         .map([](int x) { return std::pair<int, int>(x % 3, x); })
                         .lattice_merge_by_key<cl::Min<int>>());
  static_assert(has_prop_v<S, RandomBatch> && !has_prop_v<S, Dups>);
  static_assert(has_prop_v<S, NonDeterministic>);
  static_assert(S::props::cause == cf::Cause::lattice_merge_by_key_over_arrival);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::map<int, int> last;
    std::map<int, int> emitted;
    unordered_digits(seed)
        .map([](int x) { return std::pair<int, int>(x % 3, x); })
        .lattice_merge_by_key<cl::Min<int>>()
        .for_each([&](const KeyMin& kv) {
          auto [it, first] = last.emplace(kv.first, reveal(kv.second));
          EXPECT_TRUE(first || reveal(kv.second) < it->second) << "seed " << seed;
          it->second = reveal(kv.second);
          ++emitted[kv.first];
        });
    EXPECT_EQ(last, (std::map<int, int>{{0, 3}, {1, 1}, {2, 2}})) << "seed " << seed;
    for (const auto& [key, n] : emitted) EXPECT_LE(n, 3) << "seed " << seed << " key " << key;
  }
}

TEST(FlowStream, LatticeJoinEmitsWhenEitherSideGrowsAndTheOtherHasTheKey) {
  using Left = std::pair<int, cl::Max<int>>;
  using Right = std::pair<int, cl::SetUnion<int>>;
  using Out = std::pair<int, std::pair<cl::Max<int>, cl::SetUnion<int>>>;
  const std::vector<Left> left{
      {1, cl::Max<int>{1}}, {2, cl::Max<int>{5}}, {1, cl::Max<int>{3}}, {1, cl::Max<int>{2}}};
  const std::vector<Right> right{{1, {7}}, {1, {7}}, {1, {8}}, {3, {9}}};
  auto joined = cf::source_iter(left).lattice_join(cf::source_iter(right));
  static_assert(is_deterministic_v<decltype(joined)>);
  // The left side runs first: key 1 grows to 1, then 3 (2 does not grow it), with no right
  // side yet; then the right side's growth, {7} and {7, 8}, meets the left's 3. The repeated
  // {7} does not grow and key 3 has no left side.
  EXPECT_EQ(joined.collect(),
            (std::vector<Out>{{1, {cl::Max<int>{3}, {7}}}, {1, {cl::Max<int>{3}, {7, 8}}}}));
}

TEST(FlowStream, LatticeJoinTakesTheUnionOfThePropsAndDropsDups) {
  using Pairs = std::vector<std::pair<int, cl::Max<int>>>;
  const Pairs items{{1, cl::Max<int>{1}}};
  using S = decltype(cf::source_iter(items).lattice_join(cf::source_unordered(items)));
  static_assert(has_prop_v<S, RandomBatch> && !has_prop_v<S, Dups>);
  static_assert(S::props::cause == cf::Cause::lattice_join_over_arrival);
  using D = decltype(cf::source_iter(items).lattice_join(cf::source_iter(items)));
  static_assert(is_deterministic_v<D>);
}

TEST(FlowStream, TeeGivesEachOutputEveryItemAndRunsTheSourceOnce) {
  int runs = 0;
  auto [a, b] = cf::source_iter(digits).inspect([&](int) { ++runs; }).tee();
  EXPECT_EQ(a.collect(), digits);
  EXPECT_EQ(b.map([](int x) { return -x; }).collect().front(), -3);
  EXPECT_EQ(runs, static_cast<int>(digits.size()));
}

TEST(FlowStream, AssumeDeterministicClearsThePropsAndExplainShowsTheReason) {
  auto s = unordered_digits().assume_deterministic("the digits are only summed");
  static_assert(is_deterministic_v<decltype(s)>);
  const std::string text = s.explain();
  EXPECT_NE(text.find("the digits are only summed"), std::string::npos) << text;
  EXPECT_NE(text.find("assume_deterministic:"), std::string::npos) << text;
  auto v = unordered_digits()
               .fold(0, [](int a, int) { return a; })
               .assume_deterministic("f ignores items");
  EXPECT_EQ(v.get(), 0);
}

TEST(FlowStream, ExplainLabelsEachEdgeWithThePropsFlowingAlongIt) {
  auto s = unordered_digits().sort().unique();
  const std::string mermaid = s.explain(cf::Format::mermaid);
  EXPECT_NE(mermaid.find("n0 -->|\"{RandomBatch, Dups}\"| n1"), std::string::npos) << mermaid;
  EXPECT_NE(mermaid.find("n1 -->|\"{Dups}\"| n2"), std::string::npos) << mermaid;
  const std::string dot = s.explain(cf::Format::dot);
  EXPECT_NE(dot.find("n1 -> n2 [label=\"{Dups}\"]"), std::string::npos) << dot;
}

TEST(FlowStream, AnErasedStreamHoldsAnyChainWithTheSameProps) {
  cf::Stream<int, Props<>> s = cf::source_iter(digits).map([](int x) { return x + 1; });
  EXPECT_EQ(s.collect().front(), 4);
  cf::Singleton<int, Props<>> total = s.fold(0, [](int a, int x) { return a + x; });
  EXPECT_EQ(total.get(), 31 + 8);
}

TEST(FlowStream, AnRvalueRangeIsMovedIntoTheStream) {
  auto s = cf::source_iter(std::vector<std::string>{"kept", "alive"});
  EXPECT_EQ(s.collect(), (std::vector<std::string>{"kept", "alive"}));
}

}  // namespace
