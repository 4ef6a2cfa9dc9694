// The promise of flow's types: a pipeline whose type is deterministic yields the same result
// however a RandomBatch, Dups source permutes, duplicates and batches its items; and the flag
// is not vacuous: a pipeline typed NonDeterministic (fold) does differ for some input.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cf = calm::flow;
namespace cl = calm::lattices;

cf::Arrival random_arrival() {
  return cf::Arrival{.seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000),
                     .copies_max = *rc::gen::inRange<std::size_t>(1, 4),
                     .batches = *rc::gen::inRange<std::size_t>(1, 6)};
}

std::vector<int> small_ints() {
  return *rc::gen::container<std::vector<int>>(rc::gen::inRange(-20, 20));
}

/// Runs `pipeline` (a function of a source stream returning a Singleton or a Stream) over an
/// in-order source and over a shuffled, duplicated one, and checks both results agree.
template <class Pipeline>
void same_under_any_arrival(const std::vector<int>& input, const cf::Arrival& arrival,
                            Pipeline pipeline) {
  auto reference = pipeline(cf::source_unordered(input));
  auto shuffled = pipeline(cf::source_unordered(input, arrival));
  static_assert(cf::is_deterministic_v<decltype(shuffled)>);
  if constexpr (requires { shuffled.get(); }) {
    RC_ASSERT(shuffled.get() == reference.get());
  } else {
    RC_ASSERT(shuffled.collect() == reference.collect());
  }
}

RC_GTEST_PROP(FlowDeterminism, SortUniqueCollectIsTheSameUnderAnyArrival, ()) {
  same_under_any_arrival(small_ints(), random_arrival(), [](auto s) { return s.sort().unique(); });
}

RC_GTEST_PROP(FlowDeterminism, LatticeFoldIsTheSameUnderAnyArrival, ()) {
  const auto input = small_ints();
  const auto arrival = random_arrival();
  same_under_any_arrival(input, arrival,
                         [](auto s) { return s.template lattice_fold<cl::Max<int>>(); });
  same_under_any_arrival(input, arrival,
                         [](auto s) { return s.template lattice_fold<cl::SetUnion<int>>(); });
}

RC_GTEST_PROP(FlowDeterminism, CountAndCommutativeFoldOfUniqueItemsAreTheSameUnderAnyArrival, ()) {
  const auto input = small_ints();
  const auto arrival = random_arrival();
  same_under_any_arrival(input, arrival, [](auto s) { return s.unique().count(); });
  same_under_any_arrival(input, arrival, [](auto s) {
    return s.unique().fold_commutative(0, [](int a, int x) { return a + x; });
  });
}

RC_GTEST_PROP(FlowDeterminism, GroupByLatticeFoldIsTheSameUnderAnyArrival, ()) {
  same_under_any_arrival(small_ints(), random_arrival(), [](auto s) {
    return s.group_by([](int x) { return x % 5; }).template lattice_fold<cl::SetUnion<int>>();
  });
}

RC_GTEST_PROP(FlowDeterminism, AMorphismOfALatticeStreamIsTheSameUnderAnyArrival, ()) {
  const int bound = *rc::gen::inRange(-20, 20);
  same_under_any_arrival(small_ints(), random_arrival(), [bound](auto s) {
    return s.map([](int x) { return cl::Max<int>{x}; })
        .map_lattice(cl::threshold(bound))
        .lattice_reduce();
  });
}

RC_GTEST_PROP(FlowDeterminism, SortedJoinDifferenceAndEnumerateAreTheSameUnderAnyArrival, ()) {
  const auto input = small_ints();
  const auto other = small_ints();
  const auto arrival = random_arrival();
  same_under_any_arrival(input, arrival, [&](auto s) {
    return s.map([](int x) { return std::pair<int, int>(x % 3, x); })
        .join(cf::source_iter(other).map([](int x) { return std::pair<int, int>(x % 3, x); }))
        .sort()
        .unique();
  });
  same_under_any_arrival(input, arrival, [&](auto s) {
    return s.sort().unique().difference(cf::source_unordered(other, arrival).sort());
  });
  same_under_any_arrival(input, arrival, [](auto s) { return s.sort().unique().enumerate(); });
}

