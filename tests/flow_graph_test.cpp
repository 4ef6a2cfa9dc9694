// flow's Graph runtime: ticks, lifetimes, strata, cycles to a fixpoint, channels, explain().
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cf = calm::flow;
namespace cl = calm::lattices;
using cf::Lifetime;
using Edge = std::pair<int, int>;

TEST(FlowGraph, SourceIterEmitsOnlyInTheFirstTick) {
  cf::Graph g;
  std::vector<int> seen;
  g.source_iter(std::vector<int>{1, 2}).for_each([&](int x) { seen.push_back(x); });
  g.run_tick();
  g.run_tick();
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
  EXPECT_EQ(g.tick(), 2u);
}

TEST(FlowGraph, AChannelDeliversWhatWasSentBeforeEachTick) {
  cf::Graph g;
  auto input = g.channel<int>();
  std::vector<std::pair<std::uint64_t, int>> seen;
  input.stream().for_each([&](int x) { seen.emplace_back(g.tick(), x); });
  input.send(1);
  input.send_all(std::vector<int>{2, 3});
  EXPECT_EQ(input.pending(), 3u);
  g.run_tick();
  input.send(4);
  g.run_tick();
  g.run_tick();
  using Seen = std::vector<std::pair<std::uint64_t, int>>;
  EXPECT_EQ(seen, (Seen{{1, 1}, {1, 2}, {1, 3}, {2, 4}}));
}

TEST(FlowGraph, TickStateStartsOverEachTickAndPersistentStateIsKept) {
  cf::Graph g;
  auto input = g.channel<int>();
  auto [a, b] = input.stream().tee();
  auto per_tick = a.lattice_fold<cl::Max<int>>(Lifetime::tick);
  auto ever = b.lattice_fold<cl::Max<int>>(Lifetime::persistent);
  input.send(7);
  g.run_tick();
  input.send(3);
  g.run_tick();
  EXPECT_EQ(per_tick.get(), cl::Max<int>{3});
  EXPECT_EQ(ever.get(), cl::Max<int>{7});
}

TEST(FlowGraph, UniquePerTickLetsAnItemAgainNextTickAndPersistentUniqueDoesNot) {
  cf::Graph g;
  auto input = g.channel<int>();
  auto [a, b] = input.stream().tee();
  int per_tick = 0, ever = 0;
  a.unique(Lifetime::tick).for_each([&](int) { ++per_tick; });
  b.unique(Lifetime::persistent).for_each([&](int) { ++ever; });
  input.send_all(std::vector<int>{5, 5});
  g.run_tick();
  input.send(5);
  g.run_tick();
  EXPECT_EQ(per_tick, 2);
  EXPECT_EQ(ever, 1);
}

TEST(FlowGraph, AJoinWithAPersistentSideMatchesItemsOfEarlierTicks) {
  cf::Graph g;
  auto puts = g.channel<std::pair<int, std::string>>();
  auto gets = g.channel<std::pair<int, int>>();
  std::vector<std::string> answers;
  gets.stream()
      .join(puts.stream(), Lifetime::tick, Lifetime::persistent)
      .for_each([&](const auto& kv) { answers.push_back(kv.second.second); });
  puts.send({1, "one"});
  g.run_tick();
  gets.send({1, 100});
  g.run_tick();
  gets.send({1, 101});
  g.run_tick();
  EXPECT_EQ(answers, (std::vector<std::string>{"one", "one"}));
}

TEST(FlowGraph, ATickJoinForgetsTheOtherSideAtTheNextTick) {
  cf::Graph g;
  auto left = g.channel<std::pair<int, int>>();
  auto right = g.channel<std::pair<int, int>>();
  int matches = 0;
  left.stream().join(right.stream()).for_each([&](const auto&) { ++matches; });
  right.send({1, 1});
  g.run_tick();
  left.send({1, 2});
  g.run_tick();
  EXPECT_EQ(matches, 0);
}

