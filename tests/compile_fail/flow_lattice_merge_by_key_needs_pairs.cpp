// expect: lattice_merge_by_key\(\) needs a stream of std::pair<K, V>
// lattice_merge_by_key() keeps a lattice per key: the items must be (key, value) pairs.
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{1, 2};
  calm::flow::source_iter(v).lattice_merge_by_key<calm::lattices::Max<int>>().for_each([](auto) {});
  return 0;
}
