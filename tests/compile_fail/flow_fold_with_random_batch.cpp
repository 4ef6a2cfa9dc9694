// expect: fold\(\) over a stream with RandomBatch yields .*sort\(\) the batch first, or
// fold() applies f in arrival order: over RandomBatch its result cannot be read with get().
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto digits =
      calm::flow::source_unordered(v).unique().fold(0, [](int acc, int x) { return acc * 10 + x; });
  return digits.get();
}
