// expect: BoundedLattice
// A grow-only set has no greatest element, so is_top does not exist for it.
#include "lattices/set_union.hpp"

int main() { return calm::lattices::is_top(calm::lattices::SetUnion<int>{1}) ? 0 : 1; }
