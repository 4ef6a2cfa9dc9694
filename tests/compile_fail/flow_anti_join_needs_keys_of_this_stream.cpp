// expect: anti_join\(\) needs the other stream's items to be this stream's key type
// The subtracted stream holds keys: string keys cannot remove int-keyed pairs.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

int main() {
  std::vector<std::pair<int, char>> items{{1, 'a'}};
  std::vector<std::string> keys{"1"};
  calm::flow::source_iter(items).anti_join(calm::flow::source_iter(keys)).for_each([](auto) {});
  return 0;
}
