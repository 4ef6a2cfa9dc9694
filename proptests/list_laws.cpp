// List<T, Id>: the lattice laws, the delta-CRDT laws against the element-by-element Fugue
// reference (testing/sequences.hpp), and Fugue's non-interleaving of concurrent runs.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <string>
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

}  // namespace
