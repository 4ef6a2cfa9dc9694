// expect: reduce\(\) over a stream with Dups yields a NonDeterministic result
// reduce() sees a duplicate twice.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto r = calm::flow::source_unordered(v).sort().reduce([](int a, int x) { return a + x; });
  return *r.get();
}
