// Three replicas receive the same updates in different orders, some twice, and still agree:
// merge is associative, commutative and idempotent, so order and duplication do not matter.
#include <algorithm>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"

namespace cl = calm::lattices;

// What every replica holds: the highest temperature seen per sensor, and the sensors ever seen.
using Readings = cl::MapUnion<std::string, cl::Max<int>>;
using Sensors = cl::SetUnion<std::string>;

int main() {
  std::vector<Readings> updates;
  for (const auto& [sensor, celsius] : std::vector<std::pair<std::string, int>>{
           {"kitchen", 21}, {"attic", 30}, {"kitchen", 24}, {"cellar", 12}, {"attic", 28}}) {
    updates.push_back(Readings{{sensor, cl::Max<int>{celsius}}});
  }

  std::mt19937 shuffle(2026);
  std::vector<Readings> replicas(3);
  for (std::size_t r = 0; r < replicas.size(); ++r) {
    std::vector<Readings> order = updates;
    order.insert(order.end(), updates.begin(), updates.begin() + static_cast<long>(r));  // dups
    std::shuffle(order.begin(), order.end(), shuffle);
    std::size_t changed = 0;
    for (const Readings& u : order) changed += cl::merge(replicas[r], u) ? 1 : 0;
    std::cout << "replica " << r << ": " << order.size() << " deliveries, " << changed
              << " changed it: " << replicas[r] << '\n';
  }
  const bool agree = std::all_of(replicas.begin(), replicas.end(),
                                 [&](const Readings& x) { return x == replicas[0]; });
  std::cout << "all replicas agree: " << (agree ? "yes" : "NO") << '\n';

  // A monotone query can be answered early and never retracted: "has any sensor reached 30?"
  const cl::Or hot = cl::threshold(30)(replicas[0].get("attic"));
  const Sensors seen = cl::keys(replicas[0]);
  std::cout << "sensors seen: " << seen << ", attic reached 30: " << hot << '\n';

  // compare is the lattice order: the state after one update is below the final state.
  std::cout << "first update <= final state: "
            << (cl::compare(updates[0], replicas[0]) <= 0 ? "yes" : "no") << '\n';
  return agree ? 0 : 1;
}
