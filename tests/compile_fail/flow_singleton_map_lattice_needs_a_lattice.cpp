// expect: map_lattice\(\) needs a lattice value
// count() yields a plain size_t, not a lattice: map() it, or lattice_fold() instead.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{1, 2};
  calm::flow::source_iter(v).count().map_lattice(calm::lattices::threshold(1)).for_each([](auto) {
  });
  return 0;
}
