// expect: lattice_reduce\(\) needs a stream of lattice values; lattice_fold<L>\(\) converts
// lattice_reduce() merges the items themselves: plain ints need lattice_fold<Max<int>>().
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{1, 2};
  calm::flow::source_iter(v).lattice_reduce().for_each([](auto) {});
  return 0;
}
