// expect: count\(\) over a stream with Dups yields a NonDeterministic result
// A duplicate is counted twice; the order does not matter to a count, duplicates do.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto n = calm::flow::source_unordered(v).count();
  return static_cast<int>(n.get());
}
