/// MapUnion<uint64_t, Max<uint64_t>>: merging two maps with 50% key overlap, against a
/// hand-written merge of two sorted vectors of pairs that keeps the larger value on equal keys.
///
/// Goal (docs/benchmarks.md): calm / baseline <= 1.5 at 64 and at 10k keys.
///
/// Fairness, as in set_union.cpp: "map_merge" benchmarks copy their left side inside the timed
/// loop and merge into the copy (the baseline copies, merges into a reserved vector and moves
/// the result back, as calm does); "map_join" benchmarks make a new value from two const
/// inputs, and the baseline merges straight into a reserved vector.
#include "lattices/map_union.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <unordered_set>
#include <utility>
#include <vector>

#include "inputs.hpp"
#include "lattices/max.hpp"

namespace {

using calm::bench::Cycle;
using calm::bench::distinct_keys;
namespace lat = calm::lattices;
using Key = std::uint64_t;
using Map = lat::MapUnion<Key, lat::Max<std::uint64_t>>;
using Plain = std::vector<std::pair<Key, std::uint64_t>>;

/// Pairs of maps of n keys each, sharing n/2 keys, with random values (never 0, which is
/// Max<uint64_t>'s bottom and would not be stored). As in set_union.cpp, benchmarks cycle
/// through enough pairs to see about 64k entries per side before repeating one, so that the
/// branch predictor cannot learn a whole merge by heart.
struct OverlappingPairs {
  std::vector<Plain> a, b;
  explicit OverlappingPairs(std::size_t n) {
    const std::size_t count = std::max<std::size_t>(1, 65536 / n);
    std::mt19937_64 rng(5);
    for (std::size_t p = 0; p < count; ++p) {
      const std::vector<Key> keys = distinct_keys(n + n / 2, rng());
      Plain& pa = a.emplace_back();
      Plain& pb = b.emplace_back();
      for (std::size_t i = 0; i < n; ++i) pa.emplace_back(keys[i], rng() | 1);
      for (std::size_t i = n / 2; i < keys.size(); ++i) pb.emplace_back(keys[i], rng() | 1);
      std::sort(pa.begin(), pa.end());
      std::sort(pb.begin(), pb.end());
    }
  }
  std::size_t count() const { return a.size(); }
};

std::vector<Map> to_maps(const std::vector<Plain>& plain) {
  std::vector<Map> maps;
  for (const Plain& entries : plain) {
    std::vector<std::pair<Key, lat::Max<std::uint64_t>>> lattice;
    for (const auto& [k, v] : entries) lattice.emplace_back(k, lat::Max<std::uint64_t>{v});
    maps.emplace_back(lattice.begin(), lattice.end());
  }
  return maps;
}

/// The baseline merge: sorted by key, the larger value on equal keys.
void merge_sorted(const Plain& a, const Plain& b, Plain& out) {
  auto i = a.begin(), j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (i->first < j->first) {
      out.push_back(*i++);
    } else if (j->first < i->first) {
      out.push_back(*j++);
    } else {
      out.emplace_back(i->first, std::max(i->second, j->second));
      ++i;
      ++j;
    }
  }
  out.insert(out.end(), i, a.end());
  out.insert(out.end(), j, b.end());
}

void map_merge_calm(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  const auto as = to_maps(in.a), bs = to_maps(in.b);
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    Map c = as[p];
    benchmark::DoNotOptimize(c.merge(bs[p]));
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void map_merge_hand(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    Plain c = in.a[p];
    Plain out;
    out.reserve(c.size() + in.b[p].size());
    merge_sorted(c, in.b[p], out);
    c = std::move(out);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void map_join_calm(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  const auto as = to_maps(in.a), bs = to_maps(in.b);
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    auto c = lat::join(as[p], bs[p]);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void map_join_hand(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    Plain out;
    out.reserve(in.a[p].size() + in.b[p].size());
    merge_sorted(in.a[p], in.b[p], out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

BENCHMARK(map_merge_calm)->Name("map_merge/calm")->Arg(64)->Arg(10000);
BENCHMARK(map_merge_hand)->Name("map_merge/hand_sorted_merge")->Arg(64)->Arg(10000);
BENCHMARK(map_join_calm)->Name("map_join/calm")->Arg(64)->Arg(10000);
BENCHMARK(map_join_hand)->Name("map_join/hand_sorted_merge")->Arg(64)->Arg(10000);

}  // namespace
