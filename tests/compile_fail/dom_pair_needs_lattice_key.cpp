// expect: Lattice
// DomPair compares keys in their lattice order: a plain int key is not a lattice.
#include "lattices/dom_pair.hpp"
#include "lattices/max.hpp"

int main() {
  calm::lattices::DomPair<int, calm::lattices::Max<int>> pair;
  return pair.key();
}
