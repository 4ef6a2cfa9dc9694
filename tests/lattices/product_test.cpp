// Products (product.hpp): Hana structs and std::tuple, merged field by field.
#include <gtest/gtest.h>

#include <compare>
#include <string>
#include <tuple>

#include "lattices/lattices.hpp"
#include "support/shop_cart.hpp"

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

}  // namespace
}  // namespace calm::lattices
