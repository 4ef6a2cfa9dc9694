// expect: reduce\(\) over a stream with RandomBatch yields a NonDeterministic result
// reduce() applies f in arrival order, like fold().
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto r = calm::flow::source_unordered(v).unique().reduce([](int a, int x) { return a - x; });
  return *r.get();
}
