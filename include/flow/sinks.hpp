#pragma once
/// The tail Stream and Singleton share: the chain and its context, and the sinks that end
/// either, for_each, assume_deterministic and explain. (A Stream's collect() and a Singleton's
/// get() are in stream.hpp: each has one of them only.)
#include <string>
#include <utility>

#include "flow/chain.hpp"

namespace calm::flow::detail {

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

/// The base of `Kind<T, P, Gen>` (Stream or Singleton).
template <template <class, class, class> class Kind, class T, class P, class Gen>
class Tail {
 public:
  using value_type = T;
  using props = P;

  /// f(each item, or the value), whatever the props. Standalone: now. In a Graph: every tick
  /// (for a Singleton, after the value is complete).
  template <class F>
  void for_each(F f) const {
    run_for_each(ctx_, gen_, std::move(f));
  }

  /// Declares the chain deterministic (no props) because of `reason`, which explain() shows.
  /// The one way past a rule: the reason says why the order or the duplicates cannot change
  /// what the program computes.
  Kind<T, Props<>, Gen> assume_deterministic(std::string reason) const {
    auto ctx = derive(ctx_, "assume_deterministic", "{}", std::move(reason));
    ctx.plan->assumed = true;
    return Kind<T, Props<>, Gen>(gen_, std::move(ctx));
  }

  /// The operators behind this chain, each with the props of its output.
  std::string explain(Format format = Format::text) const {
    return render_plan(plan_order({ctx_.plan}), format);
  }

 protected:
  Tail(Gen gen, Ctx ctx) : gen_(std::move(gen)), ctx_(std::move(ctx)) {}

  Gen gen_;
  Ctx ctx_;

 private:
  friend struct Access;
};

}  // namespace calm::flow::detail
