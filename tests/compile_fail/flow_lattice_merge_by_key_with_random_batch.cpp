// expect: lattice_merge_by_key\(\) over a stream with RandomBatch or Dups emits growth
// Min{5} then Min{3} emits both, the reverse order only Min{3}: the emitted items vary.
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::pair<int, int>> v{{1, 5}, {1, 3}};
  auto steps = calm::flow::source_unordered(v)
                   .lattice_merge_by_key<calm::lattices::Min<int>>()
                   .count()
                   .get();
  return static_cast<int>(steps);
}
