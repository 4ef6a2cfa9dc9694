#pragma once
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
///
/// A Stream's operators come in layers, one header per family (chain.hpp lists them):
/// Stream<T, P, Gen> derives from BlockingOps, which derives from KeyedOps, from StatelessOps,
/// and from the Tail it shares with Singleton. Include this header (or flow.hpp).
#include <concepts>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "flow/blocking.hpp"
#include "flow/chain.hpp"
#include "flow/keyed.hpp"
#include "flow/props.hpp"
#include "flow/rules.hpp"
#include "flow/sinks.hpp"
#include "flow/sources.hpp"
#include "flow/stateless.hpp"
#include "lattices/core.hpp"
#include "lattices/morphisms.hpp"

namespace calm::flow {

/// A stream of T whose type carries its props P. See the file comment and docs/flow.md.
template <class T, class P, class Gen>
class Stream : public detail::BlockingOps<T, P, Gen> {
  static_assert(detail::is_prop_set_v<P>,
                "Stream<T, P>: P must be a prop set such as Props<RandomBatch, Dups>");
  using Base = detail::BlockingOps<T, P, Gen>;

 public:
  Stream(Gen gen, detail::Ctx ctx) : Base(std::move(gen), std::move(ctx)) {}

  /// Erases a concrete chain into `Stream<T, P>`; the props must match exactly.
  template <class G>
  requires(std::same_as<Gen, detail::AnyGen<T>> && !std::same_as<G, Gen>)
      Stream(Stream<T, P, G> other)  // NOLINT(google-explicit-constructor): as std::function
      : Base(detail::erase<T>(std::move(detail::Access::gen(other))),
             std::move(detail::Access::ctx(other))) {}

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

 private:
  using Base::ctx_;
  using Base::gen_;
};

/// One value of T (the result of a fold), with its props. A deterministic singleton can be
/// read with get().
template <class T, class P, class Gen>
class Singleton : public detail::Tail<Singleton, T, P, Gen> {
  static_assert(detail::is_prop_set_v<P>,
                "Singleton<T, P>: P must be a prop set such as Props<NonDeterministic>");
  // Otherwise get() would read a Singleton<T, Props<Dups>> that is_deterministic_v calls
  // nondeterministic; every fold already keeps NonDeterministic alone.
  static_assert((P::bits & ~detail::nondeterministic_bit) == 0u,
                "Singleton<T, P>: a singleton carries only NonDeterministic; RandomBatch and Dups "
                "describe a sequence, and a singleton is one value");
  using Base = detail::Tail<Singleton, T, P, Gen>;

 public:
  Singleton(Gen gen, detail::Ctx ctx) : Base(std::move(gen), std::move(ctx)) {}

  template <class G>
  requires(std::same_as<Gen, detail::AnyGen<T>> && !std::same_as<G, Gen>)
      Singleton(Singleton<T, P, G> other)  // NOLINT(google-explicit-constructor)
      : Base(detail::erase<T>(std::move(detail::Access::gen(other))),
             std::move(detail::Access::ctx(other))) {}

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

 private:
  using Base::ctx_;
  using Base::gen_;
};

}  // namespace calm::flow
