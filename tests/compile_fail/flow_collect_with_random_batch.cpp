// expect: collect\(\) over a stream with RandomBatch returns items in arrival order
// A stream with RandomBatch has no fixed order: collect() refuses it (sort() first).
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto items = calm::flow::source_unordered(v).collect();
  return static_cast<int>(items.size());
}
