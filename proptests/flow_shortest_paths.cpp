// Shortest paths as a flow lattice loop (lattice_merge_by_key over Min distances, semi-naive,
// to a fixpoint within a tick) find exactly the distances Dijkstra's algorithm finds, on random
// weighted graphs, whatever the order and duplication of the edges.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cf = calm::flow;
namespace cl = calm::lattices;
using Distance = cl::Min<std::uint64_t>;
using NodeDistance = std::pair<int, Distance>;
using WeightedEdge = std::pair<int, std::pair<int, std::uint64_t>>;  // (from, (to, weight))
using Distances = std::map<int, std::uint64_t>;

Distances dijkstra(const std::vector<WeightedEdge>& edges, int origin) {
  std::map<int, std::vector<std::pair<int, std::uint64_t>>> next;
  for (const auto& [from, to_weight] : edges) next[from].push_back(to_weight);
  Distances done;
  using Entry = std::pair<std::uint64_t, int>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> frontier;
  frontier.emplace(0, origin);
  while (!frontier.empty()) {
    const auto [d, v] = frontier.top();
    frontier.pop();
    if (!done.emplace(v, d).second) continue;
    for (const auto& [to, w] : next[v]) {
      if (!done.count(to)) frontier.emplace(d + w, to);
    }
  }
  return done;
}

Distances flow_shortest_paths(const std::vector<WeightedEdge>& edges, int origin,
                              const cf::Arrival& arrival) {
  cf::Graph g;
  auto loop = g.cycle<NodeDistance, cf::Props<cf::RandomBatch, cf::Dups, cf::NonDeterministic>>();
  auto improved = g.source_iter(std::vector<NodeDistance>{{origin, Distance{0}}})
                      .merge(loop.stream())
                      .lattice_merge_by_key();
  auto [out, back] = improved.tee();
  loop.feed(back.join(g.source_unordered(edges, arrival)).map([](const auto& hit) {
    const auto& [distance, edge] = hit.second;
    return NodeDistance(edge.first, Distance{reveal(distance) + edge.second});
  }));
  Distances result;
  out.group_by([](const NodeDistance& nd) { return nd.first; },
               [](const NodeDistance& nd) { return nd.second; })
      .lattice_fold<Distance>()
      .assume_deterministic("the Min of each node's growth steps, after the fixpoint")
      .for_each([&](const auto& nd) { result[nd.first] = reveal(nd.second); });
  g.run_tick();
  return result;
}

RC_GTEST_PROP(FlowShortestPaths, LatticeLoopFindsExactlyTheDistancesDijkstraFinds, ()) {
  const int nodes = *rc::gen::inRange(1, 30);
  const auto edges = *rc::gen::container<std::vector<WeightedEdge>>(rc::gen::pair(
      rc::gen::inRange(0, nodes),
      rc::gen::pair(rc::gen::inRange(0, nodes), rc::gen::inRange<std::uint64_t>(0, 100))));
  const cf::Arrival arrival{.seed = *rc::gen::inRange<std::uint64_t>(0, 1'000'000),
                            .copies_max = *rc::gen::inRange<std::size_t>(1, 3)};
  RC_ASSERT(flow_shortest_paths(edges, 0, arrival) == dijkstra(edges, 0));
}

RC_GTEST_PROP(FlowShortestPaths, ShuffledAndDuplicatedEdgesGiveTheSameDistances, ()) {
  const int nodes = *rc::gen::inRange(1, 30);
  const auto edges = *rc::gen::container<std::vector<WeightedEdge>>(rc::gen::pair(
      rc::gen::inRange(0, nodes),
      rc::gen::pair(rc::gen::inRange(0, nodes), rc::gen::inRange<std::uint64_t>(0, 100))));
  const auto in_order = flow_shortest_paths(edges, 0, {});
  const cf::Arrival shuffled{.seed = *rc::gen::inRange<std::uint64_t>(1, 1'000'000),
                             .copies_max = *rc::gen::inRange<std::size_t>(2, 4)};
  RC_ASSERT(flow_shortest_paths(edges, 0, shuffled) == in_order);
}

}  // namespace
