// Behaviour of products (Pair, std::pair, std::tuple, Hana structs), DomPair, and morphisms.
#include <gtest/gtest.h>

#include <compare>
#include <string>
#include <tuple>
#include <utility>

#include "lattices/lattices.hpp"

namespace shop {
struct Cart {
  BOOST_HANA_DEFINE_STRUCT(Cart, (calm::lattices::SetUnion<std::string>, items),
                           (calm::lattices::Max<int>, version));
  friend bool operator==(const Cart&, const Cart&) = default;
};
}  // namespace shop

namespace calm::lattices {
namespace {

TEST(HanaStruct, IsALatticeMergedFieldByField) {
  static_assert(Lattice<shop::Cart> && Atomizable<shop::Cart> && DeltaLattice<shop::Cart>);
  shop::Cart a{SetUnion<std::string>{"apple"}, Max<int>{2}};
  const shop::Cart b{SetUnion<std::string>{"pear"}, Max<int>{1}};
  EXPECT_TRUE(merge(a, b));
  EXPECT_EQ(a.items, (SetUnion<std::string>{"apple", "pear"}));
  EXPECT_EQ(a.version, Max<int>{2});
  EXPECT_FALSE(merge(a, b));
}

TEST(HanaStruct, OrderIsTheProductOrder) {
  const shop::Cart small{SetUnion<std::string>{"a"}, Max<int>{1}};
  const shop::Cart big{SetUnion<std::string>{"a", "b"}, Max<int>{2}};
  const shop::Cart crossed{SetUnion<std::string>{"a", "b"}, Max<int>{0}};
  EXPECT_EQ(compare(small, big), std::partial_ordering::less);
  EXPECT_EQ(compare(small, crossed), std::partial_ordering::unordered);
}

TEST(HanaStruct, AtomsAreOneFieldsAtomWithTheRestAtBottom) {
  const shop::Cart cart{SetUnion<std::string>{"a", "b"}, Max<int>{3}};
  const auto atoms = atomize(cart);
  ASSERT_EQ(atoms.size(), 3u);
  EXPECT_EQ(atoms[0], (shop::Cart{SetUnion<std::string>{"a"}, Max<int>{}}));
  EXPECT_EQ(atoms[2], (shop::Cart{SetUnion<std::string>{}, Max<int>{3}}));
}

TEST(Tuple, MergesEveryElementAndReportsAnyChange) {
  std::tuple<Max<int>, SetUnion<int>, Or> t{Max<int>{1}, SetUnion<int>{1}, Or{}};
  EXPECT_TRUE(
      merge(t, std::tuple<Max<int>, SetUnion<int>, Or>{Max<int>{0}, SetUnion<int>{}, Or{true}}));
  EXPECT_EQ(std::get<2>(t), Or{true});
  EXPECT_EQ(std::get<0>(t), Max<int>{1});
}

TEST(Pair, HasATopOnlyWhereBothSidesDo) {
  static_assert(BoundedLattice<Pair<Or, And>>);
  static_assert(!BoundedLattice<Pair<Or, SetUnion<int>>>);
  EXPECT_TRUE(is_top(Pair<Or, And>{Or{true}, And{false}}));
  EXPECT_FALSE(is_top(Pair<Or, And>{Or{true}, And{true}}));
}

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

TEST(Morphisms, ComputeWhatTheirNamesSay) {
  EXPECT_EQ(size(SetUnion<int>{1, 2, 3}), Max<std::size_t>{3});
  EXPECT_EQ(threshold(10)(Max<int>{9}), Or{false});
  EXPECT_EQ(threshold(10)(Max<int>{10}), Or{true});
  EXPECT_EQ(contains(2)(SetUnion<int>{1, 2}), Or{true});
  EXPECT_EQ(keys(MapUnion<int, Max<int>>{{3, Max<int>{0}}, {1, Max<int>{0}}}),
            (SetUnion<int>{1, 3}));
  const shop::Cart cart{SetUnion<std::string>{"a"}, Max<int>{4}};
  EXPECT_EQ(project<1>(cart), Max<int>{4});
}

}  // namespace
}  // namespace calm::lattices
