// RWSet: the remove-wins set, its concurrent add and remove.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(RWSet, ConcurrentAddAndRemoveOfTheSameElementRemovesIt) {
  RWSet<std::string> a, b;
  b.merge(a.add(1, "x"));
  const auto add = a.add(1, "x");
  const auto remove = b.remove(2, "x");
  a.merge(remove);
  b.merge(add);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.contains("x"));
  EXPECT_TRUE(a.elements().empty());
}

TEST(RWSet, AnAddThatSawTheRemoveBringsTheElementBack) {
  RWSet<std::string> a, b;
  const auto add = a.add(1, "x");
  const auto remove = b.remove(2, "x");
  a.merge(remove);
  b.merge(add);
  ASSERT_FALSE(a.contains("x"));
  b.merge(a.add(1, "x"));  // saw both tags
  EXPECT_TRUE(b.contains("x"));
  EXPECT_EQ(b.dotted().store().find("x")->size(), 1u);  // only the new add tag is left
}

TEST(RWSet, ElementsAreSortedAndSkipRemovedOnes) {
  RWSet<int> set;
  for (int x : {3, 1, 2}) set.add(1, x);
  set.remove(1, 2);
  set.remove(1, 7);  // removing an absent element leaves a remove tag, and no element
  EXPECT_EQ(set.elements(), (std::vector<int>{1, 3}));
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace calm::lattices
