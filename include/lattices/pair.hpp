#pragma once
/// Pair<A, B>: two lattices side by side, merged independently (the product lattice).
///
/// Order:  (a1, b1) <= (a2, b2)  iff  a1 <= a2 and b1 <= b2.
/// Bottom: (A{}, B{}).   Top: (top, top) where both have one.   Merge: one merge of each.
///
/// Rationale: the same lattice as std::pair<A, B>, with names that read as lattice code
/// and a printable form; see product.hpp for the shared product machinery.
#include <ostream>

#include "lattices/product.hpp"

namespace calm::lattices {

template <Lattice A, Lattice B>
struct Pair {
  A first{};
  B second{};

  friend bool operator==(const Pair&, const Pair&) = default;

  friend std::ostream& operator<<(
      std::ostream& os, const Pair& p) requires detail::printable<A> && detail::printable<B> {
    return os << "Pair(" << p.first << ", " << p.second << ')';
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(first, second);
  }
};

template <class A, class B>
struct product_traits<Pair<A, B>> {
  using fields = std::tuple<A, B>;
  template <std::size_t I, class Self>
  static constexpr auto& get(Self& self) {
    if constexpr (I == 0) {
      return self.first;
    } else {
      return self.second;
    }
  }
};

}  // namespace calm::lattices
