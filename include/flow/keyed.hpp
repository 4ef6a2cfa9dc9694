#pragma once
/// The keyed layer of Stream: operators that keep state across items, per key or per item,
/// and never block (so they may sit in a cycle): join, cross_join, lattice_merge_by_key,
/// lattice_join, unique, enumerate. Each keeps its state for a Lifetime: a tick, or for good.
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "flow/stateless.hpp"
#include "lattices/core.hpp"

namespace calm::flow::detail {

/// A set of seen values: hashed when T can be, ordered otherwise.
template <class T>
struct SeenSet {
  std::conditional_t<Hashable<T>, std::unordered_set<T>, std::set<T>> items;
  bool insert(const T& x) { return items.insert(x).second; }
  bool contains(const T& x) const { return items.find(x) != items.end(); }
  void clear() { items.clear(); }
};

/// Join state: the values seen for each key.
template <class K, class V>
using Table = std::conditional_t<Hashable<K>, std::unordered_map<K, std::vector<V>>,
                                 std::map<K, std::vector<V>>>;

/// Per-key lattice state of lattice_merge_by_key and lattice_join. A key is present only once
/// its value has grown past bottom, so that a bottom value means the same as no value (as in
/// MapUnion) and cannot decide what lattice_join emits.
template <class K, class L>
struct LatticeTable {
  std::conditional_t<Hashable<K>, std::unordered_map<K, L>, std::map<K, L>> values;

  /// Merges `delta` into k's value; the value if it grew, else null.
  template <class D>
  const L* grow(const K& k, D&& delta) {
    auto [it, inserted] = values.try_emplace(k);
    if (lattices::merge(it->second, std::forward<D>(delta))) return &it->second;
    if (inserted) values.erase(it);
    return nullptr;
  }
  const L* find(const K& k) const {
    auto it = values.find(k);
    return it == values.end() ? nullptr : &it->second;
  }
  void clear() { values.clear(); }
};

/// The props of an operator that emits a key's lattice value each time it grows: no Dups
/// (a value that grew differs from every earlier one of its key, within the state's
/// lifetime), and NonDeterministic (cause `Why`) when arrival can vary, because then which
/// intermediate values are emitted varies too: Min{5} then Min{3} emits both, the reverse
/// order emits Min{3} alone. Only each key's final value, their merge, is fixed.
template <class P, Cause Why>
using growth_props =
    lose_if<without<P, dups_bit>, has_bit<P, random_batch_bit> || has_bit<P, dups_bit>, Why>;

template <class T, class P, class Gen>
class KeyedOps : public StatelessOps<T, P, Gen> {
  using Base = StatelessOps<T, P, Gen>;

 public:
  // ---- two streams, key by key --------------------------------------------------------------

  /// Streams of (K, A) and (K, B): (K, (A, B)) for every pair of items with equal keys, as a
  /// symmetric hash join (each side's items are kept for `left` / `right`'s lifetime, and
  /// each new item meets every kept item of the other side: semi-naive inside a cycle). The
  /// union of both prop sets.
  template <class U, class Q, class G>
  auto join(const Stream<U, Q, G>& other, Lifetime left = Lifetime::tick,
            Lifetime right = Lifetime::tick) const {
    static_assert(detail::is_pair_v<T> && detail::is_pair_v<U>,
                  "join() needs two streams of std::pair<K, V>; map() each side to (key, "
                  "value) first");
    if constexpr (detail::is_pair_v<T> && detail::is_pair_v<U>) {
      using K = typename T::first_type;
      static_assert(std::is_same_v<K, typename U::first_type>,
                    "join() needs the same key type K on both sides");
      if constexpr (std::is_same_v<K, typename U::first_type>) {
        using A = typename T::second_type;
        using B = typename U::second_type;
        using Out = std::pair<K, std::pair<A, B>>;
        using R = detail::either<P, Q>;
        struct State {
          detail::Table<K, A> left;
          detail::Table<K, B> right;
        };
        auto state = detail::two_sided_state<State>(ctx_.sched, left, right);
        auto ctx =
            detail::derive2(ctx_, Access::ctx(other), "join", detail::props_name<R>(),
                            detail::lifetime_name(left) + ", " + detail::lifetime_name(right));
        auto gen = [a = gen_, b = Access::gen(other), state,
                    standalone = !ctx_.sched](auto&& sink) mutable {
          if (standalone) *state = State{};
          a([&](auto&& kv) {
            if (auto it = state->right.find(kv.first); it != state->right.end()) {
              for (const B& v : it->second) sink(Out(kv.first, std::pair<A, B>(kv.second, v)));
            }
            state->left[kv.first].push_back(kv.second);
          });
          b([&](auto&& kv) {
            if (auto it = state->left.find(kv.first); it != state->left.end()) {
              for (const A& v : it->second) sink(Out(kv.first, std::pair<A, B>(v, kv.second)));
            }
            state->right[kv.first].push_back(kv.second);
          });
        };
        return Stream<Out, R, decltype(gen)>(std::move(gen), std::move(ctx));
      }
    }
  }

