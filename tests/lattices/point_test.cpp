// Point: a partial lattice, whose join of two different values is undefined.
#include <gtest/gtest.h>

#include <compare>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(Point, TakesAValueOnceAndKeepsIt) {
  Point<std::string> p;
  EXPECT_TRUE(is_bot(p));
  EXPECT_TRUE(p.merge(Point<std::string>{"leader-1"}));
  EXPECT_FALSE(p.merge(Point<std::string>{"leader-1"}));
  EXPECT_FALSE(p.merge(Point<std::string>{}));
  EXPECT_EQ(reveal(p), std::optional<std::string>{"leader-1"});
}

TEST(Point, TwoDifferentValuesThrowAndLeaveTheValueUnchanged) {
  Point<int> p{1};
  EXPECT_THROW(p.merge(Point<int>{2}), PointConflict);
  EXPECT_EQ(p, Point<int>{1});
  EXPECT_EQ(compare(Point<int>{1}, Point<int>{2}), std::partial_ordering::unordered);
}

TEST(PointMerge, ErrorTypesFormTheDocumentedHierarchy) {
  static_assert(std::is_convertible_v<PointConflict*, JoinUndefined*>);
  static_assert(std::is_convertible_v<JoinUndefined*, std::logic_error*>);
  static_assert(std::is_convertible_v<DecodeError*, std::runtime_error*>);
  static_assert(!std::is_convertible_v<DecodeError*, std::logic_error*>);
  SUCCEED();
}

TEST(PointMerge, TwoDifferentValuesThrowPointConflictAndLeaveTheTargetUnchanged) {
  Point<int> a{1};
  const Point<int> b{2};
  EXPECT_THROW(a.merge(b), PointConflict);
  EXPECT_THROW(merge(a, b), JoinUndefined);
  EXPECT_THROW((void)join(a, b), std::logic_error);
  EXPECT_THROW((void)join(b, a), PointConflict);
  EXPECT_EQ(a, Point<int>{1});

  Point<std::string> s{"x"};
  EXPECT_THROW(s.merge(Point<std::string>{"y"}), PointConflict);
}

TEST(PointMerge, EqualValuesOrBottomMergeWithoutError) {
  Point<int> a{1};
  EXPECT_FALSE(a.merge(Point<int>{1}));
  EXPECT_FALSE(a.merge(Point<int>{}));
  Point<int> bottom;
  EXPECT_TRUE(bottom.merge(a));
  EXPECT_EQ(bottom, a);
}

}  // namespace
}  // namespace calm::lattices
