// expect: Cycle::feed\(\): the stream fed back has RandomBatch, .*declare it in cycle<T, Props
// A cycle declared with no props cannot take a merge, whose order depends on arrival.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  calm::flow::Graph g;
  auto loop = g.cycle<int, calm::flow::Props<>>();
  loop.feed(g.source_iter(std::vector<int>{1}).merge(loop.stream()).unique());
  return 0;
}
