/// ORMap heap bytes per entry, against std::map and std::set.
///
/// Goal (docs/benchmarks.md, "CRDTs (issue 3)"): report the bytes per entry of
/// ORMap<uint64_t, Max<uint64_t>> and ORMap<std::string, PNCounter> at 10k and 100k entries,
/// next to std::set<uint64_t> and std::map's bytes per element.
///
/// Each map is built the way a replica builds it: from the deltas that update returns, one
/// update per key by one replica (or four, for the PNCounter rows marked x4: a counter that
/// was incremented four times since its key was last removed), joined pairwise in a tree.
/// Building by n calls to update on the growing map costs O(n^2) (each delta's merge is
/// linear in the map), so the deltas are made at a scratch replica whose map is emptied
/// after each update; the delta of an update on a key the replica does not hold does not
/// depend on the rest of the map.
///
/// Keys: random uint64_t, or "k" and the decimal digits of a random number below 10^12 (2 to
/// 13 characters, within libstdc++'s 15-character small-string buffer, so no heap block).
#include "lattices/or_map.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "alloc_count.hpp"
#include "inputs.hpp"
#include "lattices/core.hpp"
#include "lattices/max.hpp"
#include "lattices/pn_counter.hpp"

namespace {

using calm::bench::distinct_keys;
namespace lat = calm::lattices;
using Id = std::uint64_t;
using MaxMap = lat::ORMap<std::uint64_t, lat::Max<std::uint64_t>, Id>;
using CounterMap = lat::ORMap<std::string, lat::PNCounter<Id>, Id>;

constexpr Id writer = 1;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bench/or_map.cpp: setup check failed: %s\n", what);
    std::abort();
  }
}

std::vector<std::string> string_keys(const std::vector<std::uint64_t>& keys) {
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (std::uint64_t k : keys) out.push_back("k" + std::to_string(k % 1000000000000));
  return out;
}

/// The join of all `parts`, joined pairwise in a tree.
template <class M>
M join_all(std::vector<M> parts) {
  if (parts.empty()) return M{};
  while (parts.size() > 1) {
    std::vector<M> next;
    next.reserve(parts.size() / 2 + 1);
    for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
      next.push_back(lat::join(std::move(parts[i]), parts[i + 1]));
    }
    if (parts.size() % 2 == 1) next.push_back(std::move(parts.back()));
    parts = std::move(next);
  }
  return std::move(parts.front());
}

/// `updates` updates of every key by one replica, each running fn, joined.
template <class M, class K, class Fn>
M build_map(const std::vector<K>& keys, int updates, Fn fn) {
  M scratch;
  std::vector<M> deltas;
  deltas.reserve(keys.size() * static_cast<std::size_t>(updates));
  for (const K& key : keys) {
    for (int u = 0; u < updates; ++u) deltas.push_back(scratch.update(writer, key, fn));
    scratch.remove(key);
  }
  M out = join_all(std::move(deltas));
  require(out.size() == keys.size(), "every key is in the map");
  return out;
}

/// Builds the value once inside a HeapCount and reports its live heap use per entry.
/// One iteration; the time is the build's and is not a figure of interest.
template <class Build>
void report_heap(benchmark::State& state, Build build) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<std::uint64_t> keys = distinct_keys(n, 59);
  const std::vector<std::string> names = string_keys(keys);
  for (auto _ : state) {
    calm::bench::HeapCount count;
    auto value = build(keys, names);
    benchmark::DoNotOptimize(value);
    const calm::bench::HeapUse use = count.live();
    const double per = 1.0 / static_cast<double>(n);
    state.counters["bytes_per_elem"] = static_cast<double>(use.bytes) * per;
    state.counters["blocks_per_elem"] = static_cast<double>(use.blocks) * per;
    state.counters["heap_per_elem"] = static_cast<double>(use.bytes + 8 * use.blocks) * per;
  }
}

using Keys = std::vector<std::uint64_t>;
using Names = std::vector<std::string>;

void ormap_memory_max(benchmark::State& state) {
  report_heap(state, [](const Keys& keys, const Names&) {
    return build_map<MaxMap>(keys, 1, [](lat::Max<std::uint64_t>& v) {
      return lat::Max<std::uint64_t>{v.reveal() + 7};
    });
  });
}

void ormap_memory_counter(benchmark::State& state, int updates) {
  report_heap(state, [updates](const Keys&, const Names& names) {
    return build_map<CounterMap>(names, updates,
                                 [](lat::PNCounter<Id>& c) { return c.increment(writer, 3); });
  });
}

void std_map_memory_u64(benchmark::State& state) {
  report_heap(state, [](const Keys& keys, const Names&) {
    std::map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t k : keys) m.emplace(k, 7);
    return m;
  });
}

void std_map_memory_string(benchmark::State& state) {
  report_heap(state, [](const Keys&, const Names& names) {
    std::map<std::string, std::int64_t> m;
    for (const std::string& k : names) m.emplace(k, 3);
    return m;
  });
}

#define CALM_MAP_MEMORY(...) \
  __VA_ARGS__->Arg(10000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond)
CALM_MAP_MEMORY(BENCHMARK(ormap_memory_max)->Name("ORMap_memory/calm_u64_Max"));
CALM_MAP_MEMORY(
    BENCHMARK_CAPTURE(ormap_memory_counter, x1, 1)->Name("ORMap_memory/calm_string_PNCounter"));
CALM_MAP_MEMORY(
    BENCHMARK_CAPTURE(ormap_memory_counter, x4, 4)->Name("ORMap_memory/calm_string_PNCounter_x4"));
CALM_MAP_MEMORY(BENCHMARK(std_map_memory_u64)->Name("ORMap_memory/std_map_u64_u64"));
CALM_MAP_MEMORY(BENCHMARK(std_map_memory_string)->Name("ORMap_memory/std_map_string_i64"));

}  // namespace