// Reachability from node 0: the loop of the Hydroflow talk.
struct Reachability {
  cf::Graph g;
  std::vector<int> reached;
  std::size_t join_outputs = 0;

  explicit Reachability(const std::vector<Edge>& edges) {
    auto loop = g.cycle<int>("reached");
    auto nodes = g.source_iter(std::vector<int>{0}).merge(loop.stream()).unique();
    auto [out, back] = nodes.tee();
    out.for_each([this](int v) { reached.push_back(v); });
    loop.feed(back.map([](int v) { return std::pair<int, char>(v, 0); })
                  .join(g.source_iter(edges))
                  .inspect([this](const auto&) { ++join_outputs; })
                  .map([](const auto& hit) { return hit.second.second; }));
  }
};

TEST(FlowGraph, ACycleIteratesToAFixpointWithinOneTick) {
  Reachability r({{0, 1}, {1, 2}, {2, 0}, {2, 3}, {4, 5}});
  r.g.run_tick();
  std::sort(r.reached.begin(), r.reached.end());
  EXPECT_EQ(r.reached, (std::vector<int>{0, 1, 2, 3}));
}

TEST(FlowGraph, TheLoopJoinIsSemiNaiveEachEdgeFromAReachedNodeIsMatchedOnce) {
  // 0 -> 1 -> 2 -> 3, plus shortcuts: a naive re-evaluation would match early edges again in
  // every round; semi-naive matches each edge whose source is reached exactly once.
  Reachability r({{0, 1}, {1, 2}, {2, 3}, {0, 2}, {0, 3}, {1, 3}, {3, 0}});
  r.g.run_tick();
  EXPECT_EQ(r.reached.size(), 4u);
  EXPECT_EQ(r.join_outputs, 7u);
}

// Single-source shortest paths: distances are Min lattices, and lattice_merge_by_key passes
// on only the distances that shrank.
using Distance = cl::Min<std::uint64_t>;
using NodeDistance = std::pair<int, Distance>;
using WeightedEdge = std::pair<int, std::pair<int, std::uint64_t>>;

struct ShortestPaths {
  cf::Graph g;
  std::map<int, std::uint64_t> distances;
  std::map<int, std::vector<std::uint64_t>> improvements;  // each node's emitted distances
  std::size_t merged = 0;                                  // items into lattice_merge_by_key
  std::size_t join_outputs = 0;                            // edge relaxations

  explicit ShortestPaths(const std::vector<WeightedEdge>& edges) {
    g.set_fixpoint_passes_max(50);  // these loops settle in fewer; one that never does fails fast
    auto loop = g.cycle<NodeDistance, cf::Props<cf::RandomBatch, cf::NonDeterministic>>();
    auto improved = g.source_iter(std::vector<NodeDistance>{{0, Distance{0}}})
                        .merge(loop.stream())
                        .inspect([this](const auto&) { ++merged; })
                        .lattice_merge_by_key();
    auto [out, back] = improved.tee();
    out.for_each([this](const NodeDistance& nd) {
      improvements[nd.first].push_back(reveal(nd.second));
      distances[nd.first] = reveal(nd.second);
    });
    loop.feed(back.join(g.source_iter(edges))
                  .inspect([this](const auto&) { ++join_outputs; })
                  .map([](const auto& hit) {
                    const auto& [distance, edge] = hit.second;
                    return NodeDistance(edge.first, Distance{reveal(distance) + edge.second});
                  }));
  }
};

TEST(FlowGraph, ALatticeLoopReachesTheShortestDistancesWithinOneTick) {
  ShortestPaths sp({{0, {1, 10}}, {0, {2, 1}}, {2, {1, 1}}, {1, {3, 1}}, {3, {0, 1}}, {4, {0, 1}}});
  sp.g.run_tick();
  EXPECT_EQ(sp.distances, (std::map<int, std::uint64_t>{{0, 0}, {1, 2}, {2, 1}, {3, 3}}));
  for (const auto& [node, steps] : sp.improvements) {
    EXPECT_TRUE(std::is_sorted(steps.rbegin(), steps.rend(), std::less_equal<>{}))
        << "node " << node << " emitted a distance that did not shrink";
  }
}

