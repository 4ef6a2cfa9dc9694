// MapUnion: key-by-key merge, absent keys as bottom, and merges that throw half way.
#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <map>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

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

}  // namespace
}  // namespace calm::lattices
