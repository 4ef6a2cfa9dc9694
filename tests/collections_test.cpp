// Behaviour of SetUnion (every backing), MapUnion and VecUnion.
#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
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

TEST(MapUnion, AbsentKeysReadAsBottom) {
  const MapUnion<std::string, Max<int>> m{{"a", Max<int>{1}}};
  EXPECT_TRUE(is_bot(m.get("missing")));
  EXPECT_FALSE(m.contains("missing"));
  EXPECT_EQ(m.get("a"), Max<int>{1});
}

TEST(MapUnion, MergesValuesKeyByKey) {
  MapUnion<std::string, Max<int>> m{{"a", Max<int>{1}}, {"b", Max<int>{5}}};
  EXPECT_TRUE(m.merge(MapUnion<std::string, Max<int>>{{"a", Max<int>{3}}, {"c", Max<int>{0}}}));
  EXPECT_EQ(m.get("a"), Max<int>{3});
  EXPECT_EQ(m.get("b"), Max<int>{5});
  EXPECT_EQ(m.get("c"), Max<int>{0});
  EXPECT_FALSE(m.merge(MapUnion<std::string, Max<int>>{{"b", Max<int>{4}}}));
}

TEST(MapUnion, KeysMappedToBottomAreNotStored) {
  MapUnion<int, SetUnion<int>> m{{1, SetUnion<int>{}}, {2, SetUnion<int>{7}}};
  EXPECT_EQ(m.size(), 1u);
  EXPECT_FALSE(m.merge_at(3, SetUnion<int>{}));
  EXPECT_EQ(m, (MapUnion<int, SetUnion<int>>{{2, SetUnion<int>{7}}}));
}

TEST(MapUnion, DuplicateKeysInTheInitializerAreMerged) {
  const MapUnion<int, SetUnion<int>> m{{1, SetUnion<int>{1}}, {1, SetUnion<int>{2}}};
  EXPECT_EQ(m.get(1), (SetUnion<int>{1, 2}));
}

TEST(MapUnion, IteratesInKeyOrder) {
  MapUnion<int, Max<int>> m;
  for (int k : {5, 1, 4, 2, 3}) m.merge_at(k, Max<int>{k * 10});
  std::vector<int> keys;
  for (const auto& [key, value] : m) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(MapUnion, OrderComparesKeyByKey) {
  using M = MapUnion<int, Max<int>>;
  EXPECT_EQ(compare(M{{1, Max<int>{1}}}, M{{1, Max<int>{2}}, {2, Max<int>{0}}}),
            std::partial_ordering::less);
  EXPECT_EQ(compare(M{{1, Max<int>{3}}}, M{{1, Max<int>{2}}, {2, Max<int>{0}}}),
            std::partial_ordering::unordered);
}

TEST(MapUnion, DeltaCarriesOnlyWhatTheOtherLacks) {
  using M = MapUnion<int, SetUnion<int>>;
  const M a{{1, SetUnion<int>{1, 2}}, {2, SetUnion<int>{3}}};
  const M b{{1, SetUnion<int>{1}}, {2, SetUnion<int>{3}}};
  EXPECT_EQ(delta(a, b), (M{{1, SetUnion<int>{2}}}));
}

TEST(VecUnion, MergesIndexByIndexAndTrimsTrailingBottoms) {
  VecUnion<Max<int>> v{Max<int>{1}, Max<int>{}};
  EXPECT_EQ(v.size(), 1u);
  EXPECT_TRUE(v.merge(VecUnion<Max<int>>{Max<int>{0}, Max<int>{2}, Max<int>{3}}));
  EXPECT_EQ(v, (VecUnion<Max<int>>{Max<int>{1}, Max<int>{2}, Max<int>{3}}));
  EXPECT_TRUE(is_bot(v.get(10)));
  EXPECT_EQ(VecUnion<Max<int>>{Max<int>{}}, VecUnion<Max<int>>{});
}

}  // namespace
}  // namespace calm::lattices

