// expect: group_by\(\)\.fold\(\) over a stream with Dups yields a NonDeterministic result
// A keyed fold sees a duplicate twice.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{13, 21, 12};
  auto groups = calm::flow::source_unordered(v)
                    .sort()
                    .group_by([](int x) { return x % 10; })
                    .fold(0, [](int acc, int x) { return acc + x; })
                    .collect();
  return static_cast<int>(groups.size());
}
