// Reachability as a flow loop (semi-naive, to a fixpoint within a tick) finds exactly the
// nodes a plain breadth-first search finds, on random graphs, whatever the order and
// duplication of the edges.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cf = calm::flow;
namespace cl = calm::lattices;
using Edge = std::pair<int, int>;

std::set<int> bfs(const std::vector<Edge>& edges, int origin) {
  std::map<int, std::vector<int>> next;
  for (const auto& [from, to] : edges) next[from].push_back(to);
  std::set<int> seen{origin};
  std::deque<int> frontier{origin};
  while (!frontier.empty()) {
    const int v = frontier.front();
    frontier.pop_front();
    for (int to : next[v]) {
      if (seen.insert(to).second) frontier.push_back(to);
    }
  }
  return seen;
}

std::set<int> flow_reach(const std::vector<Edge>& edges, int origin, const cf::Arrival& arrival) {
  cf::Graph g;
  auto loop = g.cycle<int, cf::Props<cf::RandomBatch, cf::Dups>>();
  auto reached = g.source_iter(std::vector<int>{origin}).merge(loop.stream()).unique();
  auto [out, back] = reached.tee();
  loop.feed(back.map([](int v) { return std::pair<int, char>(v, 0); })
                .join(g.source_unordered(edges, arrival))
                .map([](const auto& hit) { return hit.second.second; }));
  auto all = out.lattice_fold<cl::SetUnion<int>>();
  g.run_tick();
  const auto result = all.get();
  return std::set<int>(result.begin(), result.end());
}

RC_GTEST_PROP(FlowReachability, LoopFindsExactlyTheNodesBreadthFirstSearchFinds, ()) {
  const int nodes = *rc::gen::inRange(1, 40);
  const auto edges = *rc::gen::container<std::vector<Edge>>(
      rc::gen::pair(rc::gen::inRange(0, nodes), rc::gen::inRange(0, nodes)));
  const cf::Arrival arrival{.seed = *rc::gen::inRange<std::uint64_t>(0, 1'000'000),
                            .copies_max = *rc::gen::inRange<std::size_t>(1, 3)};
  RC_ASSERT(flow_reach(edges, 0, arrival) == bfs(edges, 0));
}

}  // namespace
