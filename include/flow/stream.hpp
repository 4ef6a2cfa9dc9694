#pragma once
/// Stream<T, Props> and Singleton<T, Props>: typed, push-based operator chains.
///
/// A stream is a chain description: a callable `gen(sink)` that pushes the items of one run
/// into `sink`. Each operator wraps the chain below it in a new callable, by value, so a whole
/// chain is one concrete type that the compiler inlines into one loop: no virtual call and no
/// heap allocation per item. (The default third parameter, `AnyGen<T>`, erases that type for a
/// user who wants to name `Stream<T, Props<...>>` in a declaration; it costs one indirect call
/// per item, and only where the user asks for it.)
///
/// Two ways to run a chain:
///   - standalone: `source_iter(v).map(f).collect()`: the sink runs the chain once, as a single
///     tick; blocking operators (sort, fold, the subtracted side of difference) run their input
///     to the end first, inside the same call.
///   - inside a Graph (graph.hpp): every sink registers the chain as a subgraph; blocking
///     operators become nodes between strata; the Graph runs it all tick by tick.
/// The operator code is the same; only where a chain ends differs.
///
/// The props in the type follow the rules of docs/flow.md; the misuse diagnostics are in
/// rules.hpp.
#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "flow/explain.hpp"
#include "flow/props.hpp"
#include "flow/rules.hpp"
#include "flow/scheduler.hpp"
#include "lattices/core.hpp"
#include "lattices/morphisms.hpp"
#include "lattices/random.hpp"

namespace calm::flow {

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

template <class T>
concept Hashable = requires(const T& x) {
  { std::hash<T>{}(x) } -> std::convertible_to<std::size_t>;
};

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

/// Reads a Buffer: in a Graph, drains the handoff; standalone (`fill` set), runs the upstream
/// into it once and then reads it as often as asked (one chain feeding a tee's outputs).
template <class T>
struct BufferGen {
  std::shared_ptr<Buffer<T>> buffer;
  std::function<void(Buffer<T>&)> fill;

  template <class Sink>
  void operator()(Sink&& sink) {
    if (fill) {
      if (!buffer->filled) {
        fill(*buffer);
        buffer->filled = true;
      }
      for (const T& x : buffer->items) sink(x);
      return;
    }
    if (buffer->items.empty()) return;
    buffer->draining.clear();
    std::swap(buffer->draining, buffer->items);  // writes made while reading go to `items`
    for (T& x : buffer->draining) sink(std::move(x));
  }
};

/// Shares a range with a stream: an lvalue range is read in place (it must outlive the
/// stream, as with std::views::all), an rvalue range is moved into the stream.
template <class R>
std::shared_ptr<const std::remove_cvref_t<R>> hold(R&& range) {
  using Range = std::remove_cvref_t<R>;
  if constexpr (std::is_lvalue_reference_v<R>) {
    return std::shared_ptr<const Range>(std::shared_ptr<void>(), &range);
  } else {
    return std::make_shared<const Range>(std::forward<R>(range));
  }
}

template <class Range>
struct IterGen {
  std::shared_ptr<const Range> range;
  Scheduler* sched = nullptr;
  std::shared_ptr<std::uint64_t> emitted;  // in a Graph: the tick it emitted in

  template <class Sink>
  void operator()(Sink&& sink) {
    if (sched) {
      if (*emitted != Scheduler::never) return;  // a Graph's source_iter emits in its first tick
      *emitted = sched->tick();
    }
    for (const auto& x : *range) sink(x);
  }
};

struct Access;

}  // namespace detail

/// How source_unordered delivers its items: a seeded stand-in for a network.
struct Arrival {
  std::uint64_t seed = 0;      // 0 keeps the input order
  std::size_t copies_max = 1;  // each item arrives between 1 and copies_max times
  std::size_t batches = 1;     // in a Graph, the items are spread over this many ticks
};

