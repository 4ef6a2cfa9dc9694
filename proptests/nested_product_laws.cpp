// Products of CRDTs (Pair, std::pair, std::tuple, Hana structs), with maps inside and maps of
// them: the second half of the nested list begun in nested_map_laws.cpp.
#include <gtest/gtest.h>

#include <boost/hana/define_struct.hpp>
#include <string>
#include <tuple>
#include <utility>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

/// The cases a nested type can afford (a map of maps of registers, at -O0).
constexpr testing::Options kNestedProducts{.cases = 250};

/// What a shop keeps per customer: item counts, tags, and an address that the last write sets.
struct Cart {
  BOOST_HANA_DEFINE_STRUCT(Cart, (ORMap<std::string, PNCounter<>>, counts),
                           (AWSet<std::string>, tags), (LWWRegister<std::string>, address));
  friend bool operator==(const Cart&, const Cart&) = default;
};

/// A shared document: its text, metadata by name, and whether it is archived.
struct Document {
  BOOST_HANA_DEFINE_STRUCT(Document, (Text<>, body),
                           (ORMap<std::string, LWWRegister<std::string>>, meta),
                           (DWFlag<>, archived));
  friend bool operator==(const Document&, const Document&) = default;
};

/// Two levels of maps and a flag inside a struct.
struct Inventory {
  BOOST_HANA_DEFINE_STRUCT(Inventory, (ORMap<int, ORMap<int, PNCounter<>>>, stock),
                           (EWFlag<>, open));
  friend bool operator==(const Inventory&, const Inventory&) = default;
};

TEST(NestedProducts, PairsAndTuplesOfCRDTs) {
  EXPECT_CRDT_WITH(kNestedProducts, Pair<AWSet<int>, PNCounter<>>);
  EXPECT_CRDT_WITH(kNestedProducts, Pair<ORMap<int, MVRegister<int>>, LWWRegister<std::string>>);
  EXPECT_CRDT_WITH(kNestedProducts, std::pair<EWFlag<>, GCounter<>>);
  EXPECT_CRDT_WITH(kNestedProducts, std::tuple<AWSet<int>, RWSet<int>, MVRegister<int>>);
  EXPECT_CRDT_WITH(kNestedProducts,
                   std::tuple<LWWRegister<int>, TwoPSet<int>, ORMap<int, GCounter<>>>);
}

TEST(NestedProducts, HanaStructsOfCRDTs) {
  EXPECT_CRDT_WITH(kNestedProducts, Cart);
  EXPECT_CRDT_WITH(kNestedProducts, Document);
  EXPECT_CRDT_WITH(kNestedProducts, Inventory);
}

TEST(NestedProducts, MapsOfProductsAndProductsOfMaps) {
  EXPECT_CRDT_WITH(kNestedProducts, MapUnion<int, Pair<Max<int>, PNCounter<>>>);
  EXPECT_CRDT_WITH(kNestedProducts, ORMap<std::string, Pair<Max<int>, SetUnion<int>>>);
  EXPECT_CRDT_WITH(kNestedProducts, Pair<MapUnion<int, MVRegister<int>>, ORMap<int, EWFlag<>>>);
  EXPECT_CRDT_WITH(kNestedProducts, MapUnion<std::string, Cart>);
}

}  // namespace
}  // namespace calm::lattices
