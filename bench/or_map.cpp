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
/// ORMap_small_delta rows (docs/benchmarks.md, "ORMap: a small delta into a large map (issue
/// 13)"): one small delta joined into a map of n fields, the shape of HSET into a calm-kvs hash
/// (ORMap<string, MVRegister<string>>): "replace" writes an existing field (the delta holds
/// the new write and, in its context, the write it replaces), "add_remove" writes a new field
/// and then removes it (two deltas; the map keeps its size). Each row runs against the same
/// map twice: "small", DotMap::join_small (what join picks for such a delta), and "whole",
/// DotMap::join_whole (the one-pass join, which every join used before).
///
/// Keys: random uint64_t, or "k" and the decimal digits of a random number below 10^12 (2 to
/// 13 characters, within libstdc++'s 15-character small-string buffer, so no heap block).
#include "lattices/or_map.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "alloc_count.hpp"
#include "inputs.hpp"
#include "lattices/core.hpp"
#include "lattices/max.hpp"
#include "lattices/mv_register.hpp"
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

using Register = lat::MVRegister<std::string, Id>;
using Hash = lat::ORMap<std::string, Register, Id>;
using HashStore = Hash::store_type;
using HashState = Hash::dotted_type;

/// The state of a hash of n fields "field:000000000042" (calm_kvs_bench's names), each
/// written once by `writer`; built once.
const HashState& hash_of(std::size_t n) {
  static std::map<std::size_t, HashState> built;
  auto it = built.find(n);
  if (it == built.end()) {
    Names names;
    names.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "field:%012zu", i);
      names.emplace_back(name);
    }
    const Hash h = build_map<Hash>(names, 1, [](Register& r) { return r.write(writer, "value"); });
    it = built.emplace(n, h.dotted()).first;
  }
  return it->second;
}

/// Joins one field's delta into `state` by join_small or join_whole, and the context after:
/// what ORMap::update does after it made the delta.
template <bool small>
void join_into(HashState& state, const HashStore& store, const lat::DotContext<Id>& context) {
  if constexpr (small) {
    HashStore::join_small(state.mutable_store(), state.context(), store, context);
  } else {
    HashStore::join_whole(state.mutable_store(), state.context(), store, context);
  }
  state.mutable_context().merge(context);
}

/// HSET's delta: a write of `field` by replica 2 that replaces the writes it saw there.
std::pair<HashStore, lat::DotContext<Id>> write_delta(const HashState& state,
                                                      const std::string& field) {
  const lat::Dot<Id> d = state.context().next(2);
  lat::DotContext<Id> context{d};
  if (const auto* old = state.store().find(field)) {
    old->for_each_dot([&](const lat::Dot<Id>& seen) { context.insert(seen); });
  }
  HashStore store;
  store.set(field, lat::DotFun<std::string, Id>{{d, "w"}});
  return {std::move(store), std::move(context)};
}
/// HDEL's delta: the field's writes, in the context only.
std::pair<HashStore, lat::DotContext<Id>> remove_delta(const HashState& state,
                                                       const std::string& field) {
  lat::DotContext<Id> context;
  if (const auto* old = state.store().find(field)) {
    old->for_each_dot([&](const lat::Dot<Id>& seen) { context.insert(seen); });
  }
  return {HashStore{}, std::move(context)};
}

/// One untimed replace first: it builds join_small's dot -> key index (O(n), once per
/// replica until a large join), which a replica taking a stream of small deltas pays once.
template <bool small>
void warm_up(HashState& value, const std::string& field) {
  auto [store, context] = write_delta(value, field);
  join_into<small>(value, store, context);
}

template <bool small>
void small_delta_replace(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  HashState value = hash_of(n);
  const std::vector<std::string> fields = [&] {
    std::vector<std::string> out;
    for (const auto& entry : value.store()) out.push_back(entry.first);
    return out;
  }();
  calm::bench::Cycle next(fields.size());
  warm_up<small>(value, fields.back());
  for (auto _ : state) {
    auto [store, context] = write_delta(value, fields[next.next()]);
    join_into<small>(value, store, context);
  }
  require(value.store().size() == n, "a replaced field keeps the size");
}

