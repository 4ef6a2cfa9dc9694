// expect: lattice_merge_by_key<L>\(\): each value must convert to L as L\{value\}
// A string does not convert to Max<int>.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::pair<int, std::string>> v{{1, "a"}};
  calm::flow::source_iter(v).lattice_merge_by_key<calm::lattices::Max<int>>().for_each([](auto) {});
  return 0;
}
