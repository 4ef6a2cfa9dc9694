#pragma once
/// The blocking layer of Stream: operators that see the whole tick (or, with
/// Lifetime::persistent, everything so far) before they emit, so in a Graph their input runs
/// in an earlier stratum: sort, difference, anti_join, fold, fold_commutative, reduce, count,
/// lattice_fold, lattice_reduce, and group_by with Grouped's folds.
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "flow/keyed.hpp"
#include "lattices/core.hpp"

namespace calm::flow::detail {

/// The chain behind a blocking operator. Standalone (`up` set): every run clears the state,
/// runs the chain into it, and emits. In a Graph (`up` empty): the chain is a subgraph of an
/// earlier stratum that fills the state; this side only emits, once per tick for a stream.
template <class Up, class State>
struct StateGen {
  std::optional<Up> up;
  std::shared_ptr<State> state;
  Scheduler* sched = nullptr;
  bool once_per_tick = false;
  std::uint64_t emitted_tick = Scheduler::never;

  template <class Sink>
  void operator()(Sink&& sink) {
    if (up) {
      state->clear();
      state->absorb(*up);
      state->emit(sink);
      return;
    }
    if (once_per_tick) {
      if (emitted_tick == sched->tick()) return;
      emitted_tick = sched->tick();
    }
    state->emit(sink);
  }
};

/// The sink a fold's chain pushes into: the accumulator and the step.
template <class Acc, class Step>
struct FoldInto {
  Acc acc;
  Step* step;
  template <class X>
  void operator()(X&& x) {
    (*step)(acc, std::forward<X>(x));
  }
};

/// fold, fold_commutative, reduce, count, lattice_fold, lattice_reduce: one accumulator.
template <class Acc, class Step>
struct FoldState {
  Acc init;
  Step step;
  Acc value;

  // Measured with GCC 12 (bench/flow.cpp): both halves are needed for the chain to become
  // the hand-written loop. flatten inlines the whole chain here (the default limits stop short
  // of a long chain); the accumulator in a named sink object, rather than a local captured by
  // reference, is promoted to a register, so Max's merge compiles to a cmov, not a branch.
  template <class Up>
  [[gnu::flatten]] void absorb(Up& up) {
    FoldInto<Acc, Step> into{std::move(value), &step};
    up(into);
    value = std::move(into.acc);
  }
  template <class Sink>
  void emit(Sink& sink) const {
    sink(value);
  }
  void clear() { value = init; }
};

/// group_by(key).fold / lattice_fold: one accumulator per key, emitted in key order.
template <class K, class Acc, class KeyFn, class ValueFn, class Step>
struct KeyedFoldState {
  Acc init;
  KeyFn key;
  ValueFn value;
  Step step;
  std::map<K, Acc> groups;

  template <class Up>
  void absorb(Up& up) {
    up([&](auto&& x) {
      auto it = groups.try_emplace(key(x), init).first;
      step(it->second, value(x));
    });
  }
  template <class Sink>
  void emit(Sink& sink) const {
    for (const auto& [k, acc] : groups) sink(std::pair<K, Acc>(k, acc));
  }
  void clear() { groups.clear(); }
};

/// sort(): the tick's items, emitted in order.
template <class T>
struct SortState {
  std::vector<T> items;
  template <class Up>
  void absorb(Up& up) {
    up([&](auto&& x) { items.push_back(std::forward<decltype(x)>(x)); });
  }
  template <class Sink>
  void emit(Sink& sink) {
    std::sort(items.begin(), items.end());
    for (const T& x : items) sink(x);
  }
  void clear() { items.clear(); }
};

/// The subtracted side of difference / anti_join.
template <class T>
struct SubtractState : SeenSet<T> {
  template <class Up>
  void absorb(Up& up) {
    up([&](auto&& x) { this->insert(x); });
  }
};

template <class Pos, class Neg, class T, class KeyOf>
struct SubtractGen {
  Pos pos;
  std::optional<Neg> neg;  // standalone only, as in StateGen
  std::shared_ptr<SubtractState<T>> subtracted;
  KeyOf key_of;

