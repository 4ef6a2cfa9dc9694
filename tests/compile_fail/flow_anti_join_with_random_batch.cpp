// expect: anti_join\(\) with a stream that has RandomBatch yields a NonDeterministic result
// anti_join() against keys that may arrive late: the result is NonDeterministic.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::pair<int, int>> a{{1, 10}, {2, 20}};
  std::vector<int> b{2};
  auto left = calm::flow::source_unordered(a)
                  .sort()
                  .unique()
                  .anti_join(calm::flow::source_unordered(b))
                  .collect();
  return static_cast<int>(left.size());
}
