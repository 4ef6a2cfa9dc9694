// expect: lattice_join\(\) needs lattice values on both sides
// An int value has no merge: map it to Max{v} first.
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  using M = calm::lattices::Max<int>;
  std::vector<std::pair<int, M>> a{{1, M{1}}};
  std::vector<std::pair<int, int>> b{{1, 2}};
  calm::flow::source_iter(a).lattice_join(calm::flow::source_iter(b)).for_each([](auto) {});
  return 0;
}
