#pragma once
/// Mutators<C>: the operations a replica can issue on a CRDT C. The generators build a
/// dot-based CRDT's values by replaying them (so every generated state is one that a run can
/// reach), and check_delta_crdt issues them at its replicas. They compose, so a user's nested
/// type needs no code of its own:
///
///   using Op = ...;                                    // one operation; printable (<<)
///   static rc::Gen<Op> gen_op(std::uint64_t replica);  // what replica 1..n may issue
///   static C apply(C& crdt, std::uint64_t replica, const Op& op);  // mutates, returns the delta
///
/// Unless a user specializes Mutators<C>, it is the first of these that applies:
///   - DeltaCrdtModel<C>'s Op, gen_op and apply, where C has a model (every library CRDT);
///   - ORMap<K, V, Id>: update(key, an operation of V) and remove(key);
///   - MapUnion<K, V>: an operation of V at a key;
///   - Pair, std::pair, std::tuple and Hana structs: an operation of one field;
///   - any other lattice that is not dot-based: joining in a generated value (rc::Arbitrary);
/// each where the parts have mutators. A dot-based type with none of these has no mutators:
/// its dots must come from its own operations, which cannot be guessed.
#include <rapidcheck.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "lattices/lattices.hpp"
#include "lattices/testing/laws.hpp"

