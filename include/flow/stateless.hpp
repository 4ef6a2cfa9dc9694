#pragma once
/// The stateless layer of Stream: operators that look at one item at a time and keep nothing
/// between items (map, filter, filter_map, flat_map, inspect, map_lattice), merge two streams,
/// or hand one stream's items to several (tee). Props pass through, except as noted.
#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "flow/sinks.hpp"
#include "lattices/core.hpp"
#include "lattices/morphisms.hpp"

namespace calm::flow::detail {

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

template <class T, class P, class Gen>
class StatelessOps : public Tail<Stream, T, P, Gen> {
  using Base = Tail<Stream, T, P, Gen>;

 public:
  // ---- item by item: the props are kept ----------------------------------------------------

  /// f(item) -> U for each item.
  template <class F>
  requires std::invocable<F&, const T&>
  auto map(F f) const {
    using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
    return chain<Stream, U, P>(ctx_, "map", [up = gen_, f = std::move(f)](auto&& sink) mutable {
      up([&](auto&& x) { sink(f(std::forward<decltype(x)>(x))); });
    });
  }

  /// The items for which pred(item) holds.
  template <class F>
  requires std::predicate<F&, const T&>
  auto filter(F pred) const {
    return chain<Stream, T, P>(ctx_, "filter",
                               [up = gen_, pred = std::move(pred)](auto&& sink) mutable {
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
    return chain<Stream, U, P>(ctx_, "filter_map",
                               [up = gen_, f = std::move(f)](auto&& sink) mutable {
                                 up([&](auto&& x) {
                                   if (auto out = f(std::forward<decltype(x)>(x)))
                                     sink(std::move(*out));
                                 });
                               });
  }

  /// f(item) -> a range: each of its elements, in the range's order.
  template <class F>
  requires std::invocable<F&, const T&>
  auto flat_map(F f) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const T&>>;
    using U = std::ranges::range_value_t<R>;
    return chain<Stream, U, P>(ctx_, "flat_map",
                               [up = gen_, f = std::move(f)](auto&& sink) mutable {
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
    return chain<Stream, T, P>(ctx_, "inspect", [up = gen_, f = std::move(f)](auto&& sink) mutable {
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
      return chain<Stream, U, P>(ctx_, "map_lattice (morphism)",
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
    auto ctx = detail::derive2(ctx_, Access::ctx(other), "merge", detail::props_name<R>());
    auto gen = [a = gen_, b = Access::gen(other)](auto&& sink) mutable {
      a(sink);
      b(sink);
    };
    return Stream<T, R, decltype(gen)>(std::move(gen), std::move(ctx));
  }
  template <class U, class Q, class G>
  auto union_(const Stream<U, Q, G>& other) const {
    return merge(other);
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

 protected:
  using Base::Base;
  using Base::ctx_;
  using Base::gen_;

 private:
  template <std::size_t N, class Make>
  static auto make_array(Make make) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<decltype(make(0)), N>{make(I)...};
    }
    (std::make_index_sequence<N>{});
  }
};

}  // namespace calm::flow::detail