  /// Every pair (a, b) of an item of this stream and one of `other`; kept like join's sides.
  template <class U, class Q, class G>
  auto cross_join(const Stream<U, Q, G>& other, Lifetime left = Lifetime::tick,
                  Lifetime right = Lifetime::tick) const {
    using Out = std::pair<T, U>;
    using R = detail::either<P, Q>;
    struct State {
      std::vector<T> left;
      std::vector<U> right;
    };
    auto state = detail::two_sided_state<State>(ctx_.sched, left, right);
    auto ctx = detail::derive2(ctx_, Access::ctx(other), "cross_join", detail::props_name<R>(),
                               detail::lifetime_name(left) + ", " + detail::lifetime_name(right));
    auto gen = [a = gen_, b = Access::gen(other), state,
                standalone = !ctx_.sched](auto&& sink) mutable {
      if (standalone) *state = State{};
      a([&](auto&& x) {
        for (const U& y : state->right) sink(Out(x, y));
        state->left.push_back(x);
      });
      b([&](auto&& y) {
        for (const T& x : state->left) sink(Out(x, y));
        state->right.push_back(y);
      });
    };
    return Stream<Out, R, decltype(gen)>(std::move(gen), std::move(ctx));
  }

  // ---- lattices, key by key: monotone and non-blocking, so they may sit in a cycle -------

  /// Streams of (K, V): merges each value, as L (V itself by default, else `L{value}`), into
  /// its key's state, and emits (key, the merged value) only when the merge made it grow.
  /// Only growth is passed on, so a loop through it runs semi-naively and stops when no key
  /// grows. State is kept for `life`. Props: see growth_props; deterministic on an input
  /// with no props.
  template <class L = void>
  auto lattice_merge_by_key(Lifetime life = Lifetime::tick) const {
    static_assert(detail::is_pair_v<T>,
                  "lattice_merge_by_key() needs a stream of std::pair<K, V>; map() the items to "
                  "(key, value) first");
    if constexpr (detail::is_pair_v<T>) {
      using K = typename T::first_type;
      using V = typename T::second_type;
      using Lat = std::conditional_t<std::is_void_v<L>, V, L>;
      static_assert(lattices::Lattice<Lat>,
                    "lattice_merge_by_key<L>(): L, by default the value type, must be a "
                    "calm::lattices::Lattice; name one to convert each value as L{value}");
      constexpr bool converts = std::is_same_v<V, Lat> || requires(const V& v) { Lat{v}; };
      static_assert(converts,
                    "lattice_merge_by_key<L>(): each value must convert to L as L{value}; map() "
                    "the values first");
      if constexpr (lattices::Lattice<Lat> && converts) {
        using R = detail::growth_props<P, Cause::lattice_merge_by_key_over_arrival>;
        using Out = std::pair<K, Lat>;
        auto state = std::make_shared<detail::LatticeTable<K, Lat>>();
        detail::clear_each_tick(ctx_.sched, state, life);
        return chain<Stream, Out, R>(
            ctx_, "lattice_merge_by_key",
            [up = gen_, state, standalone = !ctx_.sched](auto&& sink) mutable {
              if (standalone) state->clear();
              up([&](auto&& kv) {
                auto&& [k, v] = kv;
                if (const Lat* grown = state->grow(k, detail::to_lattice<Lat>(v))) {
                  sink(Out(k, *grown));
                }
              });
            },
            detail::lifetime_name(life));
      }
    }
  }

