#pragma once
/// Inputs and the flat baseline shared by bench/g_counter.cpp and bench/vector_clock.cpp: two
/// maps from replica to counter, merged by taking each replica's larger counter.
///
/// A pair of inputs has `n` replicas on each side, 3n/4 of them known to both (the other
/// quarter of each side has not been heard of by the other yet), with random counters: on a
/// shared replica either side is ahead with probability 1/2. The benchmarks cycle through
/// enough pairs to see about 64k entries per side before repeating one, as in set_union.cpp,
/// so that the branch predictor cannot learn a merge by heart.
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

namespace calm::bench {

/// (replica, counter), sorted by replica, counters never 0: the plain code's state.
using ReplicaCounters = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

struct ReplicaCounterPairs {
  std::vector<ReplicaCounters> a, b;
  /// Counters are drawn from [1, max_counter].
  ReplicaCounterPairs(std::size_t n, std::uint64_t max_counter, std::uint64_t seed) {
    const std::size_t count = std::max<std::size_t>(1, 65536 / n);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::uint64_t> counter(1, max_counter);
    for (std::size_t p = 0; p < count; ++p) {
      const std::vector<std::uint64_t> ids = distinct_keys(n + n / 4, rng());
      ReplicaCounters& pa = a.emplace_back();
      ReplicaCounters& pb = b.emplace_back();
      for (std::size_t i = 0; i < n; ++i) pa.emplace_back(ids[i], counter(rng));
      for (std::size_t i = n / 4; i < ids.size(); ++i) pb.emplace_back(ids[i], counter(rng));
      std::sort(pa.begin(), pa.end());
      std::sort(pb.begin(), pb.end());
    }
  }
  std::size_t count() const { return a.size(); }
};

/// The baseline: one pass over both sorted vectors into `out`, the larger counter on a shared
/// replica.
inline void merge_by_max(const ReplicaCounters& a, const ReplicaCounters& b, ReplicaCounters& out) {
  auto i = a.begin(), j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (i->first < j->first) {
      out.push_back(*i);
      ++i;
    } else if (j->first < i->first) {
      out.push_back(*j);
      ++j;
    } else {
      out.emplace_back(i->first, i->second < j->second ? j->second : i->second);
      ++i;
      ++j;
    }
  }
  out.insert(out.end(), i, a.end());
  out.insert(out.end(), j, b.end());
}

/// The values a replica builds from what it hears: each input's entries merged one at a time,
/// as one-entry values `one(id, n)`, in a shuffled replica order. Such a value keeps a short
/// `recent` run next to its bulk (detail/flat_store.hpp). Aborts if a value does not hold its
/// input.
template <class C>
std::vector<C> built_from_deltas(const std::vector<ReplicaCounters>& plain, std::uint64_t seed,
                                 C (*one)(std::uint64_t, std::uint64_t)) {
  std::vector<C> out;
  for (const ReplicaCounters& entries : plain) {
    ReplicaCounters order = entries;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(seed++));
    C c;
    for (const auto& [id, n] : order) c.merge(one(id, n));
    ReplicaCounters back;
    for (const auto& [id, n] : c) back.emplace_back(id, n.reveal());
    if (back != entries) {
      std::fprintf(stderr, "bench/replica_counters.hpp: a value does not hold its input\n");
      std::abort();
    }
    out.push_back(std::move(c));
  }
  return out;
}

/// calm's copy + merge of replica pairs of `state.range(0)` entries. `decoded`: both sides went
/// through to_bytes / from_bytes (one run), as a state received whole from another replica.
template <class C, bool decoded, std::uint64_t max_counter, std::uint64_t seed,
          C (*one)(std::uint64_t, std::uint64_t)>
void merge_calm(benchmark::State& state) {
  const ReplicaCounterPairs in(static_cast<std::size_t>(state.range(0)), max_counter, seed);
  std::vector<C> as = built_from_deltas(in.a, 100, one);
  std::vector<C> bs = built_from_deltas(in.b, 100 + in.count(), one);
  if constexpr (decoded) {
    for (auto& x : as) x = calm::lattices::from_bytes<C>(calm::lattices::to_bytes(x));
    for (auto& x : bs) x = calm::lattices::from_bytes<C>(calm::lattices::to_bytes(x));
  }
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    C c = as[p];
    benchmark::DoNotOptimize(c.merge(bs[p]));
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

/// The baseline on the same inputs: copy + merge_by_max into a reserved vector, moved back.
template <std::uint64_t max_counter, std::uint64_t seed>
void merge_flat(benchmark::State& state) {
  const ReplicaCounterPairs in(static_cast<std::size_t>(state.range(0)), max_counter, seed);
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    ReplicaCounters c = in.a[p];
    ReplicaCounters out;
    out.reserve(c.size() + in.b[p].size());
    merge_by_max(c, in.b[p], out);
    c = std::move(out);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

}  // namespace calm::bench