  template <class Sink>
  void operator()(Sink&& sink) {
    if (neg) {
      subtracted->clear();
      subtracted->absorb(*neg);
    }
    pos([&](auto&& x) {
      if (!subtracted->contains(key_of(x))) sink(std::forward<decltype(x)>(x));
    });
  }
};

/// Wires a blocking operator over the chain `gen`: standalone, the returned gen runs that
/// chain into `state` on every read; in a Graph, the chain becomes a subgraph filling `state`,
/// and the returned gen, in a later stratum, reads it.
template <class Q, class Gen, class State>
std::pair<StateGen<Gen, State>, Ctx> wire_blocking(const Gen& gen, const Ctx& from, std::string op,
                                                   std::shared_ptr<State> state, Lifetime life,
                                                   bool once_per_tick) {
  auto ctx = derive(from, op, props_name<Q>(), lifetime_name(life));
  if (!from.sched) return {StateGen<Gen, State>{gen, state}, std::move(ctx)};
  auto* sched = from.sched;
  const std::size_t node = sched->add_node([] { return false; });
  sched->add_subgraph(op, [up = gen, state]() mutable { state->absorb(up); }, from.inputs, {node});
  clear_each_tick(sched, state, life);
  ctx.inputs = {{node, true}};
  return {StateGen<Gen, State>{std::nullopt, state, sched, once_per_tick}, std::move(ctx)};
}

/// Fold props: a singleton keeps only NonDeterministic; `Hurts` lists the props that make
/// this fold lose determinism, RandomBatch reported first.
template <class P, unsigned Hurts, Cause RandomBatchCause, Cause DupsCause>
using fold_props = lose_if<
    lose_if<PropSet<(P::bits & nondeterministic_bit), P::cause>,
            (Hurts & random_batch_bit) != 0 && has_bit<P, random_batch_bit>, RandomBatchCause>,
    (Hurts & dups_bit) != 0 && has_bit<P, dups_bit>, DupsCause>;

template <class T, class P, class Gen>
class BlockingOps : public KeyedOps<T, P, Gen> {
  using Base = KeyedOps<T, P, Gen>;

 public:
  // ---- the whole tick first -------------------------------------------------------------------

  /// The items not in `other`. Non-monotone: `other` is complete before any item passes (in a
  /// Graph, it is filled in an earlier stratum). NonDeterministic when either side has
  /// RandomBatch; this side's Dups stay Dups.
  template <class U, class Q, class G>
  auto difference(const Stream<U, Q, G>& other, Lifetime subtracted = Lifetime::tick) const {
    static_assert(std::is_same_v<U, T>,
                  "difference() needs two streams of the same item type; map() one side first");
    if constexpr (std::is_same_v<U, T>) {
      return subtract<Cause::difference_over_random_batch, T>("difference", other, subtracted,
                                                              detail::Identity{});
    }
  }

  /// The (K, V) items whose key is not in `other` (a stream of K). Non-monotone, as
  /// difference().
  template <class U, class Q, class G>
  auto anti_join(const Stream<U, Q, G>& other, Lifetime subtracted = Lifetime::tick) const {
    static_assert(detail::is_pair_v<T>,
                  "anti_join() needs a stream of std::pair<K, V> and a stream of K; map() "
                  "this side to (key, value) first");
    if constexpr (detail::is_pair_v<T>) {
      static_assert(std::is_same_v<U, typename T::first_type>,
                    "anti_join() needs the other stream's items to be this stream's key type");
      if constexpr (std::is_same_v<U, typename T::first_type>) {
        return subtract<Cause::anti_join_over_random_batch, U>(
            "anti_join", other, subtracted, [](const T& kv) -> const U& { return kv.first; });
      }
    }
  }

  /// The tick's items in ascending order: removes RandomBatch. Blocking: it sees the whole
  /// tick first. With Lifetime::persistent, every item so far, each tick.
  auto sort(Lifetime life = Lifetime::tick) const requires std::totally_ordered<T> {
    using R = detail::without<P, detail::random_batch_bit>;
    auto [gen, ctx] =
        wire_blocking<R>(gen_, ctx_, "sort", std::make_shared<detail::SortState<T>>(), life, true);
    return Stream<T, R, decltype(gen)>(std::move(gen), std::move(ctx));
  }

  // ---- to a singleton -------------------------------------------------------------------------

  /// f(acc, item) -> acc, from init, in arrival order. NonDeterministic on RandomBatch or Dups.
  template <class A, class F>
  requires std::invocable<F&, A, const T&>
  auto fold(A init, F f, Lifetime life = Lifetime::tick) const {
    using R = detail::fold_props<P, detail::random_batch_bit | detail::dups_bit,
                                 Cause::fold_over_random_batch, Cause::fold_over_dups>;
    return fold_into<R>("fold", std::move(init), accumulate(std::move(f)), life);
  }

