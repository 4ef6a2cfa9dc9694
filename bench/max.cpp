/// Max<T>: folding values into an accumulator with merge, against a plain std::max loop.
///
/// Goal (docs/benchmarks.md): calm / baseline <= 1.1 for Max<int64_t>.
///
/// Both sides fold the same random values, in the same order, from a vector of the same size
/// (Max<T> is exactly one T). The accumulator is reset every iteration and handed to
/// DoNotOptimize after the fold: its "memory" clobber means the compiler may neither drop the
/// fold nor hoist it out of the timing loop, while the fold itself stays in registers, so
/// neither side pays for a store per element.
#include "lattices/max.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

namespace {

using calm::lattices::Max;

template <class T>
std::vector<T> random_values(std::size_t n) {
  std::mt19937_64 rng(42);
  std::vector<T> values(n);
  for (T& v : values) {
    if constexpr (std::is_floating_point_v<T>) {
      v = std::uniform_real_distribution<T>(-1e9, 1e9)(rng);
    } else {
      v = static_cast<T>(rng());
    }
  }
  return values;
}

/// calm: merge over a vector of lattice values.
template <class T>
void max_fold_calm(benchmark::State& state) {
  const auto raw = random_values<T>(static_cast<std::size_t>(state.range(0)));
  std::vector<Max<T>> values;
  values.reserve(raw.size());
  for (T v : raw) values.emplace_back(v);
  for (auto _ : state) {
    Max<T> acc;
    for (const Max<T>& v : values) calm::lattices::merge(acc, v);
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// calm: merge(acc, Max<T>{v}) over plain values, paying for the constructor (which, for
/// floating point, rejects NaN).
template <class T>
void max_fold_calm_wrap(benchmark::State& state) {
  const auto values = random_values<T>(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    Max<T> acc;
    for (T v : values) calm::lattices::merge(acc, Max<T>{v});
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// Baseline: acc = std::max(acc, v), from the same bottom.
template <class T>
void max_fold_std_max(benchmark::State& state) {
  const auto values = random_values<T>(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    T acc = Max<T>{}.reveal();
    for (T v : values) acc = std::max(acc, v);
    benchmark::DoNotOptimize(acc);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// 4096 values (32 KiB) stay in L1/L2; 1M values (8 MiB) stream from memory.
#define CALM_MAX_BENCH(fn, T, name) BENCHMARK_TEMPLATE(fn, T)->Name(name)->Arg(4096)->Arg(1 << 20)

CALM_MAX_BENCH(max_fold_calm, std::int64_t, "max_fold/int64/calm");
CALM_MAX_BENCH(max_fold_calm_wrap, std::int64_t, "max_fold/int64/calm_wrap");
CALM_MAX_BENCH(max_fold_std_max, std::int64_t, "max_fold/int64/std_max");
CALM_MAX_BENCH(max_fold_calm, double, "max_fold/double/calm");
CALM_MAX_BENCH(max_fold_calm_wrap, double, "max_fold/double/calm_wrap");
CALM_MAX_BENCH(max_fold_std_max, double, "max_fold/double/std_max");

}  // namespace
