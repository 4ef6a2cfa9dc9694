// VecUnion: index-by-index merge, trailing bottoms, and impossible indices.
#include <gtest/gtest.h>

#include <cstddef>
#include <stdexcept>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(VecUnion, MergesIndexByIndexAndTrimsTrailingBottoms) {
  VecUnion<Max<int>> v{Max<int>{1}, Max<int>{}};
  EXPECT_EQ(v.size(), 1u);
  EXPECT_TRUE(v.merge(VecUnion<Max<int>>{Max<int>{0}, Max<int>{2}, Max<int>{3}}));
  EXPECT_EQ(v, (VecUnion<Max<int>>{Max<int>{1}, Max<int>{2}, Max<int>{3}}));
  EXPECT_TRUE(is_bot(v.get(10)));
  EXPECT_EQ(VecUnion<Max<int>>{Max<int>{}}, VecUnion<Max<int>>{});
}

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

}  // namespace
}  // namespace calm::lattices
