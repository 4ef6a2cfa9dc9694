/// VectorClock<uint64_t>: merging two clocks, 16 and 1,000 replicas each (3/4 of them known to
/// both sides), against a hand-written merge by maximum of two sorted vectors of
/// (replica, counter) pairs.
///
/// Goal (docs/benchmarks.md, "CRDTs (issue 3)"): calm / baseline <= 1.5 at 16 and 1,000
/// entries.
///
/// Fairness, as in map_union.cpp: merge changes its left side, so both sides copy the left
/// input inside the timed loop and merge into the copy (the baseline merges into a reserved
/// vector and moves the result back, as calm's flat store does).
///
/// The clocks are built the way a replica builds one from what it hears: by merging one-entry
/// clocks, one replica after another, in random replica order; such a clock keeps a short
/// `recent` run next to its bulk (detail/flat_store.hpp). "calm_decoded" rows merge the same
/// clocks after a to_bytes / from_bytes round trip, which leaves one run: the state as received
/// whole from another replica.
#include "lattices/vector_clock.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <utility>
#include <vector>

#include "inputs.hpp"
#include "lattices/serialize.hpp"
#include "replica_counters.hpp"

namespace {

using calm::bench::Cycle;
using calm::bench::ReplicaCounterPairs;
using calm::bench::ReplicaCounters;
namespace lat = calm::lattices;
using Clock = lat::VectorClock<std::uint64_t>;

constexpr std::uint64_t max_counter = 1000000;

Clock to_clock(const ReplicaCounters& counters, std::uint64_t seed) {
  ReplicaCounters order = counters;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  Clock c;
  for (const auto& [id, n] : order) c.merge(Clock{{id, n}});
  ReplicaCounters back;
  for (const auto& [id, n] : c) back.emplace_back(id, n.reveal());
  if (back != counters) {
    std::fprintf(stderr, "bench/vector_clock.cpp: a clock does not hold its inputs\n");
    std::abort();
  }
  return c;
}

std::vector<Clock> to_clocks(const std::vector<ReplicaCounters>& plain) {
  std::vector<Clock> out;
  for (std::size_t i = 0; i < plain.size(); ++i) out.push_back(to_clock(plain[i], 200 + i));
  return out;
}

/// `decoded`: both sides went through to_bytes / from_bytes, as a state received whole from
/// another replica would; otherwise they are as built from deltas.
template <bool decoded>
void clock_merge_calm(benchmark::State& state) {
  const ReplicaCounterPairs in(static_cast<std::size_t>(state.range(0)), max_counter, 19);
  auto as = to_clocks(in.a), bs = to_clocks(in.b);
  if constexpr (decoded) {
    for (auto& x : as) x = lat::from_bytes<Clock>(lat::to_bytes(x));
    for (auto& x : bs) x = lat::from_bytes<Clock>(lat::to_bytes(x));
  }
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    Clock c = as[p];
    benchmark::DoNotOptimize(c.merge(bs[p]));
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void clock_merge_flat(benchmark::State& state) {
  const ReplicaCounterPairs in(static_cast<std::size_t>(state.range(0)), max_counter, 19);
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    ReplicaCounters c = in.a[p];
    ReplicaCounters out;
    out.reserve(c.size() + in.b[p].size());
    calm::bench::merge_by_max(c, in.b[p], out);
    c = std::move(out);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

BENCHMARK_TEMPLATE(clock_merge_calm, false)->Name("VectorClock_merge/calm")->Arg(16)->Arg(1000);
BENCHMARK_TEMPLATE(clock_merge_calm, true)
    ->Name("VectorClock_merge/calm_decoded")
    ->Arg(16)
    ->Arg(1000);
BENCHMARK(clock_merge_flat)->Name("VectorClock_merge/flat_sorted_merge")->Arg(16)->Arg(1000);

}  // namespace
