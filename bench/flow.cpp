/// flow: what a fused chain and the Graph runtime cost against the loops one would write by
/// hand, in the same binary.
///
/// Goals (docs/benchmarks.md, "Flow (issue 4)"):
///   flow_pipeline        map -> filter -> lattice_fold<Max> over 10M integers: <= 1.2x the loop
///   flow_reachability    a random 1M-edge graph: <= 2x a hand-written semi-naive loop
///
/// Both sides start from the same input vector. The pipeline is rebuilt every iteration
/// (building it is part of its cost); the Graph too, since its state is the fixpoint. The
/// hand-written reachability builds its adjacency table from the edge list every iteration as
/// well, as the flow join builds its table from the edges it is fed.
#include "flow/flow.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lattices/max.hpp"

namespace {

namespace cf = calm::flow;
using calm::lattices::Max;

constexpr std::size_t pipeline_items = 10'000'000;

const std::vector<std::int64_t>& pipeline_input() {
  static const std::vector<std::int64_t> values = [] {
    std::mt19937_64 rng(42);
    std::vector<std::int64_t> v(pipeline_items);
    for (auto& x : v) x = static_cast<std::int64_t>(rng() >> 8);
    return v;
  }();
  return values;
}

// The work of one item: a multiply, and a test that keeps about half of them.
inline std::int64_t scale(std::int64_t x) { return x * 3 + 1; }
inline bool keep(std::int64_t x) { return (x & 2) == 0; }

void flow_pipeline_calm(benchmark::State& state) {
  const auto& values = pipeline_input();
  for (auto _ : state) {
    auto top = cf::source_iter(values)
                   .map([](std::int64_t x) { return scale(x); })
                   .filter([](std::int64_t x) { return keep(x); })
                   .lattice_fold<Max<std::int64_t>>();
    benchmark::DoNotOptimize(top.get());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

void flow_pipeline_loop(benchmark::State& state) {
  const auto& values = pipeline_input();
  for (auto _ : state) {
    Max<std::int64_t> top;
    for (std::int64_t x : values) {
      const std::int64_t y = scale(x);
      if (keep(y)) top.merge(Max<std::int64_t>{y});
    }
    benchmark::DoNotOptimize(top);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

using Edge = std::pair<std::int32_t, std::int32_t>;
constexpr std::int32_t graph_nodes = 250'000;
constexpr std::size_t graph_edges = 1'000'000;

const std::vector<Edge>& graph_input() {
  static const std::vector<Edge> edges = [] {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int32_t> node(0, graph_nodes - 1);
    std::vector<Edge> e(graph_edges);
    for (auto& [from, to] : e) {
      from = node(rng);
      to = node(rng);
    }
    return e;
  }();
  return edges;
}

void flow_reachability_calm(benchmark::State& state) {
  const auto& edges = graph_input();
  std::size_t reached = 0;
  for (auto _ : state) {
    cf::Graph g;
    auto loop = g.cycle<std::int32_t>();
    auto nodes = g.source_iter(std::vector<std::int32_t>{0}).merge(loop.stream()).unique();
    auto [out, back] = nodes.tee();
    loop.feed(back.map([](std::int32_t v) { return std::pair<std::int32_t, char>(v, 0); })
                  .join(g.source_iter(edges))
                  .map([](const auto& hit) { return hit.second.second; }));
    auto count = out.count();
    g.run_tick();
    reached = count.get();
    benchmark::DoNotOptimize(reached);
  }
  state.counters["reached"] = static_cast<double>(reached);
}

void flow_reachability_loop(benchmark::State& state) {
  const auto& edges = graph_input();
  std::size_t reached_count = 0;
  for (auto _ : state) {
    std::unordered_map<std::int32_t, std::vector<std::int32_t>> next;
    for (const auto& [from, to] : edges) next[from].push_back(to);
    std::unordered_set<std::int32_t> reached{0};
    std::vector<std::int32_t> delta{0}, fresh;
    while (!delta.empty()) {
      fresh.clear();
      for (std::int32_t v : delta) {
        auto it = next.find(v);
        if (it == next.end()) continue;
        for (std::int32_t to : it->second) {
          if (reached.insert(to).second) fresh.push_back(to);
        }
      }
      std::swap(delta, fresh);
    }
    reached_count = reached.size();
    benchmark::DoNotOptimize(reached_count);
  }
  state.counters["reached"] = static_cast<double>(reached_count);
}

/// For context, not the goal's baseline: the same semi-naive loop over a compressed sparse
/// row index and a bitmap, the fastest layout for a dense integer graph, which a general
/// join over arbitrary keys cannot assume.
void flow_reachability_loop_csr(benchmark::State& state) {
  const auto& edges = graph_input();
  std::size_t reached_count = 0;
  for (auto _ : state) {
    std::vector<std::uint32_t> first(graph_nodes + 1, 0);
    for (const auto& e : edges) ++first[static_cast<std::size_t>(e.first) + 1];
    for (std::size_t v = 0; v < static_cast<std::size_t>(graph_nodes); ++v)
      first[v + 1] += first[v];
    std::vector<std::int32_t> targets(edges.size());
    std::vector<std::uint32_t> fill(first.begin(), first.end() - 1);
    for (const auto& [from, to] : edges) targets[fill[static_cast<std::size_t>(from)]++] = to;
    std::vector<bool> reached(graph_nodes, false);
    reached[0] = true;
    reached_count = 1;
    std::vector<std::int32_t> delta{0}, fresh;
    while (!delta.empty()) {
      fresh.clear();
      for (std::int32_t v : delta) {
        const auto u = static_cast<std::size_t>(v);
        for (std::uint32_t i = first[u]; i < first[u + 1]; ++i) {
          const auto to = static_cast<std::size_t>(targets[i]);
          if (!reached[to]) {
            reached[to] = true;
            ++reached_count;
            fresh.push_back(targets[i]);
          }
        }
      }
      std::swap(delta, fresh);
    }
    benchmark::DoNotOptimize(reached_count);
  }
  state.counters["reached"] = static_cast<double>(reached_count);
}

}  // namespace

BENCHMARK(flow_pipeline_calm)->Unit(benchmark::kMillisecond);
BENCHMARK(flow_pipeline_loop)->Unit(benchmark::kMillisecond);
BENCHMARK(flow_reachability_calm)->Unit(benchmark::kMillisecond);
BENCHMARK(flow_reachability_loop)->Unit(benchmark::kMillisecond);
BENCHMARK(flow_reachability_loop_csr)->Unit(benchmark::kMillisecond);
