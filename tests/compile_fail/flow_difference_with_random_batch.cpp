// expect: difference\(\) with a stream that has RandomBatch yields a NonDeterministic result
// Subtracting a stream whose items may arrive late: the result is NonDeterministic.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> a{1, 2, 3}, b{2};
  auto left = calm::flow::source_iter(a).difference(calm::flow::source_unordered(b)).collect();
  return static_cast<int>(left.size());
}
