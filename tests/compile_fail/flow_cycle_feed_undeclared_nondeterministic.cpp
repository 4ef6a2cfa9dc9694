// expect: Cycle::feed\(\): the stream fed back is NonDeterministic, a prop the cycle was not
// Subtracting late-arriving items is NonDeterministic: the cycle must say so to take it.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  calm::flow::Graph g;
  auto loop = g.cycle<int>();
  auto late = g.source_unordered(std::vector<int>{2}).unique();
  loop.feed(g.source_iter(std::vector<int>{1, 2}).difference(late));
  return 0;
}