namespace calm::lattices {
namespace {

TEST(MapUnion, AMergeThatThrowsLeavesAValidMapBetweenBothSides) {
  // Enough keys to take the linear merge path; one key holds two different Points. Strings,
  // because a moved-from string is visibly empty where a moved-from int is not.
  using M = MapUnion<std::string, Point<std::string>>;
  auto key = [](int k) { return "key-" + std::to_string(1000 + k); };
  M a, b;
  for (int k = 0; k < 1000; k += 2) a.merge_at(key(k), Point<std::string>{key(k)});
  for (int k = 0; k < 1000; ++k) b.merge_at(key(k), Point<std::string>{k == 500 ? "x" : key(k)});
  const M before = a;
  EXPECT_THROW(a.merge(b), PointConflict);
  // Every key a had is still there with its value, the conflicting one untouched, and the
  // map is canonical: sorted keys, so it encodes and decodes to itself.
  for (const auto& [k, value] : before) EXPECT_EQ(a.get(k), value) << k;
  EXPECT_EQ(a.get(key(500)), Point<std::string>{key(500)});
  EXPECT_TRUE(compare(before, a) <= 0);
  EXPECT_EQ(from_bytes<M>(to_bytes(a)), a);
}

TEST(MapUnion, MergesOfMapsBuiltEntryByEntryMatchAPlainMap) {
  // Maps built one entry at a time keep a small recent run beside their bulk, on either side
  // of a merge; the merge must interleave all four runs. Sizes cross the recent run's bounds.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    const int n_a = static_cast<int>(rng() % 300), n_b = static_cast<int>(rng() % 300);
    using M = MapUnion<int, Max<int>>;
    M a, b;
    std::map<int, int> expected;
    auto fill = [&](M& m, int n) {
      for (int i = 0; i < n; ++i) {
        const int k = static_cast<int>(rng() % 500), v = static_cast<int>(rng() % 100);
        m.merge_at(k, Max<int>{v});
        auto [it, fresh] = expected.emplace(k, v);
        if (!fresh) it->second = std::max(it->second, v);
      }
    };
    fill(a, n_a);
    const M a_before = a;
    fill(b, n_b);
    const bool changed = a.merge(b);
    EXPECT_EQ(changed, !(a_before == a)) << "round " << round;
    std::map<int, int> actual;
    for (const auto& [k, v] : a) actual.emplace(k, v.reveal());
    ASSERT_EQ(actual, expected) << "round " << round;
    EXPECT_EQ(from_bytes<M>(to_bytes(a)), a);
  }
}

TEST(MapUnion, AMergeThatThrowsInARecentRunLeavesAValidMap) {
  // The conflicting key goes into each side first (it ends up in the bulk) or last (it sits in
  // the recent run); whatever was merged before the conflict, the map stays sorted and keeps
  // everything it held.
  using M = MapUnion<std::string, Point<std::string>>;
  auto key = [](int k) { return "key-" + std::to_string(1000 + k); };
  for (int conflict = 0; conflict < 400; conflict += 37) {
    for (int placement = 0; placement < 4; ++placement) {
      const bool a_last = placement & 1, b_last = placement & 2;
      M a, b;
      const Point<std::string> mine{key(conflict)}, theirs{"x"};
      if (!a_last) a.merge_at(key(conflict), mine);
      for (int k = 0; k < 400; k += 2) {
        if (k != conflict) a.merge_at(key(k), Point<std::string>{key(k)});
      }
      if (a_last) a.merge_at(key(conflict), mine);
      if (!b_last) b.merge_at(key(conflict), theirs);
      for (int k = 1; k < 400; k += 3) {
        if (k != conflict) b.merge_at(key(k), Point<std::string>{key(k)});
      }
      if (b_last) b.merge_at(key(conflict), theirs);
      const M before = a;
      EXPECT_THROW(a.merge(b), PointConflict) << conflict << " " << placement;
      for (const auto& [k, value] : before) EXPECT_EQ(a.get(k), value) << k;
      EXPECT_TRUE(compare(before, a) <= 0);
      EXPECT_EQ(from_bytes<M>(to_bytes(a)), a);
      std::vector<std::string> keys;
      for (const auto& [k, value] : a) keys.push_back(k);
      EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
    }
  }
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

namespace calm::lattices {
namespace {

TEST(VecUnion, MergeAtAcceptsAValueThatLivesInTheSameVector) {
  // Regression: growing the vector used to invalidate a value passed by reference into it.
  VecUnion<SetUnion<int>> v{SetUnion<int>{1, 2, 3}};
  EXPECT_TRUE(v.merge_at(1000, v.get(0)));
  EXPECT_EQ(v.get(1000), (SetUnion<int>{1, 2, 3}));
}

TEST(VecUnion, AnImpossibleIndexIsAnErrorNotAnOverflow) {
  VecUnion<Max<int>> v;
  EXPECT_THROW(v.merge_at(static_cast<std::size_t>(-1), Max<int>{1}), std::length_error);
  EXPECT_TRUE(is_bot(v));
}

TEST(VecUnion, AMergeThatThrowsStaysCanonical) {
  VecUnion<Point<int>> a{Point<int>{1}};
  const VecUnion<Point<int>> b{Point<int>{2}, Point<int>{}, Point<int>{3}};
  EXPECT_THROW(a.merge(b), PointConflict);
  EXPECT_EQ(a, VecUnion<Point<int>>{Point<int>{1}});
  EXPECT_EQ(from_bytes<VecUnion<Point<int>>>(to_bytes(a)), a);
}

TEST(Collections, RejectNaNElementsAndKeys) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(SetUnion<double>({1.0, nan}), std::domain_error);
  SetUnion<double> s;
  EXPECT_THROW(s.insert(nan), std::domain_error);
  MapUnion<double, Max<int>> m;
  EXPECT_THROW(m.merge_at(nan, Max<int>{1}), std::domain_error);
  EXPECT_THROW(Point<double>{nan}, std::domain_error);
  EXPECT_THROW(Conflict<double>{nan}, std::domain_error);
}

}  // namespace
}  // namespace calm::lattices
