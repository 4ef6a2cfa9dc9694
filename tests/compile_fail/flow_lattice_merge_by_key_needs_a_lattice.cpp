// expect: lattice_merge_by_key<L>\(\): L, by default the value type, must be a calm
// An int value is not a lattice: without an L to convert it to, there is no merge.
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::pair<int, int>> v{{1, 2}};
  calm::flow::source_iter(v).lattice_merge_by_key().for_each([](auto) {});
  return 0;
}
