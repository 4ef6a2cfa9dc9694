// expect: fold_commutative\(\) over a stream with Dups yields a NonDeterministic result
// Commutativity forgives the order, not the duplicates.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto sum =
      calm::flow::source_unordered(v).fold_commutative(0, [](int acc, int x) { return acc + x; });
  return sum.get();
}
