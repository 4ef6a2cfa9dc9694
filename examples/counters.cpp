// A grow-only counter composed from lattices that already exist: each replica counts its own
// increments in a MapUnion<replica, Max<count>>, and the value is the sum. Replicas exchange
// deltas (only what the other lacks) instead of whole states.
#include <cstdint>
#include <iostream>
#include <numeric>

#include "lattices/lattices.hpp"

namespace cl = calm::lattices;

using Counts = cl::MapUnion<std::uint64_t, cl::Max<std::uint64_t>>;

struct Replica {
  std::uint64_t id;
  Counts counts;

  /// Counts n more here; returns the delta that tells the others.
  Counts increment(std::uint64_t n) {
    // Bottom of Max<uint64_t> is 0, so an absent entry reads as a count of 0.
    Counts delta{{id, cl::Max<std::uint64_t>{counts.get(id).reveal() + n}}};
    counts.merge(delta);
    return delta;
  }
  std::uint64_t value() const {
    return std::accumulate(
        counts.begin(), counts.end(), std::uint64_t{0},
        [](std::uint64_t sum, const auto& entry) { return sum + entry.second.reveal(); });
  }
};

int main() {
  Replica a{1, {}}, b{2, {}}, c{3, {}};
  const Counts d1 = a.increment(5);
  const Counts d2 = b.increment(2);
  const Counts d3 = a.increment(1);

  // Deltas arrive out of order and duplicated at b; c saw only b's and catches up on a's
  // with delta(a, c): what a holds that c lacks.
  b.counts.merge(d3);
  b.counts.merge(d1);
  b.counts.merge(d3);
  c.counts.merge(d2);
  const Counts catch_up = cl::delta(a.counts, c.counts);
  c.counts.merge(catch_up);
  a.counts.merge(d2);

  std::cout << "a = " << a.value() << ", b = " << b.value() << ", c = " << c.value() << '\n';
  std::cout << "state of a: " << a.counts << '\n';
  std::cout << "catch-up delta for c: " << catch_up << " (" << cl::to_bytes(catch_up).size()
            << " bytes, full state " << cl::to_bytes(a.counts).size() << " bytes)\n";
  const bool converged = a.counts == b.counts && b.counts == c.counts && a.value() == 8;
  std::cout << "converged to 8: " << (converged ? "yes" : "NO") << '\n';
  return converged ? 0 : 1;
}
