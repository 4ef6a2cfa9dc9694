// expect: lattice_join\(\) needs two streams of std::pair<K, lattice>
// lattice_join() matches keys: both sides must be (key, lattice) pairs.
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<calm::lattices::Max<int>> a{calm::lattices::Max<int>{1}};
  calm::flow::source_iter(a).lattice_join(calm::flow::source_iter(a)).for_each([](auto) {});
  return 0;
}
