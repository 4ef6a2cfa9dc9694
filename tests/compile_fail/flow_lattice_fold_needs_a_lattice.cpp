// expect: lattice_fold<L>\(\): L must be a calm::lattices::Lattice
// int has no merge: lattice_fold<int>() is refused.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{1, 2};
  return calm::flow::source_iter(v).lattice_fold<int>().get();
}
