// expect: anti_join\(\) needs a stream of std::pair<K, V> and a stream of K
// anti_join() removes by key: this side must be (key, value) pairs (difference() removes items).
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<int> a{1, 2};
  calm::flow::source_iter(a).anti_join(calm::flow::source_iter(a)).for_each([](auto) {});
  return 0;
}