namespace detail {

/// for_each on a stream or a singleton: now when standalone, in a Graph a sink subgraph that
/// runs every tick.
template <class Gen, class F>
void run_for_each(const Ctx& ctx, const Gen& gen, F f) {
  if (!ctx.sched) {
    auto run = gen;
    run([&](auto&& x) { f(std::forward<decltype(x)>(x)); });
    return;
  }
  derive(ctx, "for_each", "{}");  // records the sink for explain()
  ctx.sched->add_subgraph("for_each",
                          [up = gen, f = std::move(f)]() mutable {
                            up([&](auto&& x) { f(std::forward<decltype(x)>(x)); });
                          },
                          ctx.inputs, {});
}

template <class T>
struct ArrivalState {
  std::vector<std::vector<T>> batches;
  std::size_t next = 0;
  std::uint64_t last_tick = Scheduler::never;
};

template <class T>
std::shared_ptr<ArrivalState<T>> arrange(std::vector<T> items, const Arrival& arrival) {
  // SplitMix64, not <random>: a seed gives the same arrival with libstdc++ and libc++.
  SplitMix64 rng(arrival.seed);
  std::vector<T> sequence;
  if (arrival.copies_max <= 1) {
    sequence = std::move(items);
  } else {
    for (const T& x : items) {
      const std::size_t copies = 1 + static_cast<std::size_t>(rng.below(arrival.copies_max));
      sequence.insert(sequence.end(), copies, x);
    }
  }
  if (arrival.seed != 0) ::calm::shuffle(sequence.begin(), sequence.end(), rng);
  const std::size_t batches = std::max<std::size_t>(arrival.batches, 1);
  std::vector<std::size_t> cuts{0, sequence.size()};
  for (std::size_t i = 1; i < batches; ++i) {
    cuts.push_back(arrival.seed ? static_cast<std::size_t>(rng.below(sequence.size() + 1)) : 0);
  }
  std::sort(cuts.begin(), cuts.end());
  auto state = std::make_shared<ArrivalState<T>>();
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    state->batches.emplace_back(sequence.begin() + static_cast<std::ptrdiff_t>(cuts[i]),
                                sequence.begin() + static_cast<std::ptrdiff_t>(cuts[i + 1]));
  }
  return state;
}

template <class T>
struct ArrivalGen {
  std::shared_ptr<ArrivalState<T>> state;
  Scheduler* sched = nullptr;

  template <class Sink>
  void operator()(Sink&& sink) {
    if (!sched) {
      for (const auto& batch : state->batches) {
        for (const T& x : batch) sink(x);
      }
      return;
    }
    // In a Graph: the next batch, once per tick.
    if (state->last_tick == sched->tick() || state->next == state->batches.size()) return;
    state->last_tick = sched->tick();
    for (const T& x : state->batches[state->next++]) sink(x);
  }
};

/// Fold props: a singleton keeps only NonDeterministic; `Hurts` lists the props that make
/// this fold lose determinism, RandomBatch reported first.
template <class P, unsigned Hurts, Cause RandomBatchCause, Cause DupsCause>
using fold_props = lose_if<
    lose_if<PropSet<(P::bits & nondeterministic_bit), P::cause>,
            (Hurts & random_batch_bit) != 0 && has_bit<P, random_batch_bit>, RandomBatchCause>,
    (Hurts & dups_bit) != 0 && has_bit<P, dups_bit>, DupsCause>;

}  // namespace detail

template <class T, class P = Props<>, class Gen = detail::AnyGen<T>>
class Singleton;

template <class K, class V, class P, class Up, class KeyFn, class ValueFn>
class Grouped;

/// A stream of T whose type carries its props P. See the file comment and docs/flow.md.
template <class T, class P = Props<>, class Gen = detail::AnyGen<T>>
class Stream {
  static_assert(detail::is_prop_set_v<P>,
                "Stream<T, P>: P must be a prop set such as Props<RandomBatch, Dups>");

 public:
  using value_type = T;
  using props = P;

  Stream(Gen gen, detail::Ctx ctx) : gen_(std::move(gen)), ctx_(std::move(ctx)) {}

  /// Erases a concrete chain into `Stream<T, P>`; the props must match exactly.
  template <class G>
  requires(std::same_as<Gen, detail::AnyGen<T>> && !std::same_as<G, Gen>)
      Stream(Stream<T, P, G> other)  // NOLINT(google-explicit-constructor): as std::function
      : gen_(detail::erase<T>(std::move(other.gen_))), ctx_(std::move(other.ctx_)) {}

  // ---- item by item: the props are kept ----------------------------------------------------

  /// f(item) -> U for each item.
  template <class F>
  requires std::invocable<F&, const T&>
  auto map(F f) const {
    using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
    return derive<U, P>("map", [up = gen_, f = std::move(f)](auto&& sink) mutable {
      up([&](auto&& x) { sink(f(std::forward<decltype(x)>(x))); });
    });
  }