  /// As fold, for an f whose order of application does not matter (commutative and
  /// associative): only Dups makes it NonDeterministic.
  template <class A, class F>
  requires std::invocable<F&, A, const T&>
  auto fold_commutative(A init, F f, Lifetime life = Lifetime::tick) const {
    using R = detail::fold_props<P, detail::dups_bit, Cause::fold_over_random_batch,
                                 Cause::fold_commutative_over_dups>;
    return fold_into<R>("fold_commutative", std::move(init), accumulate(std::move(f)), life);
  }

  /// f(acc, item) -> acc from the first item: an empty std::optional on no items.
  template <class F>
  requires std::invocable<F&, T, const T&>
  auto reduce(F f, Lifetime life = Lifetime::tick) const {
    using R = detail::fold_props<P, detail::random_batch_bit | detail::dups_bit,
                                 Cause::reduce_over_random_batch, Cause::reduce_over_dups>;
    auto step = [f = std::move(f)](std::optional<T>& acc, auto&& x) mutable {
      if (acc) {
        acc = f(std::move(*acc), std::forward<decltype(x)>(x));
      } else {
        acc.emplace(std::forward<decltype(x)>(x));
      }
    };
    return fold_into<R>("reduce", std::optional<T>{}, std::move(step), life);
  }

  /// The number of items. Order does not change a count; duplicates do.
  auto count(Lifetime life = Lifetime::tick) const {
    using R = detail::fold_props<P, detail::dups_bit, Cause::fold_over_random_batch,
                                 Cause::count_over_dups>;
    return fold_into<R>(
        "count", std::size_t{0}, [](std::size_t& n, auto&&) { ++n; }, life);
  }

  /// Merges every item, converted to the lattice L, into L{}: deterministic whatever the
  /// props (merge is associative, commutative and idempotent).
  template <class L>
  auto lattice_fold(Lifetime life = Lifetime::tick) const {
    static_assert(lattices::Lattice<L>,
                  "lattice_fold<L>(): L must be a calm::lattices::Lattice (lattices/core.hpp)");
    constexpr bool converts = std::is_same_v<T, L> || requires(const T& x) { L{x}; };
    static_assert(converts,
                  "lattice_fold<L>(): each item must convert to L as L{item}; map() the items "
                  "first");
    if constexpr (lattices::Lattice<L> && converts) {
      using R = detail::fold_props<P, 0u, Cause::unknown, Cause::unknown>;
      return fold_into<R>(
          "lattice_fold", L{},
          [](L& acc, auto&& x) {
            lattices::merge(acc, detail::to_lattice<L>(std::forward<decltype(x)>(x)));
          },
          life);
    }
  }

  /// lattice_fold<T>() for a stream whose items are lattice values already.
  auto lattice_reduce(Lifetime life = Lifetime::tick) const {
    static_assert(lattices::Lattice<T>,
                  "lattice_reduce() needs a stream of lattice values; lattice_fold<L>() converts "
                  "plain items");
    if constexpr (lattices::Lattice<T>) return lattice_fold<T>(life);
  }

  /// Groups items by key(item); values are value(item) (the item itself by default). Follow
  /// with .lattice_fold<L>() or .fold(init, f): a stream of (key, accumulator) in key order.
  template <class KeyFn, class ValueFn = detail::Identity>
  requires std::invocable<KeyFn&, const T&>
  auto group_by(KeyFn key, ValueFn value = {}) const {
    using K = std::decay_t<std::invoke_result_t<KeyFn&, const T&>>;
    using V = std::decay_t<std::invoke_result_t<ValueFn&, const T&>>;
    static_assert(std::totally_ordered<K>,
                  "group_by(key): keys must be totally ordered (groups are emitted in key order)");
    if constexpr (std::totally_ordered<K>) {
      return Grouped<K, V, P, Gen, KeyFn, ValueFn>(
          gen_, detail::derive(ctx_, "group_by", detail::props_name<P>()), std::move(key),
          std::move(value));
    }
  }

 protected:
  using Base::Base;
  using Base::ctx_;
  using Base::gen_;

 private:
  template <class F>
  static auto accumulate(F f) {
    return [f = std::move(f)](auto& acc, auto&& x) mutable {
      acc = f(std::move(acc), std::forward<decltype(x)>(x));
    };
  }

  template <class Q, class A, class Step>
  auto fold_into(std::string op, A init, Step step, Lifetime life) const {
    using State = detail::FoldState<A, Step>;
    auto state = std::make_shared<State>(State{init, std::move(step), init});
    auto [gen, ctx] = wire_blocking<Q>(gen_, ctx_, std::move(op), std::move(state), life, false);
    return Singleton<A, Q, decltype(gen)>(std::move(gen), std::move(ctx));
  }

