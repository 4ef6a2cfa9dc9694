// expect: group_by\(\)\.fold\(\) over a stream with RandomBatch yields a NonDeterministic result
// A keyed fold applies f in arrival order within each key.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{13, 21, 12};
  auto groups = calm::flow::source_unordered(v)
                    .unique()
                    .group_by([](int x) { return x % 10; })
                    .fold(0, [](int acc, int x) { return acc * 100 + x; })
                    .collect();
  return static_cast<int>(groups.size());
}
