// expect: group_by\(key\): keys must be totally ordered
// Groups are emitted in key order, so a key without operator< is refused.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

struct Key {
  int id;
};

int main() {
  std::vector<int> v{1, 2};
  calm::flow::source_iter(v)
      .group_by([](int x) { return Key{x}; })
      .lattice_fold<calm::lattices::Max<int>>()
      .for_each([](auto) {});
  return 0;
}
