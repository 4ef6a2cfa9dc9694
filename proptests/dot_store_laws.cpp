// The laws of the dot stores (DotSet, DotFun, DotMap) paired with their context.
//
// DotMap's join entry by entry (join_small, what ORMap takes for a small delta into a large
// map) gives exactly what the join in one pass (join_whole) gives, for the stores of maps of
// registers, counters, sets and maps: one delta at a time into replicas that keep their
// dot -> key index across joins once a removal built it (a write's delta finds the dots it
// replaces under its own keys without it), and for arbitrary pairs of values.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <vector>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(DottedLaws, HoldForEveryDotStore) {
  EXPECT_LATTICE(Dotted<DotSet<>>);
  EXPECT_LATTICE(Dotted<DotFun<int>>);
  EXPECT_LATTICE(Dotted<DotMap<int, DotSet<>>>);
}

using testing::detail::MapOp;

/// One replica three ways: the public ORMap, and its Dotted state joined only by join_small
/// (keeping its index from join to join) and only by join_whole.
template <class M>
struct Shadowed {
  using Store = typename M::store_type;
  M map;
  Dotted<Store> small;
  Dotted<Store> whole;

  /// Joins `delta` into the shadows (the map already holds it, or `public_too` says to merge).
  void receive(const M& delta, bool public_too) {
    const Dotted<Store>& d = delta.dotted();
    const bool changed_small =
        Store::join_small(small.mutable_store(), small.context(), d.store(), d.context());
    const bool changed_whole =
        Store::join_whole(whole.mutable_store(), whole.context(), d.store(), d.context());
    RC_ASSERT(changed_small == changed_whole);
    small.mutable_context().merge(d.context());
    whole.mutable_context().merge(d.context());
    if (public_too) map.merge(delta);
    RC_ASSERT(small == whole);
    RC_ASSERT(map.dotted() == whole);
  }
};

/// (replica, op, which other replicas get the delta, then whether replica syncs a whole state).
using Step = std::tuple<std::uint8_t, MapOp, std::uint8_t, bool>;

rc::Gen<MapOp> ops_on_keys(int keys) {
  return rc::gen::apply(
      [](int kind, int key, int x) {
        return MapOp{static_cast<MapOp::Kind>(kind), key, x};
      },
      rc::gen::weightedElement<int>(
          {{5, MapOp::inner_add}, {2, MapOp::inner_remove}, {2, MapOp::remove_key}}),
      rc::gen::inRange(0, keys), rc::gen::inRange(0, 4));
}

/// Three replicas of M, first seeded with `seeded` keys everyone holds (so that a one-key
/// delta is small for the public join too), then run through `steps`: each operation's delta
/// reaches a random subset of the others, and now and then a replica takes another's state.
template <class M>
void run_replicas(int seeded, const std::vector<Step>& steps) {
  using Model = testing::DeltaCrdtModel<M>;
  std::array<Shadowed<M>, 3> r;
  for (int k = 0; k < seeded; ++k) {
    const M delta = Model::apply(r[0].map, 1, MapOp{MapOp::inner_add, 100 + k, k % 4});
    r[0].receive(delta, false);
    r[1].receive(delta, true);
    r[2].receive(delta, true);
  }
  for (const auto& [who, op, deliver, sync] : steps) {
    const std::size_t i = who % 3;
    const M delta = Model::apply(r[i].map, i + 1, op);
    r[i].receive(delta, false);
    for (std::size_t j = 0; j < 3; ++j) {
      if (j != i && ((deliver >> j) & 1u)) r[j].receive(delta, true);
    }
    if (sync) r[(i + 1) % 3].receive(r[i].map, true);
  }
}

template <class M>
void check_runs() {
  const bool held = rc::check([](bool seed) {
    const auto steps = *rc::gen::container<std::vector<Step>>(rc::gen::tuple(
        rc::gen::arbitrary<std::uint8_t>(), ops_on_keys(8), rc::gen::arbitrary<std::uint8_t>(),
        rc::gen::weightedElement<bool>({{9, false}, {1, true}})));
    run_replicas<M>(seed ? 120 : 0, steps);
  });
  EXPECT_TRUE(held);
}

TEST(DotMapSmallJoin, EqualsTheWholeJoinForDeltasOfMapsOfSets) {
  check_runs<ORMap<int, AWSet<int>>>();
}
TEST(DotMapSmallJoin, EqualsTheWholeJoinForDeltasOfMapsOfMaps) {
  check_runs<ORMap<int, ORMap<int, EWFlag<>>>>();
}
TEST(DotMapSmallJoin, EqualsTheWholeJoinForDeltasOfMapsOfCounters) {
  check_runs<ORMap<int, PNCounter<>>>();
}
TEST(DotMapSmallJoin, EqualsTheWholeJoinForDeltasOfMapsOfLattices) {
  check_runs<ORMap<int, Max<int>>>();
}
// A hash's shape: each write's delta replaces the dots of its own key, which join_small finds
// under that key while the dot index is not built.
TEST(DotMapSmallJoin, EqualsTheWholeJoinForDeltasOfMapsOfRegisters) {
  check_runs<ORMap<int, MVRegister<int>>>();
}

template <class M>
void check_pairs() {
  const bool held = rc::check([](const M& a, const M& b) {
    using Store = typename M::store_type;
    Dotted<Store> small = a.dotted();
    Dotted<Store> whole = a.dotted();
    const Dotted<Store>& d = b.dotted();
    RC_ASSERT(Store::join_small(small.mutable_store(), small.context(), d.store(), d.context()) ==
              Store::join_whole(whole.mutable_store(), whole.context(), d.store(), d.context()));
    RC_ASSERT(small.store() == whole.store());
  });
  EXPECT_TRUE(held);
}

TEST(DotMapSmallJoin, EqualsTheWholeJoinForArbitraryValues) {
  check_pairs<ORMap<int, AWSet<int>>>();
  check_pairs<ORMap<int, ORMap<int, EWFlag<>>>>();
  check_pairs<ORMap<int, PNCounter<>>>();
  check_pairs<ORMap<int, Max<int>>>();
  check_pairs<ORMap<int, MVRegister<int>>>();
}

}  // namespace
}  // namespace calm::lattices