template <bool small>
void small_delta_add_remove(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  HashState value = hash_of(n);
  // New fields sort right after existing ones, spread over the map, as an HSET of a new field
  // lands anywhere: an insertion moves the entries of its chunk (DotMap's ChunkedVector).
  std::vector<std::string> fresh;
  for (const auto& entry : value.store()) fresh.push_back(entry.first + "+");
  std::shuffle(fresh.begin(), fresh.end(), std::mt19937_64(67));
  calm::bench::Cycle next(fresh.size());
  warm_up<small>(value, value.store().begin()->first);
  // And one untimed add, so that the first timed one finds the map as every later one does.
  warm_up<small>(value, fresh.back() + "+");
  for (auto _ : state) {
    const std::string& field = fresh[next.next()];
    auto [store, context] = write_delta(value, field);
    join_into<small>(value, store, context);
    auto [gone, seen] = remove_delta(value, field);
    join_into<small>(value, gone, seen);
  }
  require(value.store().size() == n + 1, "an added and removed field leaves the size");
}

#define CALM_SMALL_DELTA(...) \
  __VA_ARGS__->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond)
CALM_SMALL_DELTA(
    BENCHMARK_TEMPLATE(small_delta_replace, true)->Name("ORMap_small_delta/replace_small"));
CALM_SMALL_DELTA(
    BENCHMARK_TEMPLATE(small_delta_replace, false)->Name("ORMap_small_delta/replace_whole"));
CALM_SMALL_DELTA(
    BENCHMARK_TEMPLATE(small_delta_add_remove, true)->Name("ORMap_small_delta/add_remove_small"));
CALM_SMALL_DELTA(
    BENCHMARK_TEMPLATE(small_delta_add_remove, false)->Name("ORMap_small_delta/add_remove_whole"));

/// ORMap_group_delta rows: one delta of k new fields (what a gossip interval carries for a
/// hash many HSETs wrote) joined into a map of n fields, by join_small or join_whole: where
/// the one-pass join starts to win, which DotMap's choice between them follows.
template <bool small>
void group_delta(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto k = n / static_cast<std::size_t>(state.range(1));
  const HashState& base = hash_of(n);
  std::vector<std::string> fresh;
  for (const auto& entry : base.store()) fresh.push_back(entry.first + "+");
  std::shuffle(fresh.begin(), fresh.end(), std::mt19937_64(71));
  fresh.resize(k);
  std::sort(fresh.begin(), fresh.end());
  HashStore group;
  lat::DotContext<Id> context;
  for (std::size_t i = 0; i < k; ++i) {
    const lat::Dot<Id> d{3, i + 1};  // a replica of its own: warm_up writes as 2
    context.insert(d);
    group.set(fresh[i], lat::DotFun<std::string, Id>{{d, "w"}});
  }
  for (auto _ : state) {
    state.PauseTiming();
    HashState value = base;
    warm_up<small>(value, value.store().begin()->first);  // join_small's index, as a replica has
    state.ResumeTiming();
    join_into<small>(value, group, context);
    benchmark::DoNotOptimize(value);
    state.PauseTiming();
    require(value.store().size() == n + k, "every new field is in the map");
    value = HashState{};  // freed untimed
    state.ResumeTiming();
  }
  state.counters["k"] = static_cast<double>(k);
}
#define CALM_GROUP_DELTA(...)     \
  __VA_ARGS__->Args({100000, 64}) \
      ->Args({100000, 16})        \
      ->Args({100000, 8})         \
      ->Args({100000, 4})         \
      ->Args({100000, 2})         \
      ->Unit(benchmark::kMillisecond)
CALM_GROUP_DELTA(BENCHMARK_TEMPLATE(group_delta, true)->Name("ORMap_group_delta/small"));
CALM_GROUP_DELTA(BENCHMARK_TEMPLATE(group_delta, false)->Name("ORMap_group_delta/whole"));

}  // namespace
