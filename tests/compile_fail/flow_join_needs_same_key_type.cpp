// expect: join\(\) needs the same key type K on both sides
// Keys of different types never match: join() refuses them rather than matching nothing.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::pair<int, int>> a{{1, 2}};
  std::vector<std::pair<std::string, int>> b{{"1", 2}};
  calm::flow::source_iter(a).join(calm::flow::source_iter(b)).for_each([](auto) {});
  return 0;
}