TEST(FlowGraph, TheLatticeLoopIsSemiNaiveOnlyImprovedNodesRelaxTheirEdges) {
  // Every i -> j (i < j) with weight 1: node 0 improves every node in the first round; the
  // second round's candidates (distance 2) improve nothing, so nothing more is emitted. Each
  // edge is relaxed once: a naive round would relax all of them again.
  const int nodes = 30;
  std::vector<WeightedEdge> edges;
  for (int i = 0; i < nodes; ++i) {
    for (int j = i + 1; j < nodes; ++j) edges.push_back({i, {j, 1}});
  }
  ShortestPaths sp(edges);
  sp.g.run_tick();
  EXPECT_EQ(sp.join_outputs, edges.size());
  EXPECT_EQ(sp.merged, 1 + edges.size());
  std::size_t emitted = 0;
  for (const auto& [node, steps] : sp.improvements) emitted += steps.size();
  EXPECT_EQ(emitted, static_cast<std::size_t>(nodes));
}

TEST(FlowGraph, EveryRelaxationInTheLatticeLoopFollowsAnImprovement) {
  // Shortcuts that are found first and then beaten: a node may improve several times, and
  // each improvement, and nothing else, relaxes the node's out-edges once.
  std::vector<WeightedEdge> edges;
  for (int i = 0; i < 12; ++i) {
    edges.push_back({i, {i + 1, 1}});
    edges.push_back({0, {i + 1, 100 - static_cast<std::uint64_t>(i)}});
  }
  ShortestPaths sp(edges);
  sp.g.run_tick();
  std::map<int, std::size_t> out_degree;
  for (const auto& e : edges) ++out_degree[e.first];
  std::size_t expected = 0;
  for (const auto& [node, steps] : sp.improvements) expected += steps.size() * out_degree[node];
  EXPECT_EQ(sp.join_outputs, expected);
  std::size_t emitted = 0;
  for (const auto& [node, steps] : sp.improvements) emitted += steps.size();
  EXPECT_GT(emitted, sp.improvements.size()) << "no node improved twice: a weak test";
  EXPECT_GT(sp.merged, emitted) << "every candidate grew: nothing was held back";
  for (int i = 0; i <= 12; ++i) EXPECT_EQ(sp.distances[i], static_cast<std::uint64_t>(i));
}

TEST(FlowGraph, LatticeMergeByKeyPerTickStartsOverAndPersistentKeepsItsState) {
  cf::Graph g;
  auto input = g.channel<std::pair<int, cl::Max<int>>>();
  auto [a, b] = input.stream().tee();
  std::vector<int> per_tick, ever;
  a.lattice_merge_by_key(Lifetime::tick).for_each([&](const auto& kv) {
    per_tick.push_back(reveal(kv.second));
  });
  b.lattice_merge_by_key(Lifetime::persistent).for_each([&](const auto& kv) {
    ever.push_back(reveal(kv.second));
  });
  input.send({1, cl::Max<int>{5}});
  g.run_tick();
  input.send({1, cl::Max<int>{3}});
  g.run_tick();
  input.send({1, cl::Max<int>{6}});
  g.run_tick();
  EXPECT_EQ(per_tick, (std::vector<int>{5, 3, 6}));
  EXPECT_EQ(ever, (std::vector<int>{5, 6}));
}

