// Behaviour of the primitive lattices: Max, Min, Or, And, Point, Conflict, WithBot, WithTop.
#include <gtest/gtest.h>

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "lattices/lattices.hpp"

namespace calm::lattices {
namespace {

TEST(Max, KeepsTheGreaterValue) {
  Max<int> m{3};
  EXPECT_TRUE(m.merge(Max<int>{5}));
  EXPECT_FALSE(m.merge(Max<int>{4}));
  EXPECT_EQ(reveal(m), 5);
}

TEST(Max, NeverNarrowsWideUnsignedValues) {
  // Anna's MaxLattice merges through int; 2^63 + 1 and 2^64 - 1 must survive exactly.
  const std::uint64_t big = (std::uint64_t{1} << 63) + 1;
  Max<std::uint64_t> m{big};
  EXPECT_TRUE(m.merge(Max<std::uint64_t>{std::numeric_limits<std::uint64_t>::max()}));
  EXPECT_EQ(reveal(m), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(is_top(m));
  EXPECT_FALSE(Max<std::uint64_t>{big}.merge(Max<std::uint64_t>{big - 1}));
}

TEST(Max, NeverNarrowsDoubles) {
  Max<double> m{0.1};
  EXPECT_TRUE(m.merge(Max<double>{0.2}));
  EXPECT_EQ(reveal(m), 0.2);
  EXPECT_FALSE(m.merge(Max<double>{0.15}));
}

TEST(Max, BottomIsTheLeastValueOfTheType) {
  EXPECT_EQ(reveal(Max<int>{}), std::numeric_limits<int>::lowest());
  EXPECT_EQ(reveal(Max<double>{}), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(reveal(Max<std::string>{}), "");
  EXPECT_TRUE(is_bot(Max<std::uint64_t>{0}));
}

TEST(Max, RejectsNaN) { EXPECT_THROW(Max<double>{std::nan("")}, std::domain_error); }

TEST(Min, KeepsTheLesserValueAndOrdersInReverse) {
  Min<int> m{5};
  EXPECT_TRUE(m.merge(Min<int>{3}));
  EXPECT_EQ(reveal(m), 3);
  EXPECT_EQ(compare(Min<int>{5}, Min<int>{3}), std::partial_ordering::less);
  EXPECT_EQ(reveal(Min<int>{}), std::numeric_limits<int>::max());
}

TEST(OrAnd, OrOnlyBecomesTrueAndAndOnlyBecomesFalse) {
  Or o;
  EXPECT_FALSE(reveal(o));
  EXPECT_TRUE(o.merge(Or{true}));
  EXPECT_FALSE(o.merge(Or{false}));
  EXPECT_TRUE(is_top(o));
  And a;
  EXPECT_TRUE(reveal(a));
  EXPECT_TRUE(a.merge(And{false}));
  EXPECT_FALSE(a.merge(And{true}));
  EXPECT_TRUE(is_top(a));
}

TEST(OrAnd, PrintWithTheirOwnNames) {
  std::ostringstream os;
  os << Or{true} << ' ' << And{} << ' ' << Max<int>{2};
  EXPECT_EQ(os.str(), "Or(true) And(true) Max(2)");
}

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

TEST(Conflict, DisagreementBecomesTopAndStaysThere) {
  Conflict<int> c{1};
  EXPECT_FALSE(c.merge(Conflict<int>{1}));
  EXPECT_TRUE(c.merge(Conflict<int>{2}));
  EXPECT_TRUE(is_top(c));
  EXPECT_FALSE(reveal(c).has_value());
  EXPECT_FALSE(c.merge(Conflict<int>{3}));
  EXPECT_EQ(c, Conflict<int>::top());
}

TEST(WithBot, AddsABottomBelowTheInnerBottom) {
  const WithBot<Max<int>> nothing;
  const WithBot<Max<int>> inner_bottom{Max<int>{}};
  EXPECT_NE(nothing, inner_bottom);
  EXPECT_TRUE(is_bot(nothing));
  EXPECT_FALSE(is_bot(inner_bottom));
  EXPECT_EQ(compare(nothing, inner_bottom), std::partial_ordering::less);
  EXPECT_EQ(join(inner_bottom, WithBot<Max<int>>{Max<int>{4}}), WithBot<Max<int>>{Max<int>{4}});
}

TEST(WithTop, TopIsStickyAndForgetsTheInnerValue) {
  WithTop<SetUnion<int>> w{SetUnion<int>{1, 2}};
  EXPECT_TRUE(w.merge(WithTop<SetUnion<int>>::top()));
  EXPECT_TRUE(is_top(w));
  EXPECT_TRUE(reveal(w).empty());
  EXPECT_FALSE(w.merge(WithTop<SetUnion<int>>{SetUnion<int>{3}}));
  EXPECT_EQ(w, WithTop<SetUnion<int>>::top());
}

}  // namespace
}  // namespace calm::lattices
