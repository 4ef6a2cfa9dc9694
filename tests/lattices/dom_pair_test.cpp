// DomPair: the lexicographic pair, where a greater key wins outright.
#include <gtest/gtest.h>

#include <compare>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(DomPair, AGreaterKeyWinsOutright) {
  DomPair<Max<int>, SetUnion<int>> p{Max<int>{1}, SetUnion<int>{1, 2}};
  EXPECT_TRUE(p.merge(DomPair<Max<int>, SetUnion<int>>{Max<int>{2}, SetUnion<int>{9}}));
  EXPECT_EQ(p.value(), SetUnion<int>{9});
  EXPECT_FALSE(p.merge(DomPair<Max<int>, SetUnion<int>>{Max<int>{1}, SetUnion<int>{7}}));
}

TEST(DomPair, EqualKeysMergeTheirValues) {
  DomPair<Max<int>, SetUnion<int>> p{Max<int>{1}, SetUnion<int>{1}};
  EXPECT_TRUE(p.merge(DomPair<Max<int>, SetUnion<int>>{Max<int>{1}, SetUnion<int>{2}}));
  EXPECT_EQ(p.value(), (SetUnion<int>{1, 2}));
}

TEST(DomPair, ConcurrentKeysJoinToTheJoinedKeyWithBottomValue) {
  // The least upper bound of two pairs with concurrent keys: no value is above both.
  using P = DomPair<SetUnion<int>, Max<int>>;
  const P left{SetUnion<int>{1}, Max<int>{5}};
  const P right{SetUnion<int>{2}, Max<int>{7}};
  EXPECT_EQ(compare(left, right), std::partial_ordering::unordered);
  const P joined = join(left, right);
  EXPECT_EQ(joined.key(), (SetUnion<int>{1, 2}));
  EXPECT_TRUE(is_bot(joined.value()));
  EXPECT_EQ(compare(left, joined), std::partial_ordering::less);
}

TEST(DomPair, ADeltaBetweenConcurrentKeysCarriesOnlyTheKey) {
  // The join drops both values, so the key alone brings b up to it.
  using P = DomPair<SetUnion<int>, Max<int>>;
  const P a{SetUnion<int>{1}, Max<int>{5}};
  const P b{SetUnion<int>{2}, Max<int>{7}};
  const P d = delta(a, b);
  EXPECT_EQ(d, (P{SetUnion<int>{1}, Max<int>{}}));
  EXPECT_EQ(join(b, d), join(a, b));
}

}  // namespace
}  // namespace calm::lattices
