// "No heap allocation per item along a fused chain", measured: this program replaces the global
// operator new and delete with counting versions (tests/support/counting_new.cpp, which is why it
// is an executable of its own) and checks that a chain over 100,000 items allocates exactly as
// often as over 10: a chain allocates when it is built and run, never per item.
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "../support/counting_new.hpp"
#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cf = calm::flow;
namespace cl = calm::lattices;

std::vector<int> numbers(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

// Allocations made while building and running the chain over `input` (made beforehand).
template <class Run>
std::size_t allocations_of(Run run, const std::vector<int>& input) {
  const calm::testing_support::AllocationCount count;
  run(input);
  return count.calls();
}

void standalone_chain(const std::vector<int>& input) {
  long seen = 0;
  auto top = cf::source_iter(input)
                 .map([](int x) { return x * 3; })
                 .filter([](int x) { return x % 2 == 0; })
                 .filter_map([](int x) { return x > 6 ? std::optional<int>(x - 1) : std::nullopt; })
                 .inspect([&](int) { ++seen; })
                 .lattice_fold<cl::Max<int>>()
                 .get();
  long sum = 0;
  cf::source_iter(input).map([](int x) { return x + 1; }).for_each([&](int x) { sum += x; });
  EXPECT_GE(reveal(top), -1);
  EXPECT_GT(sum + seen, 0);
}

// The Graph copies each source's range once (one allocation whatever its size).
void graph_chain(const std::vector<int>& input) {
  cf::Graph g;
  long sum = 0;
  auto top = g.source_iter(input)
                 .map([](int x) { return x * 3; })
                 .filter([](int x) { return x % 2 == 0; })
                 .filter_map([](int x) { return std::optional<int>(x + 1); })
                 .inspect([](int) {})
                 .lattice_fold<cl::Max<int>>();
  g.source_iter(input).map([](int x) { return x + 1; }).for_each([&](int x) { sum += x; });
  g.run_tick();
  EXPECT_GE(reveal(top.get()), 1);
  EXPECT_GT(sum, 0);
}

TEST(FlowAllocations, AFusedChainAllocatesPerPipelineNotPerItem) {
  const auto few = numbers(10);
  const auto many = numbers(100'000);
  const std::size_t for_few = allocations_of(standalone_chain, few);
  EXPECT_GT(for_few, 0u) << "building a chain allocates its plan: is the counter live?";
  EXPECT_EQ(allocations_of(standalone_chain, many), for_few);
}

TEST(FlowAllocations, AGraphsFusedSubgraphsAllocatePerGraphNotPerItem) {
  const auto few = numbers(10);
  const auto many = numbers(100'000);
  const std::size_t for_few = allocations_of(graph_chain, few);
  EXPECT_GT(for_few, 0u);
  EXPECT_EQ(allocations_of(graph_chain, many), for_few);
}

TEST(FlowAllocations, TheCounterSeesAChainThatAllocatesPerItem) {
  auto boxed = [](const std::vector<int>& input) {
    cf::source_iter(input)
        .flat_map([](int x) {
          std::vector<int> one{x};
          calm::testing_support::keep(one.data());  // or clang elides the allocation
          return one;
        })
        .for_each([](int) {});
  };
  const auto few = numbers(10);
  const auto many = numbers(1'000);
  EXPECT_GE(allocations_of(boxed, many), allocations_of(boxed, few) + 990);
}

}  // namespace
