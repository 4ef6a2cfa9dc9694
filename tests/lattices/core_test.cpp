// The contract of core.hpp: a user's type with the minimal definition is a lattice, and the
// free functions behave as documented.
#include <gtest/gtest.h>

#include <compare>
#include <cstdint>
#include <string>
#include <utility>

#include "lattices/lattices.hpp"

namespace user {

/// The minimal complete definition: bottom by default, merge, ==.
struct HighWater {
  int value = 0;
  bool merge(const HighWater& other) {
    if (other.value <= value) return false;
    value = other.value;
    return true;
  }
  friend bool operator==(const HighWater&, const HighWater&) = default;
};

/// Two independent high-water marks: some pairs of values are unordered.
struct TwoMarks {
  int x = 0;
  int y = 0;
  bool merge(const TwoMarks& other) {
    const TwoMarks old = *this;
    x = std::max(x, other.x);
    y = std::max(y, other.y);
    return !(old == *this);
  }
  friend bool operator==(const TwoMarks&, const TwoMarks&) = default;
};

}  // namespace user

namespace {

using calm::lattices::Lattice;
using calm::lattices::Max;

TEST(Contract, AUserTypeWithTheMinimalDefinitionIsALattice) {
  static_assert(Lattice<user::HighWater>);
  static_assert(!calm::lattices::BoundedLattice<user::HighWater>);
  static_assert(!calm::lattices::DeltaLattice<user::HighWater>);
  user::HighWater a{3};
  EXPECT_TRUE(calm::lattices::merge(a, user::HighWater{5}));
  EXPECT_EQ(a.value, 5);
  EXPECT_FALSE(calm::lattices::merge(a, user::HighWater{4}));
}

TEST(Contract, NonLatticesAreRejectedByTheConcept) {
  static_assert(!Lattice<int>);
  static_assert(!Lattice<std::string>);
  static_assert(!Lattice<std::pair<int, Max<int>>>);
}

TEST(Contract, CompareIsDerivedFromMergeWhenTheTypeGivesNone) {
  using calm::lattices::compare;
  using user::TwoMarks;
  EXPECT_EQ(compare(TwoMarks{1, 1}, TwoMarks{2, 2}), std::partial_ordering::less);
  EXPECT_EQ(compare(TwoMarks{2, 2}, TwoMarks{1, 1}), std::partial_ordering::greater);
  EXPECT_EQ(compare(TwoMarks{1, 2}, TwoMarks{1, 2}), std::partial_ordering::equivalent);
  EXPECT_EQ(compare(TwoMarks{1, 2}, TwoMarks{2, 1}), std::partial_ordering::unordered);
}

TEST(Contract, JoinLeavesItsArgumentsAlone) {
  const user::TwoMarks a{1, 2}, b{2, 1};
  EXPECT_EQ(calm::lattices::join(a, b), (user::TwoMarks{2, 2}));
  EXPECT_EQ(a, (user::TwoMarks{1, 2}));
}

TEST(Contract, IsBotComparesWithTheDefaultValue) {
  EXPECT_TRUE(calm::lattices::is_bot(user::HighWater{}));
  EXPECT_FALSE(calm::lattices::is_bot(user::HighWater{1}));
}

TEST(Contract, RevealNeedsNoQualificationForLibraryTypes) {
  // Found by argument-dependent lookup, as DESIGN.md writes it.
  EXPECT_EQ(reveal(Max<int>{5}), 5);
  EXPECT_EQ(join(Max<int>{5}, Max<int>{7}), Max<int>{7});
}

TEST(Contract, RevealOfATypeWithoutOneIsTheValueItself) {
  const user::HighWater a{4};
  EXPECT_EQ(&calm::lattices::reveal(a), &a);
}

TEST(Contract, RvalueMergeMovesTheDelta) {
  calm::lattices::SetUnion<std::string> s;
  calm::lattices::SetUnion<std::string> delta{"a", "b"};
  EXPECT_TRUE(calm::lattices::merge(s, std::move(delta)));
  EXPECT_EQ(s, (calm::lattices::SetUnion<std::string>{"a", "b"}));
}

}  // namespace