TEST(FlowGraph, LatticeJoinEmitsWhenEitherSideGrowsAcrossTicks) {
  cf::Graph g;
  auto left = g.channel<std::pair<int, cl::Max<int>>>();
  auto right = g.channel<std::pair<int, cl::Max<int>>>();
  std::vector<std::pair<int, int>> seen;
  left.stream()
      .lattice_join(right.stream(), Lifetime::persistent, Lifetime::persistent)
      .for_each([&](const auto& kv) {
        seen.emplace_back(reveal(kv.second.first), reveal(kv.second.second));
      });
  left.send({1, cl::Max<int>{1}});
  g.run_tick();  // no right side yet: nothing
  right.send({1, cl::Max<int>{10}});
  g.run_tick();  // the right side grew
  left.send({1, cl::Max<int>{2}});
  left.send({1, cl::Max<int>{2}});
  g.run_tick();  // the left side grew, once
  right.send({1, cl::Max<int>{9}});
  g.run_tick();  // no growth: nothing
  EXPECT_EQ(seen, (std::vector<std::pair<int, int>>{{1, 10}, {2, 10}}));
}

TEST(FlowGraph, ATickLatticeJoinForgetsItsStateAtTheNextTick) {
  cf::Graph g;
  auto left = g.channel<std::pair<int, cl::Max<int>>>();
  auto right = g.channel<std::pair<int, cl::Max<int>>>();
  int matches = 0;
  left.stream().lattice_join(right.stream()).for_each([&](const auto&) { ++matches; });
  right.send({1, cl::Max<int>{1}});
  g.run_tick();
  left.send({1, cl::Max<int>{2}});
  g.run_tick();
  EXPECT_EQ(matches, 0);
}

TEST(FlowGraph, ExplainShowsTheLatticeOperatorsOfALoopWithTheirProps) {
  ShortestPaths sp({{0, {1, 1}}});
  const std::string text = sp.g.explain();
  EXPECT_NE(text.find("lattice_merge_by_key [tick] <- #"), std::string::npos) << text;
  EXPECT_NE(text.find("-> {RandomBatch, NonDeterministic}"), std::string::npos) << text;
  EXPECT_NE(text.find("(cycle)"), std::string::npos) << text;
}

TEST(FlowGraph, ABlockingOperatorSeesTheCompleteOutputOfAnEarlierStratumsFixpoint) {
  // The nodes that are NOT reachable: difference() must wait for the loop's fixpoint.
  cf::Graph g;
  std::vector<Edge> edges{{0, 1}, {1, 2}, {3, 4}};
  auto loop = g.cycle<int>();
  auto nodes = g.source_iter(std::vector<int>{0}).merge(loop.stream()).unique();
  auto [reached, back] = nodes.tee();
  loop.feed(back.map([](int v) { return std::pair<int, char>(v, 0); })
                .join(g.source_iter(edges))
                .map([](const auto& hit) { return hit.second.second; }));
  std::vector<int> unreachable;
  g.source_iter(std::vector<int>{0, 1, 2, 3, 4}).difference(reached).for_each([&](int v) {
    unreachable.push_back(v);
  });
  g.run_tick();
  EXPECT_EQ(unreachable, (std::vector<int>{3, 4}));
  EXPECT_NE(g.explain().find("(stratum 1): for_each"), std::string::npos) << g.explain();
}

TEST(FlowGraph, ACycleDeclaredNonDeterministicTakesADifferenceFedBack) {
  // The subtracted side comes from outside the loop, so it is filled in an earlier stratum.
  cf::Graph g;
  auto loop = g.cycle<int, cf::Props<cf::RandomBatch, cf::NonDeterministic>>();
  auto nodes = g.source_iter(std::vector<int>{0}).merge(loop.stream()).unique();
  auto [out, back] = nodes.tee();
  std::vector<int> reached;
  out.for_each([&](int v) { reached.push_back(v); });
  auto blocked = g.source_unordered(std::vector<int>{3}).unique();
  loop.feed(back.map([](int v) { return v + 1; })
                .filter([](int v) { return v < 6; })
                .difference(blocked));
  g.run_tick();
  std::sort(reached.begin(), reached.end());
  EXPECT_EQ(reached, (std::vector<int>{0, 1, 2}));
}

