// expect: join\(\) needs two streams of std::pair<K, V>
// join() matches keys: both sides must be (key, value) pairs.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> a{1, 2};
  calm::flow::source_iter(a).join(calm::flow::source_iter(a)).for_each([](auto) {});
  return 0;
}
