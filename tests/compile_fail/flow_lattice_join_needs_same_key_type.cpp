// expect: lattice_join\(\) needs the same key type K on both sides
// An int key never equals a string key.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  using M = calm::lattices::Max<int>;
  std::vector<std::pair<int, M>> a{{1, M{1}}};
  std::vector<std::pair<std::string, M>> b{{"1", M{1}}};
  calm::flow::source_iter(a).lattice_join(calm::flow::source_iter(b)).for_each([](auto) {});
  return 0;
}
