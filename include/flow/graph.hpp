#pragma once
/// Graph: a dataflow program run tick by tick.
///
///   calm::flow::Graph g;
///   auto requests = g.channel<Request>();          // fed at runtime: send()
///   requests.stream().filter(...).for_each(...);   // registered, runs every tick
///   requests.send(r);
///   g.run_tick();                                  // all strata, each to a fixpoint
///
/// Sources made on a Graph emit per tick: source_iter in the first tick, source_unordered one
/// batch per tick, a Channel what was sent since the previous tick, a Cycle what was fed into
/// it during this tick (so a loop iterates to a fixpoint inside one tick). Sinks (for_each,
/// the folds, sort, tee, Cycle::feed) register the chain above them as a subgraph.
///
/// Lifetimes: a Graph, its sources and every stream made from them form one program; the Graph
/// must outlive the streams. A stream feeds one consumer (tee() it to feed more).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "flow/rules.hpp"
#include "flow/stream.hpp"

namespace calm::flow {

template <class T>
class Channel;
template <class T, class P>
class Cycle;

namespace detail {
template <class T>
struct ChannelState {
  std::vector<T> pending;  // sent since the last tick started
  std::vector<T> current;  // this tick's input
  std::uint64_t emitted_tick = Scheduler::never;
};

template <class T>
struct ChannelGen {
  std::shared_ptr<ChannelState<T>> state;
  Scheduler* sched;

  template <class Sink>
  void operator()(Sink&& sink) {
    if (state->emitted_tick == sched->tick()) return;
    state->emitted_tick = sched->tick();
    for (T& x : state->current) sink(std::move(x));
  }
};
}  // namespace detail

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  /// The range's items in the first tick: no props. The range is copied (or moved) into the
  /// graph, which usually outlives the scope that builds it.
  template <std::ranges::input_range R>
  auto source_iter(R&& range) {
    return detail::make_iter_source(&sched_, std::remove_cvref_t<R>(std::forward<R>(range)));
  }

  /// The range's items, shuffled and duplicated under `arrival`, spread over
  /// `arrival.batches` ticks: RandomBatch, Dups.
  template <std::ranges::input_range R>
  auto source_unordered(R&& range, Arrival arrival = {}) {
    return detail::make_unordered_source(&sched_, std::forward<R>(range), arrival);
  }

  /// A source fed at runtime; see Channel.
  template <class T>
  Channel<T> channel(std::string name = "channel");

  /// A loop: stream() reads what feed() writes, within the same tick, until nothing new
  /// arrives. P declares the props of the loop's stream; what is fed must not add any.
  template <class T, class P = Props<RandomBatch>>
  Cycle<T, P> cycle(std::string name = "cycle");

  /// Runs one tick: every stratum in order, each to a fixpoint.
  void run_tick() { sched_.run_tick(); }

  /// Runs ticks while a source holds input for a later tick; returns how many ran (at least
  /// one, at most `ticks_max`).
  std::uint64_t run_until_idle(std::uint64_t ticks_max = 1'000'000) {
    std::uint64_t ran = 0;
    do {
      sched_.run_tick();
      ++ran;
    } while (sched_.has_input() && ran < ticks_max);
    return ran;
  }

  /// The number of the last tick run (0 before the first).
  std::uint64_t tick() const { return sched_.tick(); }

  /// A bound on the passes of one stratum in one tick; past it run_tick() throws.
  void set_fixpoint_passes_max(std::size_t passes) { sched_.fixpoint_passes_max = passes; }

  /// Every operator of the program with its output props, every assume_deterministic
  /// reason, and (in text) the subgraphs with their strata.
  std::string explain(Format format = Format::text) const { return sched_.explain(format); }

 private:
  detail::Scheduler sched_;
};

/// A source fed at runtime, with RandomBatch and Dups like any network input.
///
/// This is the hook by which replication feeds network input into a flow program: the
/// transport's receive handler decodes a message and calls `send()` (or `send_all()` for a
/// batch); everything sent before a tick starts is that tick's input. `send()` is not
/// thread-safe: call it from the thread that runs the ticks, between ticks or from a
/// for_each inside one (the item then arrives in the next tick).
template <class T>
class Channel {
 public:
  using Out = Stream<T, Props<RandomBatch, Dups>, detail::ChannelGen<T>>;

  void send(T item) { state_->pending.push_back(std::move(item)); }
  template <std::ranges::input_range R>
  void send_all(R&& items) {
    for (auto&& x : items) state_->pending.push_back(std::forward<decltype(x)>(x));
  }
  /// Items sent and not yet delivered to a tick.
  std::size_t pending() const { return state_->pending.size(); }

  /// The channel's items, tick by tick. One consumer: tee() it for more.
  Out stream() const { return Out(detail::ChannelGen<T>{state_, sched_}, ctx_); }

 private:
  friend class Graph;
  Channel(detail::Scheduler* sched, std::string name)
      : state_(std::make_shared<detail::ChannelState<T>>()),
        sched_(sched),
        ctx_(detail::source_ctx(sched, "channel", detail::props_name<Props<RandomBatch, Dups>>(),
                                std::move(name))) {
    sched->on_tick_start([state = state_] {
      state->current.clear();
      std::swap(state->current, state->pending);
    });
    sched->add_external_input([state = state_] { return !state->pending.empty(); });
  }

  std::shared_ptr<detail::ChannelState<T>> state_;
  detail::Scheduler* sched_;
  detail::Ctx ctx_;
};

/// A loop in a Graph: feed() writes into it, stream() reads it, in the same tick.
template <class T, class P>
class Cycle {
 public:
  using Out = Stream<T, P, detail::BufferGen<T>>;

  Out stream() const { return Out(detail::BufferGen<T>{buffer_, {}}, ctx_); }

  /// Closes the loop with `s`. `s` may not carry a prop that P lacks. A cycle is fed once.
  template <class Q, class G>
  void feed(const Stream<T, Q, G>& s) {
    detail::require_declared_feed<P, Q>();
    const auto& ctx = detail::Access::ctx(s);
    detail::derive(ctx, "feed", "{}");  // records the sink for explain()
    ctx_.plan->back_inputs.push_back(ctx.plan);
    sched_->add_subgraph(
        "feed " + ctx_.plan->note,
        [up = detail::Access::gen(s), buffer = buffer_]() mutable {
          up([&](auto&& x) { buffer->items.push_back(std::forward<decltype(x)>(x)); });
        },
        ctx.inputs, {node_});
  }

 private:
  friend class Graph;
  Cycle(detail::Scheduler* sched, std::string name)
      : buffer_(std::make_shared<detail::Buffer<T>>()), sched_(sched) {
    node_ = sched->add_node([b = buffer_] { return !b->items.empty(); });
    ctx_ = detail::source_ctx(sched, "cycle", detail::props_name<P>(), std::move(name));
    ctx_.inputs = {{node_, false}};
  }

  std::shared_ptr<detail::Buffer<T>> buffer_;
  detail::Scheduler* sched_;
  std::size_t node_ = 0;
  detail::Ctx ctx_;
};

template <class T>
Channel<T> Graph::channel(std::string name) {
  return Channel<T>(&sched_, std::move(name));
}

template <class T, class P>
Cycle<T, P> Graph::cycle(std::string name) {
  return Cycle<T, P>(&sched_, std::move(name));
}

}  // namespace calm::flow
