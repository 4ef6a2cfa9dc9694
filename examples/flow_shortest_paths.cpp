// Single-source shortest paths as a lattice fixpoint: each node's distance is a Min<uint64_t>,
// and a loop relaxes edges until no distance shrinks (grows, in Min's order).
//
//   origin ──► merge ──► lattice_merge_by_key ──► tee ──► distances (out)
//                ▲                                 │
//                └── map(to, d + w) ◄── join(edges) ◄┘
//
// lattice_merge_by_key passes on a node's distance only when it improved, so each round
// relaxes only the out-edges of nodes that improved in the previous round (semi-naive
// evaluation, as Bellman-Ford with a work list), and the loop stops inside one tick when
// nothing improves. The answer is checked against Dijkstra's algorithm.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <queue>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace cf = calm::flow;
namespace cl = calm::lattices;
using Distance = cl::Min<std::uint64_t>;
using NodeDistance = std::pair<int, Distance>;
using Edge = std::pair<int, std::pair<int, std::uint64_t>>;  // (from, (to, weight))

std::map<int, std::uint64_t> dijkstra(const std::vector<Edge>& edges, int origin) {
  std::map<int, std::vector<std::pair<int, std::uint64_t>>> next;
  for (const auto& [from, to_weight] : edges) next[from].push_back(to_weight);
  std::map<int, std::uint64_t> done;
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

int main() {
  const std::vector<Edge> edges{{0, {1, 7}},  {0, {2, 9}},  {0, {5, 14}}, {1, {2, 10}},
                                {1, {3, 15}}, {2, {3, 11}}, {2, {5, 2}},  {3, {4, 6}},
                                {5, {4, 9}},  {4, {0, 1}},  {6, {4, 1}}};
  const int origin = 0;

  cf::Graph g;
  // The loop carries growth steps, whose values depend on arrival: NonDeterministic.
  auto loop =
      g.cycle<NodeDistance, cf::Props<cf::RandomBatch, cf::NonDeterministic>>("shorter distances");
  auto improved = g.source_iter(std::vector<NodeDistance>{{origin, Distance{0}}})
                      .merge(loop.stream())
                      .lattice_merge_by_key();
  auto [out, back] = improved.tee();
  loop.feed(back.join(g.source_iter(edges)).map([](const auto& hit) {
    const auto& [distance, edge] = hit.second;
    return NodeDistance(edge.first, Distance{reveal(distance) + edge.second});
  }));

  std::map<int, std::uint64_t> distances;
  out.group_by([](const NodeDistance& nd) { return nd.first; },
               [](const NodeDistance& nd) { return nd.second; })
      .lattice_fold<Distance>()
      .assume_deterministic(
          "a node's distance is the Min of its growth steps, read after the loop's fixpoint")
      .for_each([&](const auto& nd) { distances[nd.first] = reveal(nd.second); });

  g.run_tick();

  std::printf("shortest distances from %d:\n", origin);
  for (const auto& [node, d] : distances) std::printf("  %d: %" PRIu64 "\n", node, d);
  std::printf("\n%s", g.explain().c_str());
  const bool ok = distances == dijkstra(edges, origin);
  std::printf("\nmatches Dijkstra: %s\n", ok ? "yes" : "NO");
  return ok ? 0 : 1;
}
