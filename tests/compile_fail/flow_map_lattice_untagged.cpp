// expect: map_lattice\(\) needs a function tagged lattices::morphism\(f\) or
// map_lattice() trusts only a function tagged with what it preserves.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<calm::lattices::Max<int>> v{calm::lattices::Max<int>{1}};
  calm::flow::source_iter(v)
      .map_lattice([](const calm::lattices::Max<int>& m) { return m; })
      .for_each([](auto) {});
  return 0;
}
