// expect: Lattice
// The contract needs merge to return whether the value changed; a void merge is rejected.
#include "lattices/core.hpp"

struct Silent {
  int value = 0;
  void merge(const Silent& other) { value = value > other.value ? value : other.value; }
  friend bool operator==(const Silent&, const Silent&) = default;
};

int main() { return calm::lattices::is_bot(Silent{}) ? 0 : 1; }
