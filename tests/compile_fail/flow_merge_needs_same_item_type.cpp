// expect: merge\(\) / union_\(\) needs two streams of the same item type
// A union of ints and strings has no item type.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> a{1};
  std::vector<std::string> b{"x"};
  calm::flow::source_iter(a).merge(calm::flow::source_iter(b)).for_each([](auto) {});
  return 0;
}
