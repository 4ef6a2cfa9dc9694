// Graph reachability as a flow loop, the example of the Hydroflow talk:
//
//   origin ──► merge ──► unique ──► tee ──► reached (out)
//                ▲                   │
//                └─ map(dst) ◄─ join(edges) ◄─ map(v, _)
//
// The loop runs to a fixpoint inside one tick. unique() keeps only new nodes, so each round
// joins only what the previous round discovered (semi-naive evaluation). The answer is checked
// against a plain breadth-first search.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <set>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace cf = calm::flow;
namespace cl = calm::lattices;
using Edge = std::pair<int, int>;

std::set<int> bfs(const std::vector<Edge>& edges, int origin) {
  std::set<int> seen{origin};
  std::deque<int> frontier{origin};
  while (!frontier.empty()) {
    const int v = frontier.front();
    frontier.pop_front();
    for (const auto& [from, to] : edges) {
      if (from == v && seen.insert(to).second) frontier.push_back(to);
    }
  }
  return seen;
}

int main() {
  const std::vector<Edge> edges{{0, 1}, {1, 2}, {2, 0}, {2, 3}, {3, 4}, {5, 6}, {6, 5}, {4, 2}};

  cf::Graph g;
  auto loop = g.cycle<int>("new nodes");
  auto reached = g.source_iter(std::vector<int>{0}).merge(loop.stream()).unique();
  auto [out, back] = reached.tee();
  loop.feed(back.map([](int v) { return std::pair<int, char>(v, 0); })
                .join(g.source_iter(edges))
                .map([](const auto& hit) { return hit.second.second; }));
  // The loop's stream has RandomBatch; a lattice fold of it is deterministic anyway.
  auto all = out.lattice_fold<cl::SetUnion<int>>();
  static_assert(cf::is_deterministic_v<decltype(all)>);

  g.run_tick();
  const cl::SetUnion<int> result = all.get();
  const std::set<int> expected = bfs(edges, 0);

  std::printf("reachable from 0:");
  for (int v : result) std::printf(" %d", v);
  std::printf("\n\n%s", g.explain().c_str());
  const bool ok = std::set<int>(result.begin(), result.end()) == expected;
  std::printf("\nmatches breadth-first search: %s\n", ok ? "yes" : "NO");
  return ok ? 0 : 1;
}
