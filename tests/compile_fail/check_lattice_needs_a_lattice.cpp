// expect: Lattice
// The law harness only accepts lattices: a type with no merge is rejected before any case runs.
#include "lattices/testing.hpp"

int main() { return calm::lattices::testing::check_lattice<double>() ? 0 : 1; }
