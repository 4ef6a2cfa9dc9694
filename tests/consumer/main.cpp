#include "lattices/max.hpp"

int main() {
  calm::lattices::Max<int> a{3};
  a.merge(calm::lattices::Max<int>{5});
  return calm::lattices::reveal(a) == 5 ? 0 : 1;
}
