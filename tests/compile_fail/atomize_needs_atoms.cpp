// expect: Atomizable
// Conflict's top is the join of any two different values, so it has no unique decomposition.
#include "lattices/conflict.hpp"

int main() {
  return static_cast<int>(calm::lattices::atomize(calm::lattices::Conflict<int>{1}).size());
}
