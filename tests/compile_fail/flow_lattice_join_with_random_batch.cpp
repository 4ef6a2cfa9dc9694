// expect: lattice_join\(\) with a stream that has RandomBatch or Dups emits growth steps
// Which intermediate pairs are emitted depends on the order the sides' items arrive in.
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  using M = calm::lattices::Max<int>;
  std::vector<std::pair<int, M>> a{{1, M{1}}, {1, M{2}}};
  auto n = calm::flow::source_iter(a).lattice_join(calm::flow::source_unordered(a)).count().get();
  return static_cast<int>(n);
}
