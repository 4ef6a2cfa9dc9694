// expect: group_by\(\)\.lattice_fold<L>\(\): each value must convert to L as L{value}
// A string value is not a Max<int>: group_by's value function must make one.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::string> words{"a", "bb"};
  calm::flow::source_iter(words)
      .group_by([](const std::string& w) { return w.size(); })
      .lattice_fold<calm::lattices::Max<int>>()
      .for_each([](auto) {});
  return 0;
}
