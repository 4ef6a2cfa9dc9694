// SetUnion: every backing, small deltas into large sets, and equality whatever the path.
#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

template <class Backing>
class SetUnionBacking : public ::testing::Test {};
using Backings = ::testing::Types<backing::Flat, backing::Hash, backing::Tree>;
TYPED_TEST_SUITE(SetUnionBacking, Backings);

TYPED_TEST(SetUnionBacking, MergeIsUnionAndReportsChange) {
  SetUnion<int, TypeParam> a{1, 2};
  EXPECT_TRUE(a.merge(SetUnion<int, TypeParam>{2, 3}));
  EXPECT_FALSE(a.merge(SetUnion<int, TypeParam>{1, 3}));
  EXPECT_EQ(a, (SetUnion<int, TypeParam>{3, 2, 1}));
  EXPECT_EQ(a.size(), 3u);
}

TYPED_TEST(SetUnionBacking, OrderIsInclusion) {
  using S = SetUnion<int, TypeParam>;
  EXPECT_EQ(compare(S{1}, S{1, 2}), std::partial_ordering::less);
  EXPECT_EQ(compare(S{1, 2}, S{1}), std::partial_ordering::greater);
  EXPECT_EQ(compare(S{1, 3}, S{1, 2}), std::partial_ordering::unordered);
  EXPECT_EQ(compare(S{2, 1}, S{1, 2}), std::partial_ordering::equivalent);
}

TYPED_TEST(SetUnionBacking, DeltaIsTheSetDifferenceAndAtomsAreSingletons) {
  using S = SetUnion<int, TypeParam>;
  EXPECT_EQ(delta(S{1, 2, 3}, S{2, 9}), (S{1, 3}));
  EXPECT_EQ(atomize(S{4, 5}).size(), 2u);
}

TYPED_TEST(SetUnionBacking, PrintsInSortedOrder) {
  std::ostringstream os;
  os << SetUnion<int, TypeParam>{3, 1, 2};
  EXPECT_EQ(os.str(), "SetUnion{1, 2, 3}");
}

TEST(SetUnion, BuildsFromAnIteratorPairWithDuplicates) {
  const std::vector<int> xs{5, 1, 5, 3, 1};
  const SetUnion<int> s(xs.begin(), xs.end());
  EXPECT_EQ(std::vector<int>(s.begin(), s.end()), (std::vector<int>{1, 3, 5}));
}

TEST(SetUnion, SmallDeltasIntoALargeSetKeepItSortedAndComplete) {
  // Singleton deltas land in the recent run and are flushed into the base run; the set must
  // read as one sorted sequence throughout.
  std::mt19937_64 rng(7);
  SetUnion<std::uint64_t> s;
  std::set<std::uint64_t> model;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t x = rng() % 50000;
    EXPECT_EQ(s.merge(SetUnion<std::uint64_t>{x}), model.insert(x).second);
    if (i % 4999 == 0) {
      ASSERT_TRUE(std::equal(s.begin(), s.end(), model.begin(), model.end()));
    }
  }
  ASSERT_TRUE(std::equal(s.begin(), s.end(), model.begin(), model.end()));
  for (std::uint64_t probe = 0; probe < 50000; probe += 97) {
    EXPECT_EQ(s.contains(probe), model.count(probe) == 1);
  }
}

TEST(SetUnion, EqualSetsBuiltDifferentlyAreEqual) {
  SetUnion<int> bulk;
  for (int i = 0; i < 1000; ++i) bulk.insert(i);  // some in the recent run
  std::vector<int> all(1000);
  for (int i = 0; i < 1000; ++i) all[i] = 999 - i;
  EXPECT_EQ(bulk, SetUnion<int>(all.begin(), all.end()));
}

TEST(SetUnion, MergingASetIntoItselfChangesNothing) {
  // Regression: with a non-empty recent run, a self-merge once read entries it was moving.
  SetUnion<int> s{1, 5, 9};
  for (int x = 0; x < 10; x += 3) s.insert(x);
  const SetUnion<int> before = s;
  EXPECT_FALSE(s.merge(s));
  EXPECT_EQ(s, before);
  MapUnion<int, Max<int>> m{{1, Max<int>{1}}};
  m.merge_at(2, Max<int>{2});
  EXPECT_FALSE(m.merge(m));
}

}  // namespace
}  // namespace calm::lattices