  template <Cause Why, class Key, class U, class Q, class G, class KeyOf>
  auto subtract(std::string op, const Stream<U, Q, G>& other, Lifetime life, KeyOf key_of) const {
    using Kept = detail::either<P, PropSet<(Q::bits & detail::nondeterministic_bit), Q::cause>>;
    using R = detail::lose_if<Kept,
                              detail::has_bit<P, detail::random_batch_bit> ||
                                  detail::has_bit<Q, detail::random_batch_bit>,
                              Why>;
    using State = detail::SubtractState<Key>;
    using Out = detail::SubtractGen<Gen, G, Key, KeyOf>;
    auto state = std::make_shared<State>();
    auto ctx = detail::derive2(ctx_, Access::ctx(other), op, detail::props_name<R>(),
                               "subtracted: " + detail::lifetime_name(life));
    if (!ctx_.sched) {
      return Stream<T, R, Out>(Out{gen_, Access::gen(other), state, std::move(key_of)},
                               std::move(ctx));
    }
    auto* sched = ctx_.sched;
    const std::size_t node = sched->add_node([] { return false; });
    sched->add_subgraph(op + " (subtracted side)",
                        [up = Access::gen(other), state]() mutable { state->absorb(up); },
                        Access::ctx(other).inputs, {node});
    detail::clear_each_tick(sched, state, life);
    ctx.inputs = ctx_.inputs;
    ctx.inputs.push_back({node, true});
    return Stream<T, R, Out>(Out{gen_, std::nullopt, state, std::move(key_of)}, std::move(ctx));
  }
};

}  // namespace calm::flow::detail

namespace calm::flow {

/// The groups of a stream, by key: follow with lattice_fold<L>() or fold(init, f).
template <class K, class V, class P, class Up, class KeyFn, class ValueFn>
class Grouped {
 public:
  Grouped(Up up, detail::Ctx ctx, KeyFn key, ValueFn value)
      : up_(std::move(up)), ctx_(std::move(ctx)), key_(std::move(key)), value_(std::move(value)) {}

  /// (key, the merge of the key's values converted to L), in key order: deterministic.
  template <class L>
  auto lattice_fold(Lifetime life = Lifetime::tick) const {
    static_assert(lattices::Lattice<L>,
                  "group_by().lattice_fold<L>(): L must be a calm::lattices::Lattice");
    constexpr bool converts = std::is_same_v<V, L> || requires(const V& v) { L{v}; };
    static_assert(converts,
                  "group_by().lattice_fold<L>(): each value must convert to L as L{value}; give "
                  "group_by(key, value) a value function that returns one");
    if constexpr (lattices::Lattice<L> && converts) {
      using R = PropSet<(P::bits & detail::nondeterministic_bit), P::cause>;
      auto step = [](L& acc, auto&& v) {
        lattices::merge(acc, detail::to_lattice<L>(std::forward<decltype(v)>(v)));
      };
      return keyed<R>("lattice_fold", L{}, std::move(step), life);
    }
  }

  /// (key, f folded over the key's values from init), in key order. NonDeterministic on
  /// RandomBatch or Dups, as fold().
  template <class A, class F>
  requires std::invocable<F&, A, const V&>
  auto fold(A init, F f, Lifetime life = Lifetime::tick) const {
    using R = detail::fold_props<P, detail::random_batch_bit | detail::dups_bit,
                                 Cause::group_fold_over_random_batch, Cause::group_fold_over_dups>;
    auto step = [f = std::move(f)](A& acc, auto&& v) mutable {
      acc = f(std::move(acc), std::forward<decltype(v)>(v));
    };
    return keyed<R>("fold", std::move(init), std::move(step), life);
  }

 private:
  template <class R, class A, class Step>
  auto keyed(std::string op, A init, Step step, Lifetime life) const {
    using State = detail::KeyedFoldState<K, A, KeyFn, ValueFn, Step>;
    auto state = std::make_shared<State>(State{std::move(init), key_, value_, std::move(step), {}});
    auto [gen, ctx] =
        detail::wire_blocking<R>(up_, ctx_, std::move(op), std::move(state), life, true);
    using Out = std::pair<K, A>;
    return Stream<Out, R, decltype(gen)>(std::move(gen), std::move(ctx));
  }

  Up up_;
  detail::Ctx ctx_;
  KeyFn key_;
  ValueFn value_;
};

}  // namespace calm::flow
