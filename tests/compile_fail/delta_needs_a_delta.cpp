// expect: DeltaLattice
// A user lattice with only the minimal definition has no delta (no member delta, no atoms).
#include "lattices/core.hpp"

struct HighWater {
  int value = 0;
  bool merge(const HighWater& other) {
    if (other.value <= value) return false;
    value = other.value;
    return true;
  }
  friend bool operator==(const HighWater&, const HighWater&) = default;
};

int main() { return calm::lattices::delta(HighWater{2}, HighWater{1}).value; }
