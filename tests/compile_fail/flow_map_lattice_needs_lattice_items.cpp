// expect: map_lattice\(\) needs a stream of lattice values
// threshold(18) maps Max<int> to Or: a stream of plain ints must become lattice values first.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> ages{12, 40};
  calm::flow::source_iter(ages).map_lattice(calm::lattices::threshold(18)).for_each([](auto) {});
  return 0;
}
