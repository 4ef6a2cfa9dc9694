/// SetUnion<uint64_t>: large merges, building a big set from singleton deltas, and small
/// deltas into a big set, each against the plain-container code a user would write instead.
///
/// Goal (docs/benchmarks.md): merging two 100k-element sets with 50% overlap costs at most 1.3x
/// std::set_union of sorted vectors into a reserved vector.
///
/// Fairness: an in-place merge needs a fresh copy of its left side every iteration, so every
/// "set_merge" benchmark (calm and baseline alike) copies its left side inside the timed loop
/// and then merges into that copy; "set_join" benchmarks make a new value from two const
/// inputs, which is what join(a, b) promises, and the baseline does the same with
/// std::set_union into a reserved vector. Benchmarks that grow a set reset it, untimed, every
/// few thousand elements, so that every iteration sees a set of about the stated size.
#include "lattices/set_union.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <unordered_set>
#include <vector>

#include "inputs.hpp"

namespace {

using calm::bench::Cycle;
using calm::bench::distinct_keys;
namespace lat = calm::lattices;
using Key = std::uint64_t;
template <class Backing>
using Set = lat::SetUnion<Key, Backing>;

/// Pairs of sorted n-key sets, each pair sharing n/2 keys. Merge benchmarks cycle through
/// enough pairs to see about 64k elements per side before repeating one: given the same pair
/// every iteration, the branch predictor learns a 1k-element merge's whole sequence of
/// comparisons by heart (docs/benchmarks.md), and both sides run about 4x faster than on data
/// they have not seen.
struct OverlappingPairs {
  std::vector<std::vector<Key>> a, b;
  explicit OverlappingPairs(std::size_t n) {
    const std::size_t count = std::max<std::size_t>(1, 65536 / n);
    for (std::size_t p = 0; p < count; ++p) {
      const auto keys = distinct_keys(n + n / 2, 7 + p);
      const auto half = static_cast<std::ptrdiff_t>(n / 2);
      a.emplace_back(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(n));
      b.emplace_back(keys.begin() + half, keys.end());
      std::sort(a.back().begin(), a.back().end());
      std::sort(b.back().begin(), b.back().end());
    }
  }
  std::size_t count() const { return a.size(); }
};

template <class Backing>
std::vector<Set<Backing>> to_sets(const std::vector<std::vector<Key>>& plain) {
  std::vector<Set<Backing>> sets;
  for (const auto& keys : plain) sets.emplace_back(keys.begin(), keys.end());
  return sets;
}

// ---- 1. merge two n-element sets, 50% overlap ---------------------------------------------

template <class Backing>
void set_merge_calm(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  const auto as = to_sets<Backing>(in.a), bs = to_sets<Backing>(in.b);
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    Set<Backing> c = as[p];
    benchmark::DoNotOptimize(c.merge(bs[p]));
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void set_merge_std_set_union(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    const auto& b = in.b[p];
    std::vector<Key> c = in.a[p];
    std::vector<Key> out;
    out.reserve(c.size() + b.size());
    std::set_union(c.begin(), c.end(), b.begin(), b.end(), std::back_inserter(out));
    c = std::move(out);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

/// What Anna's SetLattice does: insert every element of b into (a copy of) a.
void set_merge_unordered_set(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  std::vector<std::unordered_set<Key>> as;
  for (const auto& a : in.a) as.emplace_back(a.begin(), a.end());
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    std::unordered_set<Key> c = as[p];
    for (Key x : in.b[p]) c.insert(x);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void set_join_calm(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  const auto as = to_sets<lat::backing::Flat>(in.a), bs = to_sets<lat::backing::Flat>(in.b);
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    auto c = lat::join(as[p], bs[p]);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void set_join_std_set_union(benchmark::State& state) {
  const OverlappingPairs in(static_cast<std::size_t>(state.range(0)));
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    const auto &a = in.a[p], &b = in.b[p];
    std::vector<Key> out;
    out.reserve(a.size() + b.size());
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

#define CALM_SET_MERGE(...) __VA_ARGS__->Arg(1000)->Arg(100000)->Unit(benchmark::kMicrosecond)
CALM_SET_MERGE(BENCHMARK_TEMPLATE(set_merge_calm, lat::backing::Flat)->Name("set_merge/calm_flat"));
CALM_SET_MERGE(BENCHMARK_TEMPLATE(set_merge_calm, lat::backing::Hash)->Name("set_merge/calm_hash"));
CALM_SET_MERGE(BENCHMARK_TEMPLATE(set_merge_calm, lat::backing::Tree)->Name("set_merge/calm_tree"));
CALM_SET_MERGE(BENCHMARK(set_merge_std_set_union)->Name("set_merge/std_set_union"));
CALM_SET_MERGE(BENCHMARK(set_merge_unordered_set)->Name("set_merge/unordered_set"));
CALM_SET_MERGE(BENCHMARK(set_join_calm)->Name("set_join/calm_flat"));
CALM_SET_MERGE(BENCHMARK(set_join_std_set_union)->Name("set_join/std_set_union"));

// ---- 2. build a 1M-element set one element at a time --------------------------------------

constexpr std::size_t build_n = 1 << 20;

/// 1M random keys (distinct with overwhelming probability), fixed seed.
const std::vector<Key>& build_keys() {
  static const std::vector<Key> keys = [] {
    std::mt19937_64 rng(2024);
    std::vector<Key> k(build_n);
    for (Key& x : k) x = rng();
    return k;
  }();
  return keys;
}

/// One singleton delta per key, as a replica receiving single-element deltas would.
template <class Backing>
void set_build_delta(benchmark::State& state) {
  const auto& keys = build_keys();
  for (auto _ : state) {
    Set<Backing> s;
    for (Key x : keys) s.merge(Set<Backing>{x});
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}

template <class Backing>
void set_build_insert(benchmark::State& state) {
  const auto& keys = build_keys();
  for (auto _ : state) {
    Set<Backing> s;
    for (Key x : keys) s.insert(x);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}

/// For reference: the bulk constructor (sort + unique), the way to build a set known up front.
void set_build_bulk_flat(benchmark::State& state) {
  const auto& keys = build_keys();
  for (auto _ : state) {
    Set<lat::backing::Flat> s(keys.begin(), keys.end());
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}

template <class Container>
void set_build_std_insert(benchmark::State& state) {
  const auto& keys = build_keys();
  for (auto _ : state) {
    Container s;
    for (Key x : keys) s.insert(x);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}

// One iteration is a whole 1M-element build (tens of milliseconds to seconds); run with
// --benchmark_repetitions for a median.
#define CALM_SET_BUILD(...) __VA_ARGS__->Iterations(1)->Unit(benchmark::kMillisecond)
CALM_SET_BUILD(
    BENCHMARK_TEMPLATE(set_build_delta, lat::backing::Flat)->Name("set_build/delta_flat"));
CALM_SET_BUILD(
    BENCHMARK_TEMPLATE(set_build_delta, lat::backing::Hash)->Name("set_build/delta_hash"));
CALM_SET_BUILD(
    BENCHMARK_TEMPLATE(set_build_delta, lat::backing::Tree)->Name("set_build/delta_tree"));
CALM_SET_BUILD(
    BENCHMARK_TEMPLATE(set_build_insert, lat::backing::Flat)->Name("set_build/insert_flat"));
CALM_SET_BUILD(
    BENCHMARK_TEMPLATE(set_build_insert, lat::backing::Hash)->Name("set_build/insert_hash"));
CALM_SET_BUILD(
    BENCHMARK_TEMPLATE(set_build_insert, lat::backing::Tree)->Name("set_build/insert_tree"));
CALM_SET_BUILD(BENCHMARK(set_build_bulk_flat)->Name("set_build/bulk_flat"));
CALM_SET_BUILD(BENCHMARK_TEMPLATE(set_build_std_insert, std::unordered_set<Key>)
                   ->Name("set_build/unordered_set_insert"));
CALM_SET_BUILD(
    BENCHMARK_TEMPLATE(set_build_std_insert, std::set<Key>)->Name("set_build/std_set_insert"));

// ---- 3. a small delta into a 100k-element set ----------------------------------------------

constexpr std::size_t small_base_n = 100000;
constexpr std::size_t small_pool_n = 4096;  // new keys merged between two (untimed) resets

/// 100k keys already in the set, and `small_pool_n` new keys cut into deltas of `k`.
struct SmallDeltas {
  std::vector<Key> base;
  std::vector<std::vector<Key>> deltas;  // each sorted
  explicit SmallDeltas(std::size_t k) {
    const auto keys = distinct_keys(small_base_n + small_pool_n, 11);
    base.assign(keys.begin(), keys.begin() + small_base_n);
    std::sort(base.begin(), base.end());
    for (std::size_t i = small_base_n; i + k <= keys.size(); i += k) {
      std::vector<Key> d(keys.begin() + static_cast<std::ptrdiff_t>(i),
                         keys.begin() + static_cast<std::ptrdiff_t>(i + k));
      std::sort(d.begin(), d.end());
      deltas.push_back(std::move(d));
    }
  }
};

/// Runs `merge_one(state_value, delta)` once per iteration over the pool of deltas, resetting
/// `value` to `initial` (untimed) whenever the pool is used up.
template <class Value, class Delta, class MergeOne>
void run_small_deltas(benchmark::State& state, const Value& initial,
                      const std::vector<Delta>& deltas, MergeOne merge_one) {
  Value value = initial;
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == deltas.size()) {
      state.PauseTiming();
      value = initial;
      next = 0;
      state.ResumeTiming();
    }
    merge_one(value, deltas[next++]);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(value);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void set_small_delta_calm(benchmark::State& state) {
  const SmallDeltas in(static_cast<std::size_t>(state.range(0)));
  const Set<lat::backing::Flat> base(in.base.begin(), in.base.end());
  std::vector<Set<lat::backing::Flat>> deltas;
  for (const auto& d : in.deltas) deltas.emplace_back(d.begin(), d.end());
  run_small_deltas(state, base, deltas, [](Set<lat::backing::Flat>& s, const auto& d) {
    benchmark::DoNotOptimize(s.merge(d));
  });
}

/// The obvious sorted-vector code: binary search, then shift the tail.
void set_small_delta_sorted_vector(benchmark::State& state) {
  const SmallDeltas in(static_cast<std::size_t>(state.range(0)));
  run_small_deltas(state, in.base, in.deltas, [](std::vector<Key>& s, const auto& d) {
    for (Key x : d) {
      auto pos = std::lower_bound(s.begin(), s.end(), x);
      if (pos == s.end() || *pos != x) s.insert(pos, x);
    }
  });
}

/// For reference: a linear std::set_union into a fresh vector, what a flat store without a
/// `recent` run would pay for every delta.
void set_small_delta_std_set_union(benchmark::State& state) {
  const SmallDeltas in(static_cast<std::size_t>(state.range(0)));
  run_small_deltas(state, in.base, in.deltas, [](std::vector<Key>& s, const auto& d) {
    std::vector<Key> out;
    out.reserve(s.size() + d.size());
    std::set_union(s.begin(), s.end(), d.begin(), d.end(), std::back_inserter(out));
    s = std::move(out);
  });
}

BENCHMARK(set_small_delta_calm)->Name("set_small_delta/calm_flat")->Arg(1)->Arg(16);
BENCHMARK(set_small_delta_sorted_vector)->Name("set_small_delta/sorted_vector")->Arg(1)->Arg(16);
BENCHMARK(set_small_delta_std_set_union)
    ->Name("set_small_delta/std_set_union")
    ->Arg(1)
    ->Arg(16)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
