#pragma once
/// Where a standalone stream starts: source_iter (a range's items, in order) and
/// source_unordered (a range's items shuffled and duplicated under a seed, the local stand-in
/// for a network). A Graph makes its own with the same generators (graph.hpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "flow/chain.hpp"
#include "lattices/random.hpp"

namespace calm::flow {

/// How source_unordered delivers its items: a seeded stand-in for a network.
struct Arrival {
  std::uint64_t seed = 0;      // 0 keeps the input order
  std::size_t copies_max = 1;  // each item arrives between 1 and copies_max times
  std::size_t batches = 1;     // in a Graph, the items are spread over this many ticks
};

namespace detail {

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
