#pragma once
/// shop::Cart: a user's own state, a struct of library lattices declared with Hana and nothing
/// else (the product and morphism tests use it).
#include <boost/hana/define_struct.hpp>
#include <string>

#include "lattices/lattices.hpp"

namespace shop {
struct Cart {
  BOOST_HANA_DEFINE_STRUCT(Cart, (calm::lattices::SetUnion<std::string>, items),
                           (calm::lattices::Max<int>, version));
  friend bool operator==(const Cart&, const Cart&) = default;
};
}  // namespace shop
