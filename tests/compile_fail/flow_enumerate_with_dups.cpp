// expect: enumerate\(\) over a stream with Dups yields a NonDeterministic result
// A duplicate shifts every later index: enumerate() over Dups is NonDeterministic.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{3, 1, 2};
  auto items = calm::flow::source_unordered(v).sort().enumerate().collect();
  return static_cast<int>(items.size());
}
