// The laws of Boxed<L> over chains, sets, counters and nested products, and that boxing is
// invisible: a lattice morphism both ways, and the same bytes as L.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/hana/define_struct.hpp>
#include <cstdint>
#include <string>

#include "lattices/testing.hpp"

namespace calm_boxed_laws {

using namespace calm::lattices;

// Boxed fields in a product, as in calm-kvs's KeyValue.
struct Sparse {
  BOOST_HANA_DEFINE_STRUCT(Sparse, (Max<int>, version), (Boxed<AWSet<int>>, tags),
                           (Boxed<PNCounter<>>, count));
  friend bool operator==(const Sparse&, const Sparse&) = default;
};

namespace {

TEST(BoxedLaws, HoldOverAChainWithATop) { EXPECT_LATTICE(Boxed<Max<int>>); }

TEST(BoxedLaws, HoldOverCrdts) {
  EXPECT_LATTICE(Boxed<AWSet<int>>);
  EXPECT_LATTICE(Boxed<PNCounter<>>);
  EXPECT_LATTICE(Boxed<LWWRegister<int>>);
}

TEST(BoxedLaws, HoldNestedInMapsPairsAndStructs) {
  EXPECT_LATTICE(Boxed<MapUnion<int, Boxed<Max<int>>>>);
  EXPECT_LATTICE(MapUnion<int, Boxed<SetUnion<int>>>);
  EXPECT_LATTICE(Pair<Boxed<Max<int>>, Boxed<SetUnion<int>>>);
  EXPECT_LATTICE(Sparse);
}

template <class L>
Boxed<L> box(const L& x) {
  return Boxed<L>(x);
}
template <class L>
L unbox(const Boxed<L>& b) {
  return b.value();
}

TEST(BoxedLaws, BoxingAndUnboxingAreMorphisms) {
  using Map = MapUnion<int, Boxed<Max<int>>>;
  EXPECT_MORPHISM(box<AWSet<int>>, AWSet<int>);
  EXPECT_MORPHISM(unbox<AWSet<int>>, Boxed<AWSet<int>>);
  EXPECT_MORPHISM(box<PNCounter<>>, PNCounter<>);
  EXPECT_MORPHISM(unbox<Map>, Boxed<Map>);
}

template <class L>
void same_bytes_as_the_inner_lattice(const L& x) {
  const std::string bytes = to_bytes(x);
  RC_ASSERT(to_bytes(Boxed<L>(x)) == bytes);
  RC_ASSERT(from_bytes<Boxed<L>>(bytes) == Boxed<L>(x));
  RC_ASSERT(from_bytes<Boxed<L>>(bytes).allocated() == !is_bot(x));
}

RC_GTEST_PROP(BoxedBytes, AreTheInnerAWSetsBytes, (const AWSet<int>& x)) {
  same_bytes_as_the_inner_lattice(x);
}
RC_GTEST_PROP(BoxedBytes, AreTheInnerPNCountersBytes, (const PNCounter<>& x)) {
  same_bytes_as_the_inner_lattice(x);
}
RC_GTEST_PROP(BoxedBytes, AreTheInnerMapsBytes, (const MapUnion<int, Boxed<Max<int>>>& x)) {
  same_bytes_as_the_inner_lattice(x);
}

}  // namespace
}  // namespace calm_boxed_laws
