/// GCounter<uint64_t>: merging two counters' states, 64 and 10k replicas each (3/4 of them
/// known to both sides), against a hand-written merge by maximum of two sorted vectors of
/// (replica, total) pairs.
///
/// Goal (docs/benchmarks.md, "CRDTs (issue 3)"): calm / baseline <= 1.5 at 64 and 10k
/// replicas.
///
/// Fairness, as in map_union.cpp: merge changes its left side, so both sides copy the left
/// input inside the timed loop and merge into the copy (the baseline merges into a reserved
/// vector and moves the result back, as calm's flat store does).
///
/// The counters are built the way a replica builds its state, by merging the one-entry deltas
/// that increment returns, one replica after another, in random replica order; such a state
/// keeps a short `recent` run next to its bulk (detail/flat_store.hpp). "calm_decoded" rows
/// merge the same counters after a to_bytes / from_bytes round trip, which leaves one run: the
/// state as received whole from another replica.
#include "lattices/g_counter.hpp"

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
using Counter = lat::GCounter<std::uint64_t>;

/// Totals up to 2^40, so that 10k of them sum well below 2^64 (value() would throw).
constexpr std::uint64_t max_total = std::uint64_t{1} << 40;

Counter to_counter(const ReplicaCounters& totals, std::uint64_t seed) {
  ReplicaCounters order = totals;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  Counter c;
  for (const auto& [id, total] : order) {
    Counter replica;
    c.merge(replica.increment(id, total));
  }
  ReplicaCounters back;
  for (const auto& [id, total] : c) back.emplace_back(id, total.reveal());
  if (back != totals) {
    std::fprintf(stderr, "bench/g_counter.cpp: a counter does not hold its inputs\n");
    std::abort();
  }
  return c;
}

std::vector<Counter> to_counters(const std::vector<ReplicaCounters>& plain) {
  std::vector<Counter> out;
  for (std::size_t i = 0; i < plain.size(); ++i) out.push_back(to_counter(plain[i], 100 + i));
  return out;
}

/// `decoded`: both sides went through to_bytes / from_bytes, as a state received whole from
/// another replica would; otherwise they are as built from deltas.
template <bool decoded>
void gcounter_merge_calm(benchmark::State& state) {
  const ReplicaCounterPairs in(static_cast<std::size_t>(state.range(0)), max_total, 17);
  auto as = to_counters(in.a), bs = to_counters(in.b);
  if constexpr (decoded) {
    for (auto& x : as) x = lat::from_bytes<Counter>(lat::to_bytes(x));
    for (auto& x : bs) x = lat::from_bytes<Counter>(lat::to_bytes(x));
  }
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    Counter c = as[p];
    benchmark::DoNotOptimize(c.merge(bs[p]));
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void gcounter_merge_flat(benchmark::State& state) {
  const ReplicaCounterPairs in(static_cast<std::size_t>(state.range(0)), max_total, 17);
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

BENCHMARK_TEMPLATE(gcounter_merge_calm, false)->Name("GCounter_merge/calm")->Arg(64)->Arg(10000);
BENCHMARK_TEMPLATE(gcounter_merge_calm, true)
    ->Name("GCounter_merge/calm_decoded")
    ->Arg(64)
    ->Arg(10000);
BENCHMARK(gcounter_merge_flat)->Name("GCounter_merge/flat_sorted_merge")->Arg(64)->Arg(10000);

}  // namespace
