// List<T, Id>: the lattice laws, the delta-CRDT laws against the element-by-element Fugue
// reference (testing/sequences.hpp), and Fugue's non-interleaving of concurrent runs.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

#include "lattices/testing.hpp"

namespace {

using namespace calm::lattices;

TEST(ListLaws, HoldForNumbersAndStrings) {
  EXPECT_LATTICE(List<int>);
  EXPECT_LATTICE(List<std::string, std::string>);
}

TEST(ListLaws, DeltasConvergeToTheFugueReference) { EXPECT_DELTA_CRDT(List<int>); }

// Fewer cases: each draws a map of lists, and the laws themselves are checked above.
TEST(ListLaws, NestInAMapOfLists) {
  EXPECT_LATTICE_WITH((calm::lattices::testing::Options{.cases = 150}), MapUnion<int, List<int>>);
}

/// Two replicas that share a document type runs at one place concurrently, forwards or
/// backwards; after they exchange deltas each run is one contiguous block, in the same order at
/// both.
TEST(ListLaws, ConcurrentRunsAtOnePlaceDoNotInterleave) {
  const bool held =
      rc::check([](const List<int>& start, std::size_t at, bool a_backwards, bool b_backwards) {
        List<int> a = start;
        List<int> b = start;
        const std::size_t pos = at % (start.size() + 1);
        const std::size_t n = *rc::gen::inRange<std::size_t>(1, 6);
        std::vector<List<int>> from_a, from_b;
        for (std::size_t i = 0; i < n; ++i) {
          from_a.push_back(a.insert(101, a_backwards ? pos : pos + i, 1000 + static_cast<int>(i)));
          from_b.push_back(b.insert(102, b_backwards ? pos : pos + i, 2000 + static_cast<int>(i)));
        }
        for (const List<int>& d : from_b) a.merge(d);
        for (const List<int>& d : from_a) b.merge(d);
        RC_ASSERT(a == b);
        const std::vector<int> values = a.values();
        const auto block = [&](int base) {
          std::vector<std::size_t> at_index;
          for (std::size_t i = 0; i < values.size(); ++i) {
            if (values[i] >= base && values[i] < base + 1000) at_index.push_back(i);
          }
          return at_index.size() == n && at_index.back() - at_index.front() == n - 1;
        };
        RC_ASSERT(block(1000));
        RC_ASSERT(block(2000));
      });
  EXPECT_TRUE(held);
}

/// However two states' runs are split (whole, in decompose()'s parts, or cut where the other
/// state's pieces end, as delta() cuts them) and in whatever order they arrive, their join is
/// the join of each id's definitions (testing/sequences.hpp's reference_join). The generated
/// states give replicas the same ids, so one id often has two definitions, split differently.
TEST(ListLaws, AJoinOfDifferentlySplitStatesJoinsEachIdsDefinitions) {
  const bool held = rc::check([](const List<int>& a, const List<int>& b) {
    std::vector<List<int>> inputs{a, b, a.delta(b), b.delta(a)};
    for (const List<int>* x : {&a, &b}) {
      for (List<int>& part : x->decompose()) inputs.push_back(std::move(part));
    }
    const std::vector<int> keys =
        *rc::gen::container<std::vector<int>>(inputs.size(), rc::gen::arbitrary<int>());
    std::vector<std::size_t> order(inputs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
      return std::tie(keys[x], x) < std::tie(keys[y], y);
    });
    std::vector<List<int>> shuffled;
    for (const std::size_t i : order) shuffled.push_back(inputs[i]);

    const auto reference =
        calm::lattices::testing::detail::reference_join<int>(std::vector<List<int>>{a, b});
    std::vector<List<int>> consumed = shuffled;  // join_all moves from its inputs
    const List<int> joined = List<int>::join_all(consumed);
    RC_ASSERT(joined.values() == reference.values());
    List<int> one_by_one;
    for (const List<int>& x : shuffled) one_by_one.merge(x);
    RC_ASSERT(one_by_one == joined);
  });
  EXPECT_TRUE(held);
}

}  // namespace
