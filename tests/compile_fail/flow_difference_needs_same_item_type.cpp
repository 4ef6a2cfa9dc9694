// expect: difference\(\) needs two streams of the same item type
// Subtracting strings from ints has no meaning: map() one side first.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> a{1, 2};
  std::vector<std::string> b{"1"};
  calm::flow::source_iter(a).difference(calm::flow::source_iter(b)).for_each([](auto) {});
  return 0;
}
