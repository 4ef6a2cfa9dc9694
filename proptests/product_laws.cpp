// The laws of the products of product.hpp: std::pair, std::tuple, and a user's Hana struct.
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

TEST(StdProductLaws, HoldForPairAndTuple) {
  EXPECT_LATTICE(std::pair<Min<int>, Or>);
  EXPECT_LATTICE(std::tuple<Max<int>, SetUnion<int>, And>);
}

TEST(HanaStructLaws, HoldForAUserStructWithNoLatticeCode) { EXPECT_LATTICE(shop::Cart); }

}  // namespace
}  // namespace calm::lattices
