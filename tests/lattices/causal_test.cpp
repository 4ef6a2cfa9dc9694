// Causal: the causally consistent value, its concurrent versions and the writes that replace them.
#include <gtest/gtest.h>

#include <compare>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"
#include "support/printed.hpp"

namespace calm::lattices {
namespace {

TEST(Causal, CausalKeepsConcurrentWritesAndALaterWriteReplacesThem) {
  Causal<SetUnion<std::string>> a, b;
  const auto from_a = a.write(1, {"a"});
  const auto from_b = b.write(2, {"b"});
  a.merge(from_b);
  b.merge(from_a);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.values(), (std::vector<SetUnion<std::string>>{{"a"}, {"b"}}));
  EXPECT_EQ(a.clock(), (VectorClock<>{{1, 1}, {2, 1}}));

  const auto later = a.write(1, {"c"});  // saw both
  EXPECT_EQ(later.versions().front().first, (VectorClock<>{{1, 2}, {2, 1}}));
  b.merge(later);
  EXPECT_EQ(b.values(), (std::vector<SetUnion<std::string>>{{"c"}}));
  EXPECT_EQ(a, b);
}

TEST(Causal, AWriteThatSawOnlyOneVersionReplacesOnlyThatOne) {
  Causal<SetUnion<int>> a, b, c;
  const auto va = a.write(1, {1});
  const auto vb = b.write(2, {2});
  c.merge(va);
  const auto vc = c.write(3, {3});  // saw va, not vb
  a.merge(vb);
  a.merge(vc);
  // In clock order: {1: 1, 3: 1} sorts before {2: 1}.
  EXPECT_EQ(a.values(), (std::vector<SetUnion<int>>{{3}, {2}}));
  // Anna's CausalLattice would have merged va and vb into one version that vc cannot replace.
}

TEST(Causal, VersionsWithEqualClocksJoinTheirValues) {
  Causal<SetUnion<int>> a, b;  // two states that (wrongly) share replica id 1
  a.write(1, {1});
  b.write(1, {2});
  EXPECT_TRUE(a.merge(b));
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.values().front(), (SetUnion<int>{1, 2}));
  EXPECT_EQ(join(b, a), a);
}

TEST(Causal, DeltaHoldsOnlyTheVersionsTheOtherDoesNotSupersede) {
  Causal<SetUnion<int>> old, ahead;
  old.write(1, {1});
  ahead = old;
  ahead.write(2, {2});
  EXPECT_TRUE(is_bot(delta(old, ahead)));
  EXPECT_EQ(delta(ahead, old), ahead);
  EXPECT_EQ(compare(old, ahead), std::partial_ordering::less);
  EXPECT_EQ(printed(old), "Causal{VectorClock{1: 1}: SetUnion{1}}");
}

}  // namespace
}  // namespace calm::lattices