// The order-sensitive operators, once sort() and unique() have removed both props. The folds
// stay below 1000003 so that no step overflows.
RC_GTEST_PROP(FlowDeterminism,
              FoldsCrossJoinAndAntiJoinOfSortedUniqueItemsAreTheSameUnderAnyArrival, ()) {
  const auto input = small_ints();
  const auto other = small_ints();
  const auto arrival = random_arrival();
  const auto digits = [](int acc, int x) { return (acc * 31 + x) % 1000003; };
  same_under_any_arrival(input, arrival, [&](auto s) { return s.sort().unique().fold(0, digits); });
  same_under_any_arrival(input, arrival, [&](auto s) { return s.sort().unique().reduce(digits); });
  same_under_any_arrival(input, arrival, [&](auto s) {
    return s.sort().unique().group_by([](int x) { return x % 5; }).fold(0, digits);
  });
  same_under_any_arrival(
      input, arrival, [&](auto s) { return s.sort().unique().cross_join(cf::source_iter(other)); });
  same_under_any_arrival(input, arrival, [&](auto s) {
    return s.sort()
        .unique()
        .map([](int x) { return std::pair<int, int>(x % 7, x); })
        .anti_join(cf::source_unordered(other, arrival).map([](int x) { return x % 7; }).sort());
  });
}

RC_GTEST_PROP(FlowDeterminism, PersistentLatticeStateIsTheSameUnderAnyBatchingOverTicks, ()) {
  const auto input = small_ints();
  const auto arrival = random_arrival();
  auto run = [&](const cf::Arrival& a) {
    cf::Graph g;
    auto [x, y] = g.source_unordered(input, a).tee();
    auto all = x.lattice_fold<cl::SetUnion<int>>(cf::Lifetime::persistent);
    auto distinct = y.unique(cf::Lifetime::persistent).count(cf::Lifetime::persistent);
    static_assert(cf::is_deterministic_v<decltype(all)> &&
                  cf::is_deterministic_v<decltype(distinct)>);
    g.run_until_idle();
    return std::pair(all.get(), distinct.get());
  };
  RC_ASSERT(run(arrival) == run(cf::Arrival{}));
}

// The flag is not vacuous: a fold that records the arrival order, typed NonDeterministic,
// gives a different result under some arrival for every input with two distinct items.
RC_GTEST_PROP(FlowDeterminism, FoldTypedNonDeterministicDiffersUnderSomeArrival, ()) {
  const auto input = small_ints();
  RC_PRE(std::adjacent_find(input.begin(), input.end(), std::not_equal_to<>()) != input.end());
  auto order = [&](const cf::Arrival& a) {
    auto folded = cf::source_unordered(input, a).fold(std::vector<int>{}, [](auto acc, int x) {
      acc.push_back(x);
      return acc;
    });
    static_assert(cf::has_prop_v<decltype(folded), cf::NonDeterministic>);
    return folded.assume_deterministic("the test compares runs on purpose").get();
  };
  const auto reference = order(cf::Arrival{});
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 64 && !differs; ++seed) {
    differs = order(cf::Arrival{.seed = seed}) != reference;
  }
  RC_ASSERT(differs);
}

// Likewise for Dups: a count over a duplicating arrival differs from the plain count.
RC_GTEST_PROP(FlowDeterminism, CountTypedNonDeterministicDiffersUnderSomeDuplication, ()) {
  const auto input = small_ints();
  RC_PRE(!input.empty());
  auto count = [&](const cf::Arrival& a) {
    auto n = cf::source_unordered(input, a).count();
    static_assert(cf::has_prop_v<decltype(n), cf::NonDeterministic>);
    return n.assume_deterministic("the test compares runs on purpose").get();
  };
  bool differs = false;
  for (std::uint64_t seed = 1; seed <= 64 && !differs; ++seed) {
    differs = count(cf::Arrival{.seed = seed, .copies_max = 2}) != input.size();
  }
  RC_ASSERT(differs);
}

}  // namespace