  /// The items for which pred(item) holds.
  template <class F>
  requires std::predicate<F&, const T&>
  auto filter(F pred) const {
    return derive<T, P>("filter", [up = gen_, pred = std::move(pred)](auto&& sink) mutable {
      up([&](auto&& x) {
        if (pred(std::as_const(x))) sink(std::forward<decltype(x)>(x));
      });
    });
  }

  /// f(item) -> std::optional<U>: the values of the engaged results.
  template <class F>
  requires std::invocable<F&, const T&>
  auto filter_map(F f) const {
    using O = std::remove_cvref_t<std::invoke_result_t<F&, const T&>>;
    using U = typename O::value_type;
    return derive<U, P>("filter_map", [up = gen_, f = std::move(f)](auto&& sink) mutable {
      up([&](auto&& x) {
        if (auto out = f(std::forward<decltype(x)>(x))) sink(std::move(*out));
      });
    });
  }

  /// f(item) -> a range: each of its elements, in the range's order.
  template <class F>
  requires std::invocable<F&, const T&>
  auto flat_map(F f) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const T&>>;
    using U = std::ranges::range_value_t<R>;
    return derive<U, P>("flat_map", [up = gen_, f = std::move(f)](auto&& sink) mutable {
      up([&](auto&& x) {
        auto&& range = f(std::forward<decltype(x)>(x));
        for (auto&& y : range) sink(std::forward<decltype(y)>(y));
      });
    });
  }

  /// Calls f(item) and passes the item on unchanged.
  template <class F>
  requires std::invocable<F&, const T&>
  auto inspect(F f) const {
    return derive<T, P>("inspect", [up = gen_, f = std::move(f)](auto&& sink) mutable {
      up([&](auto&& x) {
        f(std::as_const(x));
        sink(std::forward<decltype(x)>(x));
      });
    });
  }

  /// Applies a lattice function tagged with lattices::morphism() to each lattice item.
  /// A morphism distributes over join, so mapping each delta then merging equals merging
  /// then mapping: the props are kept. A function that is only monotone is refused here; it
  /// belongs on the Singleton of a lattice_fold (Singleton::map_lattice).
  template <class F>
  auto map_lattice(F f) const {
    static_assert(lattices::TaggedFunction<F>,
                  "map_lattice() needs a function tagged lattices::morphism(f) or "
                  "lattices::monotone(f) from <lattices/morphisms.hpp>; use map() for an "
                  "untagged function");
    static_assert(lattices::Lattice<T>,
                  "map_lattice() needs a stream of lattice values; lattice_fold<L>() converts "
                  "plain items");
    if constexpr (lattices::TaggedFunction<F>) {
      static_assert(lattices::is_morphism_v<F>,
                    "map_lattice() over a Stream with a function that is monotone but not a "
                    "morphism depends on how the deltas were batched; lattice_fold() first and "
                    "map_lattice() the Singleton, or tag the function morphism(f) if it "
                    "distributes over join");
    }
    // Guarded, here and in the operators below, so that the library adds no error of its own
    // after a broken rule's message.
    if constexpr (std::invocable<F&, const T&>) {
      using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
      return derive<U, P>("map_lattice (morphism)",
                          [up = gen_, f = std::move(f)](auto&& sink) mutable {
                            up([&](auto&& x) { sink(f(std::as_const(x))); });
                          });
    }
  }

  // ---- combining streams ---------------------------------------------------------------------

  /// Both streams' items, interleaved: the union of both prop sets, plus RandomBatch (which
  /// side arrives first is up to the arrival). Spelled merge or union_ (`union` is a keyword).
  template <class U, class Q, class G>
  auto merge(const Stream<U, Q, G>& other) const {
    static_assert(std::is_same_v<U, T>,
                  "merge() / union_() needs two streams of the same item type; map() one side "
                  "first");
    using R = detail::with<detail::either<P, Q>, detail::random_batch_bit>;
    auto ctx = detail::derive2(ctx_, other.ctx_, "merge", detail::props_name<R>());
    auto gen = [a = gen_, b = other.gen_](auto&& sink) mutable {
      a(sink);
      b(sink);
    };
    return Stream<T, R, decltype(gen)>(std::move(gen), std::move(ctx));
  }
  template <class U, class Q, class G>
  auto union_(const Stream<U, Q, G>& other) const {
    return merge(other);
  }

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
            detail::derive2(ctx_, other.ctx_, "join", detail::props_name<R>(),
                            detail::lifetime_name(left) + ", " + detail::lifetime_name(right));
        auto gen = [a = gen_, b = other.gen_, state,
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
    auto state = std::make_shared<State>();
    if (ctx_.sched) {
      if (left == Lifetime::tick) ctx_.sched->on_tick_start([state] { state->left.clear(); });
      if (right == Lifetime::tick) ctx_.sched->on_tick_start([state] { state->right.clear(); });
    }
    auto ctx = detail::derive2(ctx_, other.ctx_, "cross_join", detail::props_name<R>(),
                               detail::lifetime_name(left) + ", " + detail::lifetime_name(right));
    auto gen = [a = gen_, b = other.gen_, state, standalone = !ctx_.sched](auto&& sink) mutable {
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
        return derive<Out, R>(
            "lattice_merge_by_key",
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
            detail::derive2(ctx_, other.ctx_, "lattice_join", detail::props_name<R>(),
                            detail::lifetime_name(left) + ", " + detail::lifetime_name(right));
        auto gen = [a = gen_, b = other.gen_, state,
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

  // ---- order and multiplicity -------------------------------------------------------------

  /// Each distinct item once (per tick, or ever with Lifetime::persistent): removes Dups.
  auto unique(Lifetime life = Lifetime::tick) const {
    using R = detail::without<P, detail::dups_bit>;
    auto seen = std::make_shared<detail::SeenSet<T>>();
    detail::clear_each_tick(ctx_.sched, seen, life);
    return derive<T, R>(
        "unique",
        [up = gen_, seen, standalone = !ctx_.sched](auto&& sink) mutable {
          if (standalone) seen->clear();
          up([&](auto&& x) {
            if (seen->insert(x)) sink(std::forward<decltype(x)>(x));
          });
        },
        detail::lifetime_name(life));
  }

  /// The tick's items in ascending order: removes RandomBatch. Blocking: it sees the whole
  /// tick first. With Lifetime::persistent, every item so far, each tick.
  auto sort(Lifetime life = Lifetime::tick) const requires std::totally_ordered<T> {
    using R = detail::without<P, detail::random_batch_bit>;
    auto [gen, ctx] = blocking<R>("sort", std::make_shared<detail::SortState<T>>(), life, true);
    return Stream<T, R, decltype(gen)>(std::move(gen), std::move(ctx));
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
    return derive<std::pair<std::size_t, T>, R>(
        "enumerate",
        [up = gen_, counter, standalone = !ctx_.sched](auto&& sink) mutable {
          if (standalone) counter->clear();
          up([&](auto&& x) {
            sink(std::pair<std::size_t, T>(counter->next++, std::forward<decltype(x)>(x)));
          });
        },
        detail::lifetime_name(life));
  }

  /// N streams with the same items and props. In a Graph, each reads its own handoff.
  template <std::size_t N = 2>
  std::array<Stream<T, P, detail::BufferGen<T>>, N> tee() const {
    static_assert(N >= 1, "tee<N>() needs N >= 1");
    using Out = Stream<T, P, detail::BufferGen<T>>;
    detail::consume(ctx_);
    auto plan = detail::make_plan("tee", detail::props_name<P>(), {ctx_.plan});
    if (ctx_.sched) ctx_.sched->add_plan(plan);
    plan->consumed = true;  // each output has its own plan below
    auto out_ctx = [&](detail::Inputs inputs, std::size_t i) {
      auto node = detail::make_plan("tee." + std::to_string(i), detail::props_name<P>(), {plan});
      if (ctx_.sched) ctx_.sched->add_plan(node);
      return detail::Ctx{ctx_.sched, std::move(inputs), node};
    };
    if (!ctx_.sched) {
      auto buffer = std::make_shared<detail::Buffer<T>>();
      std::function<void(detail::Buffer<T>&)> fill = [up = gen_](detail::Buffer<T>& b) mutable {
        up([&](auto&& x) { b.items.push_back(std::forward<decltype(x)>(x)); });
      };
      return make_array<N>([&](std::size_t i) { return Out({buffer, fill}, out_ctx({}, i)); });
    }
    std::array<std::shared_ptr<detail::Buffer<T>>, N> buffers;
    std::vector<std::size_t> nodes;
    for (auto& b : buffers) {
      b = std::make_shared<detail::Buffer<T>>();
      nodes.push_back(ctx_.sched->add_node([b] { return !b->items.empty(); }));
    }
    ctx_.sched->add_subgraph(
        "tee",
        [up = gen_, buffers]() mutable {
          up([&](auto&& x) {
            for (std::size_t i = 0; i + 1 < N; ++i) buffers[i]->items.push_back(x);
            buffers[N - 1]->items.push_back(std::forward<decltype(x)>(x));
          });
        },
        ctx_.inputs, nodes);
    return make_array<N>([&](std::size_t i) {
      return Out({buffers[i], {}}, out_ctx({{nodes[i], false}}, i));
    });
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

  // ---- sinks ----------------------------------------------------------------------------------

  /// The items, in order. Compiles only on a stream with no props. Standalone streams only.
  std::vector<T> collect() const {
    detail::require_plain_collect<P>();
    if (ctx_.sched) {
      throw std::logic_error(
          "calm::flow: collect() runs a standalone pipeline; inside a Graph use for_each() or "
          "a Singleton's get()");
    }
    std::vector<T> out;
    auto gen = gen_;
    gen([&](auto&& x) { out.push_back(std::forward<decltype(x)>(x)); });
    return out;
  }

  /// f(item) for each item, whatever the props. Standalone: now. In a Graph: every tick.
  template <class F>
  void for_each(F f) const {
    detail::run_for_each(ctx_, gen_, std::move(f));
  }

  /// Declares the stream deterministic (no props) because of `reason`, which explain() shows.
  /// The one way past a rule: the reason says why the order or the duplicates cannot change
  /// what the program computes.
  Stream<T, Props<>, Gen> assume_deterministic(std::string reason) const {
    auto ctx = detail::derive(ctx_, "assume_deterministic", "{}", std::move(reason));
    ctx.plan->assumed = true;
    return Stream<T, Props<>, Gen>(gen_, std::move(ctx));
  }

  /// The operators behind this stream, each with the props of its output.
  std::string explain(Format format = Format::text) const {
    return detail::render_plan(detail::plan_order({ctx_.plan}), format);
  }

 private:
  template <class, class, class>
  friend class Stream;
  template <class, class, class>
  friend class Singleton;
  template <class, class, class, class, class, class>
  friend class Grouped;
  friend struct detail::Access;

  template <class U, class Q, class G>
  Stream<U, Q, G> derive(std::string op, G gen, std::string note = {}) const {
    return Stream<U, Q, G>(
        std::move(gen),
        detail::derive(ctx_, std::move(op), detail::props_name<Q>(), std::move(note)));
  }

  template <std::size_t N, class Make>
  static auto make_array(Make make) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<decltype(make(0)), N>{make(I)...};
    }
    (std::make_index_sequence<N>{});
  }

  template <class F>
  static auto accumulate(F f) {
    return [f = std::move(f)](auto& acc, auto&& x) mutable {
      acc = f(std::move(acc), std::forward<decltype(x)>(x));
    };
  }

  /// Wires a blocking operator: standalone, the returned gen runs this chain into `state`
  /// on every read; in a Graph, this chain becomes a subgraph filling `state`, and the
  /// returned gen, in a later stratum, reads it.
  template <class Q, class State>
  std::pair<detail::StateGen<Gen, State>, detail::Ctx> blocking(std::string op,
                                                                std::shared_ptr<State> state,
                                                                Lifetime life,
                                                                bool once_per_tick) const {
    auto ctx = detail::derive(ctx_, op, detail::props_name<Q>(), detail::lifetime_name(life));
    if (!ctx_.sched) return {detail::StateGen<Gen, State>{gen_, state}, std::move(ctx)};
    auto* sched = ctx_.sched;
    const std::size_t node = sched->add_node([] { return false; });
    sched->add_subgraph(op, [up = gen_, state]() mutable { state->absorb(up); }, ctx_.inputs,
                        {node});
    detail::clear_each_tick(sched, state, life);
    ctx.inputs = {{node, true}};
    return {detail::StateGen<Gen, State>{std::nullopt, state, sched, once_per_tick},
            std::move(ctx)};
  }

  template <class Q, class A, class Step>
  auto fold_into(std::string op, A init, Step step, Lifetime life) const {
    using State = detail::FoldState<A, Step>;
    auto state = std::make_shared<State>(State{init, std::move(step), init});
    auto [gen, ctx] = blocking<Q>(std::move(op), std::move(state), life, false);
    return Singleton<A, Q, decltype(gen)>(std::move(gen), std::move(ctx));
  }

  template <Cause Why, class Key, class U, class Q, class G, class KeyOf>
  auto subtract(std::string op, const Stream<U, Q, G>& other, Lifetime life, KeyOf key_of) const {
    using Base = detail::either<P, PropSet<(Q::bits & detail::nondeterministic_bit), Q::cause>>;
    using R = detail::lose_if<Base,
                              detail::has_bit<P, detail::random_batch_bit> ||
                                  detail::has_bit<Q, detail::random_batch_bit>,
                              Why>;
    using State = detail::SubtractState<Key>;
    using Out = detail::SubtractGen<Gen, G, Key, KeyOf>;
    auto state = std::make_shared<State>();
    auto ctx = detail::derive2(ctx_, other.ctx_, op, detail::props_name<R>(),
                               "subtracted: " + detail::lifetime_name(life));
    if (!ctx_.sched) {
      return Stream<T, R, Out>(Out{gen_, other.gen_, state, std::move(key_of)}, std::move(ctx));
    }
    auto* sched = ctx_.sched;
    const std::size_t node = sched->add_node([] { return false; });
    sched->add_subgraph(op + " (subtracted side)",
                        [up = other.gen_, state]() mutable { state->absorb(up); },
                        other.ctx_.inputs, {node});
    detail::clear_each_tick(sched, state, life);
    ctx.inputs = ctx_.inputs;
    ctx.inputs.push_back({node, true});
    return Stream<T, R, Out>(Out{gen_, std::nullopt, state, std::move(key_of)}, std::move(ctx));
  }

  Gen gen_;
  detail::Ctx ctx_;
};

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
    // Reuse Stream's wiring of blocking operators: a Stream over the same chain and context.
    Stream<V, P, Up> self(up_, ctx_);
    auto [gen, ctx] = self.template blocking<R>(std::move(op), std::move(state), life, true);
    using Out = std::pair<K, A>;
    return Stream<Out, R, decltype(gen)>(std::move(gen), std::move(ctx));
  }

  Up up_;
  detail::Ctx ctx_;
  KeyFn key_;
  ValueFn value_;
};

