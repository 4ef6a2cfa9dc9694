// expect: Cycle::feed\(\): the stream fed back has Dups, .*unique\(\) it before feed\(\)
// A loop's stream type is declared up front; what is fed back may not add Dups to it.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  calm::flow::Graph g;
  auto loop = g.cycle<int, calm::flow::Props<calm::flow::RandomBatch>>();
  std::vector<int> v{1, 2};
  loop.feed(g.source_unordered(v));
  return 0;
}
