// expect: group_by\(\)\.lattice_fold<L>\(\): L must be a calm::lattices::Lattice
// int has no merge: a keyed lattice_fold<int>() is refused, as the unkeyed one is.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{1, 2};
  calm::flow::source_iter(v)
      .group_by([](int x) { return x % 2; })
      .lattice_fold<int>()
      .for_each([](auto) {});
  return 0;
}
