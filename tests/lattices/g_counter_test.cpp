// GCounter: the grow-only counter and its deltas.
#include <gtest/gtest.h>

#include <string>

#include "lattices/lattices.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

TEST(GCounter, CountersConvergeUnderDuplicatedDeltas) {
  GCounter<std::string> a, b, c;
  const auto d1 = a.increment("a", 3);
  const auto d2 = b.increment("b");
  const auto d3 = a.increment("a", 2);
  const auto d4 = c.increment("c", 10);
  // Every replica gets every delta, in its own order, some twice, one stale after a newer one.
  for (const auto* d : {&d2, &d4, &d1, &d4, &d3}) a.merge(*d);
  for (const auto* d : {&d3, &d1, &d4, &d1, &d2}) b.merge(*d);
  for (const auto* d : {&d1, &d2, &d3, &d2, &d4}) c.merge(*d);
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(a.value(), 16u);
}

TEST(GCounter, IncrementReturnsOnlyTheReplicasNewTotal) {
  GCounter<> counter;
  counter.increment(1, 5);
  counter.increment(2, 7);
  const GCounter<> delta = counter.increment(1, 2);
  EXPECT_EQ(delta.size(), 1u);
  EXPECT_EQ(delta.get(1), 7u);
  EXPECT_EQ(counter.get(1), 7u);
  EXPECT_EQ(counter.value(), 14u);
  EXPECT_TRUE(is_bot(counter.increment(3, 0)));
  EXPECT_EQ(atomize(counter).size(), 2u);
  EXPECT_EQ(printed(counter), "GCounter{1: 7, 2: 7}");
}

}  // namespace
}  // namespace calm::lattices
