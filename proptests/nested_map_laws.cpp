// Maps nested in maps, with no model and no generator of their own: the harness composes
// (lattices/testing/mutators.hpp). Each type passes check_lattice and check_delta_crdt; the
// list goes on in nested_product_laws.cpp.
#include <gtest/gtest.h>

#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

/// The cases a nested type can afford (a map of maps of registers, at -O0).
constexpr testing::Options kNestedMaps{.cases = 250};

TEST(NestedMaps, ORMapsOfRegisters) {
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<std::string, MVRegister<std::string>>);
}

TEST(NestedMaps, ORMapsOfCountersFlagsAndSets) {
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<std::string, GCounter<>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<std::string, PNCounter<>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<std::string, EWFlag<>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, AWSet<std::string>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, RWSet<int>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, TwoPSet<int>>);
}

TEST(NestedMaps, ORMapsOfPlainLatticesAndSequences) {
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, SetUnion<int>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, List<int>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<std::string, Text<>>);
}

TEST(NestedMaps, ORMapsOfORMaps) {
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, ORMap<int, LWWRegister<int>>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, ORMap<std::string, PNCounter<>>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, ORMap<int, AWSet<int>>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<std::string, ORMap<std::string, MVRegister<std::string>>>);
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, ORMap<int, ORMap<int, EWFlag<>>>>);
}

TEST(NestedMaps, ORMapsWithStringReplicaIds) {
  EXPECT_CRDT_WITH(kNestedMaps, ORMap<int, AWSet<int, std::string>, std::string>);
  EXPECT_CRDT_WITH(kNestedMaps,
                   ORMap<int, ORMap<int, MVRegister<int, std::string>, std::string>, std::string>);
}

TEST(NestedMaps, MapUnionsOfCRDTs) {
  EXPECT_CRDT_WITH(kNestedMaps, MapUnion<std::string, PNCounter<>>);
  EXPECT_CRDT_WITH(kNestedMaps, MapUnion<int, ORMap<int, LWWRegister<int>>>);
}

}  // namespace
}  // namespace calm::lattices
