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

#include <cstdint>

#include "replica_counters.hpp"

namespace {

using Counter = calm::lattices::GCounter<std::uint64_t>;

/// Totals up to 2^40, so that 10k of them sum well below 2^64 (value() would throw).
constexpr std::uint64_t max_total = std::uint64_t{1} << 40;

Counter one_replica(std::uint64_t id, std::uint64_t total) {
  return Counter{}.increment(id, total);
}

using calm::bench::merge_calm;
using calm::bench::merge_flat;
BENCHMARK_TEMPLATE(merge_calm, Counter, false, max_total, 17, one_replica)
    ->Name("GCounter_merge/calm")
    ->Arg(64)
    ->Arg(10000);
BENCHMARK_TEMPLATE(merge_calm, Counter, true, max_total, 17, one_replica)
    ->Name("GCounter_merge/calm_decoded")
    ->Arg(64)
    ->Arg(10000);
BENCHMARK_TEMPLATE(merge_flat, max_total, 17)
    ->Name("GCounter_merge/flat_sorted_merge")
    ->Arg(64)
    ->Arg(10000);

}  // namespace
