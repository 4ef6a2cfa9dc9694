// expect: Lattice
// int has no merge: join() is constrained on the Lattice concept.
#include "lattices/core.hpp"

int main() { return calm::lattices::join(1, 2); }