namespace calm::lattices::testing {

template <class C>
struct DeltaCrdtModel;

namespace detail {
template <class C>
struct DefaultMutators {};
}  // namespace detail

/// Specialize for a type of your own (or give it a DeltaCrdtModel); see the top of this file.
template <class C>
struct Mutators : detail::DefaultMutators<C> {};

namespace detail {

template <class C, class M = Mutators<C>>
concept has_mutators = requires(C& crdt, std::uint64_t replica, const typename M::Op& op,
                                std::ostream& os) {
  { M::gen_op(replica) } -> std::convertible_to<rc::Gen<typename M::Op>>;
  { M::apply(crdt, replica, op) } -> std::convertible_to<C>;
  os << op;
};

template <class C, class M = DeltaCrdtModel<C>>
concept model_mutators = requires(C& crdt, std::uint64_t replica, const typename M::Op& op) {
  { M::gen_op(replica) } -> std::convertible_to<rc::Gen<typename M::Op>>;
  { M::apply(crdt, replica, op) } -> std::convertible_to<C>;
};

template <class C>
concept dot_based = requires {
  typename C::dotted_type;
};

/// Replica `r` (1..n) as the CRDT's replica id type.
template <class Id>
Id replica_id(std::uint64_t r) {
  if constexpr (std::is_same_v<Id, std::string>) {
    return "r" + std::to_string(r);
  } else {
    return static_cast<Id>(r);
  }
}

/// Keys and elements of operations: a small range, so that operations collide on them.
template <class T>
rc::Gen<T> small_element() {
  if constexpr (std::is_same_v<T, std::string>) {
    return rc::gen::map(rc::gen::inRange(0, 5),
                        [](int i) { return std::string(1, char('a' + i)); });
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    return rc::gen::inRange<T>(0, 5);
  } else {
    return element<T>();
  }
}

/// An operation at one key of a map: an operation of the value, or (ORMap) removing the key.
template <class K, class Inner>
struct KeyedOp {
  K key{};
  std::optional<Inner> op;  // empty: remove the key
  friend std::ostream& operator<<(std::ostream& os, const KeyedOp& k) {
    os << (k.op ? "update(" : "remove(");
    show(os, k.key);
    if (k.op) os << ", " << *k.op;
    return os << ')';
  }
};

template <class K, class V>
rc::Gen<KeyedOp<K, typename Mutators<V>::Op>> keyed_op(std::uint64_t replica, int remove_weight) {
  using Op = KeyedOp<K, typename Mutators<V>::Op>;
  auto update =
      rc::gen::map(rc::gen::pair(small_element<K>(), Mutators<V>::gen_op(replica)), [](auto kv) {
        return Op{std::move(kv.first), std::move(kv.second)};
      });
  if (remove_weight == 0) return update;
  auto remove = rc::gen::map(small_element<K>(), [](K key) {
    return Op{std::move(key), std::nullopt};
  });
  return rc::gen::weightedOneOf<Op>({{4, std::move(update)}, {remove_weight, std::move(remove)}});
}

/// An operation on field I of a product (printed as `.I op`).
template <class... Ops>
struct FieldOp {
  std::variant<Ops...> op;
  friend std::ostream& operator<<(std::ostream& os, const FieldOp& f) {
    os << '.' << f.op.index() << ' ';
    std::visit([&](const auto& inner) { os << inner; }, f.op);
    return os;
  }
};

/// The mutators of a product whose fields are reached by Get<I>(value); none (no Op) where a
/// field has none.
template <class P, class Fields, class Get>
struct ProductMutators {};

template <class P, class... Fs, class Get>
requires(has_mutators<Fs>&&...) struct ProductMutators<P, std::tuple<Fs...>, Get> {
  using Op = FieldOp<typename Mutators<Fs>::Op...>;

  static rc::Gen<Op> gen_op(std::uint64_t replica) {
    return gen_field(replica, std::index_sequence_for<Fs...>{});
  }
  static P apply(P& crdt, std::uint64_t replica, const Op& op) {
    P delta{};
    apply_field(crdt, delta, replica, op, std::index_sequence_for<Fs...>{});
    return delta;
  }

 private:
  template <std::size_t... I>
  static rc::Gen<Op> gen_field(std::uint64_t replica, std::index_sequence<I...>) {
    return rc::gen::oneOf(rc::gen::map(Mutators<Fs>::gen_op(replica), [](auto inner) {
      return Op{
          std::variant<typename Mutators<Fs>::Op...>(std::in_place_index<I>, std::move(inner))};
    })...);
  }
  template <std::size_t... I>
  static void apply_field(P& crdt, P& delta, std::uint64_t replica, const Op& op,
                          std::index_sequence<I...>) {
    (void)((op.op.index() == I && (Get::template get<I>(delta) = Mutators<Fs>::apply(
                                       Get::template get<I>(crdt), replica, std::get<I>(op.op)),
                                   true)) ||
           ...);
  }
};

struct PairFields {
  template <std::size_t I, class P>
  static auto& get(P& p) {
    if constexpr (I == 0) {
      return p.first;
    } else {
      return p.second;
    }
  }
};

template <class P>
struct ProductTraitFields {
  template <std::size_t I, class Q>
  static auto& get(Q& q) {
    return ::calm::lattices::product_traits<P>::template get<I>(q);
  }
};

template <class C>
requires model_mutators<C>
struct ModelMutators {
  using Op = typename DeltaCrdtModel<C>::Op;
  static rc::Gen<Op> gen_op(std::uint64_t replica) { return DeltaCrdtModel<C>::gen_op(replica); }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return DeltaCrdtModel<C>::apply(crdt, replica, op);
  }
};

template <class C>
struct StructuralMutators {};

template <class K, class V, class Id>
requires has_mutators<V>
struct StructuralMutators<ORMap<K, V, Id>> {
  using Op = KeyedOp<K, typename Mutators<V>::Op>;
  static rc::Gen<Op> gen_op(std::uint64_t replica) { return keyed_op<K, V>(replica, 1); }
  static ORMap<K, V, Id> apply(ORMap<K, V, Id>& map, std::uint64_t replica, const Op& op) {
    if (!op.op) return map.remove(op.key);
    return map.update(replica_id<Id>(replica), op.key,
                      [&](V& value) { return Mutators<V>::apply(value, replica, *op.op); });
  }
};

template <class K, class V>
requires has_mutators<V>
struct StructuralMutators<MapUnion<K, V>> {
  using Op = KeyedOp<K, typename Mutators<V>::Op>;
  static rc::Gen<Op> gen_op(std::uint64_t replica) { return keyed_op<K, V>(replica, 0); }
  // The value is mutated in place (as a field of a product is) and the map takes in the value
  // the mutator left, not its delta: so a value type whose delta is not its effect is caught.
  static MapUnion<K, V> apply(MapUnion<K, V>& map, std::uint64_t replica, const Op& op) {
    V value = map.get(op.key);
    V delta = Mutators<V>::apply(value, replica, *op.op);
    map.merge_at(op.key, std::move(value));
    MapUnion<K, V> out;
    out.merge_at(op.key, std::move(delta));
    return out;
  }
};

template <class A, class B>
struct StructuralMutators<Pair<A, B>> : ProductMutators<Pair<A, B>, std::tuple<A, B>, PairFields> {
};

template <class C>
requires ::calm::lattices::detail::is_product<C>
struct StructuralMutators<C>
    : ProductMutators<C, typename ::calm::lattices::product_traits<C>::fields,
                      ProductTraitFields<C>> {
};

/// Joining in a value, printed as `join(value)` (field by field where it has no <<).
template <class L>
struct JoinOp {
  L value;
  friend std::ostream& operator<<(std::ostream& os, const JoinOp& op) {
    os << "join(";
    show(os, op.value);
    return os << ')';
  }
};

/// A lattice's one generic operation: join in a generated value, which is its own delta.
template <class L>
struct JoinMutators {
  using Op = JoinOp<L>;
  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::map(nested<L>(), [](L value) { return Op{std::move(value)}; });
  }
  static L apply(L& value, std::uint64_t, const Op& op) {
    ::calm::lattices::merge(value, op.value);
    return op.value;
  }
};

template <class C>
requires model_mutators<C>
struct DefaultMutators<C> : ModelMutators<C> {
};

template <class C>
requires(!model_mutators<C> && has_mutators<C, StructuralMutators<C>>) struct DefaultMutators<C>
    : StructuralMutators<C> {
};

template <class C>
requires(!model_mutators<C> && !has_mutators<C, StructuralMutators<C>> && !dot_based<C> &&
         !::calm::lattices::detail::is_product<C> &&
         ::calm::lattices::Lattice<C>) struct DefaultMutators<C> : JoinMutators<C> {
};

// A dot-based type or a product that none of these fits keeps the primary template: no Op.

}  // namespace detail
}  // namespace calm::lattices::testing
