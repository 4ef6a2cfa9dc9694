#pragma once
/// What every chain of operators is made of: the type-erased chain `AnyGen`, the context `Ctx`
/// (its Graph, the graph nodes it reads, its explain() record), how an operator derives a new
/// context from its inputs, and the small helpers that several operator families share.
///
/// The operators themselves are in one header per family, each a layer of Stream:
///   sinks.hpp      the tail Stream and Singleton share: for_each, assume_deterministic, explain
///   stateless.hpp  map, filter, filter_map, flat_map, inspect, map_lattice, merge, tee
///   keyed.hpp      state across items, never blocking: join, cross_join, lattice_merge_by_key,
///                  lattice_join, unique, enumerate
///   blocking.hpp   see the whole tick first: sort, difference, anti_join, the folds, group_by
///   sources.hpp    source_iter, source_unordered
/// stream.hpp puts them together; include it (or flow.hpp), not the layers.
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "flow/explain.hpp"
#include "flow/props.hpp"
#include "flow/rules.hpp"
#include "flow/scheduler.hpp"

namespace calm::flow {

namespace detail {
template <class T>
struct AnyGen;
}  // namespace detail

template <class T, class P = Props<>, class Gen = detail::AnyGen<T>>
class Stream;
template <class T, class P = Props<>, class Gen = detail::AnyGen<T>>
class Singleton;
template <class K, class V, class P, class Up, class KeyFn, class ValueFn>
class Grouped;

namespace detail {

/// The type-erased chain: the default Gen of Stream<T, P> and Singleton<T, P>.
template <class T>
struct AnyGen {
  std::function<void(const std::function<void(const T&)>&)> run;
  template <class Sink>
  void operator()(Sink&& sink) {
    run(std::function<void(const T&)>(std::ref(sink)));
  }
};

template <class T, class G>
AnyGen<T> erase(G gen) {
  return AnyGen<T>{
      [g = std::move(gen)](const std::function<void(const T&)>& sink) mutable { g(sink); }};
}

/// Where a chain lives: its Graph (null when standalone), the graph nodes it reads, and its
/// explain() record.
struct Ctx {
  Scheduler* sched = nullptr;
  Inputs inputs;
  Plan plan;
};

inline std::string lifetime_name(Lifetime life) {
  return life == Lifetime::tick ? "tick" : "persistent";
}

/// In a Graph a stream feeds one consumer: a second one would find the items already gone.
inline void consume(const Ctx& ctx) {
  if (ctx.sched && ctx.plan->consumed) {
    throw std::logic_error("calm::flow: the stream made by " + ctx.plan->op +
                           " already has a consumer; tee() it to read it twice");
  }
  ctx.plan->consumed = true;
}

inline Ctx source_ctx(Scheduler* sched, std::string op, std::string props, std::string note = {}) {
  Ctx ctx{sched, {}, make_plan(std::move(op), std::move(props), {}, std::move(note))};
  if (sched) sched->add_plan(ctx.plan);
  return ctx;
}

inline Ctx derive(const Ctx& from, std::string op, std::string props, std::string note = {}) {
  consume(from);
  Ctx ctx{from.sched, from.inputs,
          make_plan(std::move(op), std::move(props), {from.plan}, std::move(note))};
  if (ctx.sched) ctx.sched->add_plan(ctx.plan);
  return ctx;
}

inline Ctx derive2(const Ctx& a, const Ctx& b, std::string op, std::string props,
                   std::string note = {}) {
  if (a.sched != b.sched) {
    throw std::logic_error(
        "calm::flow: " + op +
        "() joins streams of different graphs, or a standalone stream with a Graph's; make "
        "both sources on the same Graph (graph.source_iter(...))");
  }
  consume(a);
  consume(b);
  Ctx ctx{a.sched, a.inputs,
          make_plan(std::move(op), std::move(props), {a.plan, b.plan}, std::move(note))};
  ctx.inputs.insert(ctx.inputs.end(), b.inputs.begin(), b.inputs.end());
  if (ctx.sched) ctx.sched->add_plan(ctx.plan);
  return ctx;
}

/// Clears `state` when each tick starts, if its lifetime is a tick.
template <class State>
void clear_each_tick(Scheduler* sched, const std::shared_ptr<State>& state, Lifetime life) {
  if (sched && life == Lifetime::tick) sched->on_tick_start([state] { state->clear(); });
}

/// The state of a two-sided operator (join, lattice_join): a `left` and a `right` table, each
/// cleared at the start of every tick when its lifetime is a tick.
template <class State>
std::shared_ptr<State> two_sided_state(Scheduler* sched, Lifetime left, Lifetime right) {
  auto state = std::make_shared<State>();
  if (sched && left == Lifetime::tick) sched->on_tick_start([state] { state->left.clear(); });
  if (sched && right == Lifetime::tick) sched->on_tick_start([state] { state->right.clear(); });
  return state;
}

/// An operator's output: a `Kind` (Stream or Singleton) of U with props Q over the chain
/// `gen`, recorded for explain() as `op` below `from`.
template <template <class, class, class> class Kind, class U, class Q, class G>
Kind<U, Q, G> chain(const Ctx& from, std::string op, G gen, std::string note = {}) {
  return Kind<U, Q, G>(std::move(gen),
                       derive(from, std::move(op), props_name<Q>(), std::move(note)));
}

template <class T>
concept Hashable = requires(const T& x) {
  { std::hash<T>{}(x) } -> std::convertible_to<std::size_t>;
};

template <class T>
inline constexpr bool is_pair_v = false;
template <class A, class B>
inline constexpr bool is_pair_v<std::pair<A, B>> = true;

struct Identity {
  template <class X>
  X operator()(const X& x) const {
    return x;
  }
};

/// Converts an item to the lattice L: itself if it already is one, else `L{item}`
/// (`Max<int>{5}`, `SetUnion<T>{x}`).
template <class L, class X>
L to_lattice(X&& x) {
  if constexpr (std::is_same_v<std::remove_cvref_t<X>, L>) {
    return std::forward<X>(x);
  } else {
    return L{std::forward<X>(x)};
  }
}

template <template <class, class, class> class Kind, class T, class P, class Gen>
class Tail;

/// Lets the operator layers, Graph, Channel and Cycle reach a chain's generator and context,
/// which live in its Tail (sinks.hpp).
struct Access {
  template <class S>
  static auto& gen(S& s) {
    return tail(s).gen_;
  }
  template <class S>
  static auto& ctx(S& s) {
    return tail(s).ctx_;
  }

 private:
  template <template <class, class, class> class Kind, class T, class P, class Gen>
  static Tail<Kind, T, P, Gen>& tail(Tail<Kind, T, P, Gen>& t) {
    return t;
  }
  template <template <class, class, class> class Kind, class T, class P, class Gen>
  static const Tail<Kind, T, P, Gen>& tail(const Tail<Kind, T, P, Gen>& t) {
    return t;
  }
};

}  // namespace detail
}  // namespace calm::flow
