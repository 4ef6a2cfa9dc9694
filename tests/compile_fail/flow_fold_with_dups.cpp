// expect: fold\(\) over a stream with Dups yields a NonDeterministic.*unique\(\) the stream
// fold() sees a duplicate twice: over Dups its result cannot be read with get().
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto sum = calm::flow::source_unordered(v).sort().fold(0, [](int acc, int x) { return acc + x; });
  return sum.get();
}
