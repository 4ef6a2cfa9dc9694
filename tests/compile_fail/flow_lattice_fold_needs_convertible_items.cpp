// expect: lattice_fold<L>\(\): each item must convert to L as L{item}; map\(\) the items
// A string is not a Max<int>: lattice_fold() converts items only as L{item}.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::string> v{"a"};
  return calm::flow::source_iter(v).lattice_fold<calm::lattices::Max<int>>().get().reveal();
}
