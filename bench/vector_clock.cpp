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

#include <cstdint>

#include "replica_counters.hpp"

namespace {

using Clock = calm::lattices::VectorClock<std::uint64_t>;

constexpr std::uint64_t max_counter = 1000000;

Clock one_replica(std::uint64_t id, std::uint64_t n) { return Clock{{id, n}}; }

using calm::bench::merge_calm;
using calm::bench::merge_flat;
BENCHMARK_TEMPLATE(merge_calm, Clock, false, max_counter, 19, one_replica)
    ->Name("VectorClock_merge/calm")
    ->Arg(16)
    ->Arg(1000);
BENCHMARK_TEMPLATE(merge_calm, Clock, true, max_counter, 19, one_replica)
    ->Name("VectorClock_merge/calm_decoded")
    ->Arg(16)
    ->Arg(1000);
BENCHMARK_TEMPLATE(merge_flat, max_counter, 19)
    ->Name("VectorClock_merge/flat_sorted_merge")
    ->Arg(16)
    ->Arg(1000);

}  // namespace