/// One value of T (the result of a fold), with its props. A deterministic singleton can be
/// read with get().
template <class T, class P, class Gen>
class Singleton {
  static_assert(detail::is_prop_set_v<P>,
                "Singleton<T, P>: P must be a prop set such as Props<NonDeterministic>");
  // Otherwise get() would read a Singleton<T, Props<Dups>> that is_deterministic_v calls
  // nondeterministic; every fold already keeps NonDeterministic alone.
  static_assert((P::bits & ~detail::nondeterministic_bit) == 0u,
                "Singleton<T, P>: a singleton carries only NonDeterministic; RandomBatch and Dups "
                "describe a sequence, and a singleton is one value");

 public:
  using value_type = T;
  using props = P;

  Singleton(Gen gen, detail::Ctx ctx) : gen_(std::move(gen)), ctx_(std::move(ctx)) {}

  template <class G>
  requires(std::same_as<Gen, detail::AnyGen<T>> && !std::same_as<G, Gen>)
      Singleton(Singleton<T, P, G> other)  // NOLINT(google-explicit-constructor)
      : gen_(detail::erase<T>(std::move(other.gen_))), ctx_(std::move(other.ctx_)) {}

  /// The value. Compiles only when deterministic. Standalone: runs the pipeline. In a Graph:
  /// the value as of the last tick run.
  T get() const {
    detail::require_deterministic_get<P>();
    std::optional<T> out;
    auto gen = gen_;
    gen([&](auto&& v) { out.emplace(std::forward<decltype(v)>(v)); });
    return std::move(*out);
  }

