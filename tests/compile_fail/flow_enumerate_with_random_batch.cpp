// expect: enumerate\(\) over a stream with RandomBatch numbers items in arrival order
// Numbering needs an order: enumerate() does not compile on RandomBatch (sort() first).
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  calm::flow::source_unordered(v).enumerate().for_each([](auto) {});
  return 0;
}
