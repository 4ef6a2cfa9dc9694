// TwoPSet: the two-phase set, whose removes are forever.
#include <gtest/gtest.h>

#include <compare>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

TEST(TwoPSet, TwoPSetNeverReaddsARemovedElement) {
  TwoPSet<int> set;
  set.add(1);
  set.remove(1);
  const TwoPSet<int> delta = set.add(1);
  EXPECT_FALSE(set.contains(1));
  EXPECT_FALSE(delta.tombstones().contains(1));  // the add is returned, and absorbed
  TwoPSet<int> elsewhere;
  elsewhere.merge(delta);
  EXPECT_TRUE(elsewhere.contains(1));
  elsewhere.merge(set);
  EXPECT_FALSE(elsewhere.contains(1));
}

TEST(TwoPSet, RemovingANeverAddedElementTombstonesItPreemptively) {
  TwoPSet<std::string> a, b;
  a.remove("x");  // allowed: no lookup precondition
  const auto add = b.add("x");
  EXPECT_TRUE(b.contains("x"));
  a.merge(add);
  b.merge(a);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.contains("x"));
  EXPECT_TRUE(a.removed("x"));
}

TEST(TwoPSet, ConcurrentAddAndRemoveConvergeToRemovedInEitherOrder) {
  TwoPSet<int> base;
  base.add(3);
  TwoPSet<int> a = base, b = base;
  const auto re_add = a.add(3);
  const auto remove = b.remove(3);
  a.merge(remove);
  b.merge(re_add);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 0u);
}

TEST(TwoPSet, StoresARemovedElementOnlyAsItsTombstoneAndListsElementsInOrder) {
  TwoPSet<int> set;
  for (int x : {5, 1, 3}) set.add(x);
  set.remove(3);
  EXPECT_EQ(set.elements(), (std::vector<int>{1, 5}));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.added(), (SetUnion<int>{1, 5}));
  EXPECT_EQ(set.tombstones(), (SetUnion<int>{3}));
  EXPECT_EQ(atomize(set).size(), 3u);
  EXPECT_EQ(printed(set), "TwoPSet{added: SetUnion{1, 5}, removed: SetUnion{3}}");
}

TEST(TwoPSet, DeltaCarriesNothingTheOtherHasOrRemoved) {
  TwoPSet<int> a, b;
  for (int x : {1, 2, 3}) a.add(x);
  a.remove(4);
  b.add(1);
  b.remove(2);
  TwoPSet<int> expected;
  expected.add(3);
  expected.remove(4);
  EXPECT_EQ(delta(a, b), expected);
  EXPECT_EQ(compare(b, join(a, b)), std::partial_ordering::less);
}

}  // namespace
}  // namespace calm::lattices