  /// f(value): deterministic if the value is.
  template <class F>
  requires std::invocable<F&, const T&>
  auto map(F f) const {
    using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
    auto gen = [up = gen_, f = std::move(f)](auto&& sink) mutable {
      up([&](auto&& v) { sink(f(std::as_const(v))); });
    };
    return Singleton<U, P, decltype(gen)>(std::move(gen),
                                          detail::derive(ctx_, "map", detail::props_name<P>()));
  }

  /// A lattice function tagged morphism() or monotone(), applied to the cumulative value. A
  /// monotone function of a growing lattice grows too, so its reading at any tick is a lower
  /// bound of the final one: a threshold that reads true stays true.
  template <class F>
  auto map_lattice(F f) const {
    static_assert(lattices::TaggedFunction<F>,
                  "map_lattice() needs a function tagged lattices::morphism(f) or "
                  "lattices::monotone(f) from <lattices/morphisms.hpp>; use map() for an "
                  "untagged function");
    static_assert(lattices::Lattice<T>, "map_lattice() needs a lattice value");
    if constexpr (lattices::TaggedFunction<F> && std::invocable<F&, const T&>) {
      using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
      auto gen = [up = gen_, f = std::move(f)](auto&& sink) mutable {
        up([&](auto&& v) { sink(f(std::as_const(v))); });
      };
      return Singleton<U, P, decltype(gen)>(
          std::move(gen), detail::derive(ctx_,
                                         lattices::is_morphism_v<F> ? "map_lattice (morphism)"
                                                                    : "map_lattice (monotone)",
                                         detail::props_name<P>()));
    }
  }

