// expect: map_lattice\(\) needs a function tagged lattices::morphism\(f\) or
// On a Singleton too, map_lattice() trusts only a function tagged with what it preserves.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{1, 2};
  calm::flow::source_iter(v)
      .lattice_fold<calm::lattices::Max<int>>()
      .map_lattice([](const calm::lattices::Max<int>& m) { return m; })
      .for_each([](auto) {});
  return 0;
}