TEST(FlowGraph, ACycleThroughABlockingOperatorIsRejected) {
  cf::Graph g;
  auto loop = g.cycle<int, cf::Props<>>();
  auto sorted = g.source_iter(std::vector<int>{1}).merge(loop.stream()).sort().unique();
  auto [out, back] = sorted.tee();
  out.for_each([](int) {});
  loop.feed(back.filter([](int v) { return v < 0; }));
  EXPECT_THROW(g.run_tick(), std::logic_error);
}

TEST(FlowGraph, ALoopThatNeverStopsProducingHitsThePassBound) {
  cf::Graph g;
  g.set_fixpoint_passes_max(100);
  auto loop = g.cycle<int>();
  loop.feed(
      g.source_iter(std::vector<int>{0}).merge(loop.stream()).map([](int v) { return v + 1; }));
  EXPECT_THROW(g.run_tick(), std::runtime_error);
}

TEST(FlowGraph, AStreamInAGraphHasOneConsumerAndTeeMakesMore) {
  cf::Graph g;
  auto s = g.source_iter(std::vector<int>{1});
  s.for_each([](int) {});
  EXPECT_THROW(s.for_each([](int) {}), std::logic_error);
}

TEST(FlowGraph, AStandaloneStreamCannotJoinAGraphsStream) {
  cf::Graph g;
  auto inside = g.source_iter(std::vector<int>{1});
  EXPECT_THROW((void)inside.merge(cf::source_iter(std::vector<int>{2})), std::logic_error);
}

TEST(FlowGraph, SourceUnorderedSpreadsItsBatchesOverTicks) {
  cf::Graph g;
  std::vector<int> values(100);
  for (int i = 0; i < 100; ++i) values[static_cast<std::size_t>(i)] = i;
  auto top = g.source_unordered(values, {.seed = 9, .copies_max = 2, .batches = 5})
                 .lattice_fold<cl::Max<int>>(Lifetime::persistent);
  EXPECT_EQ(g.run_until_idle(), 5u);
  EXPECT_EQ(top.get(), cl::Max<int>{99});
}

TEST(FlowGraph, ASingletonsForEachRunsOnceEachTickWithTheCompleteValue) {
  cf::Graph g;
  auto input = g.channel<int>();
  std::vector<std::size_t> counts;
  input.stream().unique().count().for_each([&](std::size_t n) { counts.push_back(n); });
  input.send_all(std::vector<int>{1, 2, 2, 3});
  g.run_tick();
  input.send(9);
  g.run_tick();
  EXPECT_EQ(counts, (std::vector<std::size_t>{3, 1}));
}

TEST(FlowGraph, SortInAGraphEmitsTheTicksItemsInOrder) {
  cf::Graph g;
  auto input = g.channel<int>();
  std::vector<int> seen;
  input.stream().sort().for_each([&](int x) { seen.push_back(x); });
  input.send_all(std::vector<int>{3, 1, 2});
  g.run_tick();
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(FlowGraph, ExplainListsOperatorsSubgraphsStrataAndReasons) {
  cf::Graph g;
  auto input = g.channel<int>("requests");
  input.stream()
      .fold(0, [](int a, int x) { return a + x; })
      .assume_deterministic("a sum does not depend on the order")
      .for_each([](int) {});
  const std::string text = g.explain();
  EXPECT_NE(text.find("channel [requests] -> {RandomBatch, Dups}"), std::string::npos) << text;
  EXPECT_NE(text.find("\"a sum does not depend on the order\""), std::string::npos) << text;
  EXPECT_NE(text.find("(stratum 1): for_each"), std::string::npos) << text;
  EXPECT_NE(g.explain(cf::Format::mermaid).find("flowchart TD"), std::string::npos);
  EXPECT_NE(g.explain(cf::Format::dot).find("digraph flow"), std::string::npos);
}

}  // namespace
