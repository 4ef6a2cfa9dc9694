// expect: Min<T> needs a greatest T as its bottom
// Min<std::string> has no bottom: there is no greatest string.
#include <string>

#include "lattices/min.hpp"

int main() {
  calm::lattices::Min<std::string> m;
  return m.is_bot() ? 0 : 1;
}
