// expect: map_lattice\(\) over a Stream with a function that is monotone but not a morphism
// size is monotone, not a morphism: applied to each delta it depends on the batching.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<calm::lattices::SetUnion<int>> v{{1}, {2}};
  calm::flow::source_unordered(v).map_lattice(calm::lattices::size).for_each([](auto) {});
  return 0;
}
