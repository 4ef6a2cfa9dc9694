// expect: totally_ordered
// SetUnion keeps its elements sorted (and encodes them sorted), so they need a total order.
#include "lattices/set_union.hpp"

struct Unordered {
  int id = 0;
  friend bool operator==(const Unordered&, const Unordered&) = default;
};

int main() { return static_cast<int>(calm::lattices::SetUnion<Unordered>{}.size()); }
