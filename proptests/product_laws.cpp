// The laws of products: Pair, std::pair, std::tuple, Hana structs, and DomPair over chains and
// over keys that can be concurrent.
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>

#include "lattices/testing.hpp"

namespace shop {
// A user's own state: a struct of library lattices, declared with Hana and nothing else.
struct Cart {
  BOOST_HANA_DEFINE_STRUCT(Cart, (calm::lattices::SetUnion<std::string>, items),
                           (calm::lattices::MapUnion<std::string, calm::lattices::Max<int>>,
                            quantities),
                           (calm::lattices::Or, checked_out));
  friend bool operator==(const Cart&, const Cart&) = default;
};
}  // namespace shop

namespace calm::lattices {
namespace {

TEST(PairLaws, HoldForMixedComponents) { EXPECT_LATTICE(Pair<Max<int>, SetUnion<int>>); }

TEST(StdProductLaws, HoldForPairAndTuple) {
  EXPECT_LATTICE(std::pair<Min<int>, Or>);
  EXPECT_LATTICE(std::tuple<Max<int>, SetUnion<int>, And>);
}

TEST(HanaStructLaws, HoldForAUserStructWithNoLatticeCode) { EXPECT_LATTICE(shop::Cart); }

TEST(DomPairLaws, HoldWithAChainKey) { EXPECT_LATTICE(DomPair<Max<int>, SetUnion<int>>); }

TEST(DomPairLaws, HoldWithKeysThatCanBeConcurrent) {
  EXPECT_LATTICE(DomPair<SetUnion<int>, Max<int>>);
  EXPECT_LATTICE(DomPair<Pair<Max<int>, Max<int>>, SetUnion<int>>);
}

}  // namespace
}  // namespace calm::lattices
