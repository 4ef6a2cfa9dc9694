// expect: tee<N>\(\) needs N >= 1
// A tee with no outputs would drop the stream: tee<0>() is refused.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> v{1, 2};
  auto none = calm::flow::source_iter(v).tee<0>();
  return static_cast<int>(none.size());
}
