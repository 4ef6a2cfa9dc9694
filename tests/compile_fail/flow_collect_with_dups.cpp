// expect: collect\(\) over a stream with Dups may return an item more than once
// sort() removes RandomBatch but not Dups: collect() still refuses (unique() first).
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto items = calm::flow::source_unordered(v).sort().collect();
  return static_cast<int>(items.size());
}