  /// Streams of (K, A) and (K, B) whose values are lattices: merges each item into its side's
  /// state for the key and, when that state grew and the other side has the key, emits
  /// (key, (this side's value, the other's)): the lattice analogue of join(), passing on only
  /// growth. Each side's state is kept for `left` / `right`. Props: growth_props of P ∪ Q.
  template <class U, class Q, class G>
  auto lattice_join(const Stream<U, Q, G>& other, Lifetime left = Lifetime::tick,
                    Lifetime right = Lifetime::tick) const {
    static_assert(detail::is_pair_v<T> && detail::is_pair_v<U>,
                  "lattice_join() needs two streams of std::pair<K, lattice>; map() each side "
                  "to (key, value) first");
    if constexpr (detail::is_pair_v<T> && detail::is_pair_v<U>) {
      using K = typename T::first_type;
      using A = typename T::second_type;
      using B = typename U::second_type;
      static_assert(std::is_same_v<K, typename U::first_type>,
                    "lattice_join() needs the same key type K on both sides");
      static_assert(lattices::Lattice<A> && lattices::Lattice<B>,
                    "lattice_join() needs lattice values on both sides; map() each value to a "
                    "calm::lattices::Lattice (Max{v}, SetUnion<T>{v}, ...) first");
      if constexpr (std::is_same_v<K, typename U::first_type> && lattices::Lattice<A> &&
                    lattices::Lattice<B>) {
        using Out = std::pair<K, std::pair<A, B>>;
        using R = detail::growth_props<detail::either<P, Q>, Cause::lattice_join_over_arrival>;
        struct State {
          detail::LatticeTable<K, A> left;
          detail::LatticeTable<K, B> right;
        };
        auto state = detail::two_sided_state<State>(ctx_.sched, left, right);
        auto ctx =
            detail::derive2(ctx_, Access::ctx(other), "lattice_join", detail::props_name<R>(),
                            detail::lifetime_name(left) + ", " + detail::lifetime_name(right));
        auto gen = [a = gen_, b = Access::gen(other), state,
                    standalone = !ctx_.sched](auto&& sink) mutable {
          if (standalone) *state = State{};
          a([&](auto&& kv) {
            const A* grown = state->left.grow(kv.first, kv.second);
            if (!grown) return;
            if (const B* other_side = state->right.find(kv.first)) {
              sink(Out(kv.first, std::pair<A, B>(*grown, *other_side)));
            }
          });
          b([&](auto&& kv) {
            const B* grown = state->right.grow(kv.first, kv.second);
            if (!grown) return;
            if (const A* other_side = state->left.find(kv.first)) {
              sink(Out(kv.first, std::pair<A, B>(*other_side, *grown)));
            }
          });
        };
        return Stream<Out, R, decltype(gen)>(std::move(gen), std::move(ctx));
      }
    }
  }

  // ---- order and multiplicity -------------------------------------------------------------

  /// Each distinct item once (per tick, or ever with Lifetime::persistent): removes Dups.
  auto unique(Lifetime life = Lifetime::tick) const {
    using R = detail::without<P, detail::dups_bit>;
    auto seen = std::make_shared<detail::SeenSet<T>>();
    detail::clear_each_tick(ctx_.sched, seen, life);
    return chain<Stream, T, R>(
        ctx_, "unique",
        [up = gen_, seen, standalone = !ctx_.sched](auto&& sink) mutable {
          if (standalone) seen->clear();
          up([&](auto&& x) {
            if (seen->insert(x)) sink(std::forward<decltype(x)>(x));
          });
        },
        detail::lifetime_name(life));
  }

  /// (index, item) pairs, indices from 0 in arrival order. Does not compile on RandomBatch;
  /// NonDeterministic on Dups (a duplicate shifts every later index).
  auto enumerate(Lifetime life = Lifetime::tick) const {
    detail::require_ordered_enumerate<P>();
    using R = detail::lose_if<P, detail::has_bit<P, detail::dups_bit>, Cause::enumerate_over_dups>;
    struct Counter {
      std::size_t next = 0;
      void clear() { next = 0; }
    };
    auto counter = std::make_shared<Counter>();
    detail::clear_each_tick(ctx_.sched, counter, life);
    return chain<Stream, std::pair<std::size_t, T>, R>(
        ctx_, "enumerate",
        [up = gen_, counter, standalone = !ctx_.sched](auto&& sink) mutable {
          if (standalone) counter->clear();
          up([&](auto&& x) {
            sink(std::pair<std::size_t, T>(counter->next++, std::forward<decltype(x)>(x)));
          });
        },
        detail::lifetime_name(life));
  }

 protected:
  using Base::Base;
  using Base::ctx_;
  using Base::gen_;
};

}  // namespace calm::flow::detail