  /// f(value), whatever the props. Standalone: now. In a Graph: at every tick, after the
  /// value is complete.
  template <class F>
  void for_each(F f) const {
    detail::run_for_each(ctx_, gen_, std::move(f));
  }

  /// Declares the value deterministic because of `reason`, which explain() shows.
  Singleton<T, Props<>, Gen> assume_deterministic(std::string reason) const {
    auto ctx = detail::derive(ctx_, "assume_deterministic", "{}", std::move(reason));
    ctx.plan->assumed = true;
    return Singleton<T, Props<>, Gen>(gen_, std::move(ctx));
  }

  std::string explain(Format format = Format::text) const {
    return detail::render_plan(detail::plan_order({ctx_.plan}), format);
  }

 private:
  template <class, class, class>
  friend class Singleton;
  friend struct detail::Access;

  Gen gen_;
  detail::Ctx ctx_;
};

namespace detail {
/// Lets Graph, Channel and Cycle reach a stream's chain and context.
struct Access {
  template <class S>
  static auto& gen(S& s) {
    return s.gen_;
  }
  template <class S>
  static auto& ctx(S& s) {
    return s.ctx_;
  }
};

template <class R>
auto make_iter_source(Scheduler* sched, R&& range) {
  using Range = std::remove_cvref_t<R>;
  using T = std::ranges::range_value_t<Range>;
  using G = IterGen<Range>;
  return Stream<T, Props<>, G>(
      G{hold(std::forward<R>(range)), sched, std::make_shared<std::uint64_t>(Scheduler::never)},
      source_ctx(sched, "source_iter", "{}"));
}

template <class R>
auto make_unordered_source(Scheduler* sched, R&& range, const Arrival& arrival) {
  using T = std::ranges::range_value_t<std::remove_cvref_t<R>>;
  using P = Props<RandomBatch, Dups>;
  auto state = arrange(std::vector<T>(std::ranges::begin(range), std::ranges::end(range)), arrival);
  if (sched) {
    sched->add_external_input([state] { return state->next < state->batches.size(); });
  }
  return Stream<T, P, ArrivalGen<T>>(ArrivalGen<T>{state, sched},
                                     source_ctx(sched, "source_unordered", props_name<P>(),
                                                "seed " + std::to_string(arrival.seed)));
}
}  // namespace detail

/// A standalone stream of a range's items, in order: no props. An lvalue range is read in
/// place and must outlive the stream; an rvalue range is moved into it.
template <std::ranges::input_range R>
auto source_iter(R&& range) {
  return detail::make_iter_source(nullptr, std::forward<R>(range));
}

/// A standalone stream of a range's items with RandomBatch and Dups, the local stand-in for a
/// network. `arrival` makes it deliver them shuffled and duplicated under a seed.
template <std::ranges::input_range R>
auto source_unordered(R&& range, Arrival arrival = {}) {
  return detail::make_unordered_source(nullptr, std::forward<R>(range), arrival);
}

}  // namespace calm::flow
