#pragma once
/// Dot<Id>: one event, named by the replica that made it and that replica's event counter.
///
/// Dots are the unit of causality in the dot-based CRDTs (Almeida et al., "Delta State
/// Replicated Data Types"): every add, write or enable gets a fresh dot, and a remove takes
/// away exactly the dots it has seen. Counters start at 1; (r, n) is r's n-th event.
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
struct Dot {
  Id replica{};
  std::uint64_t counter = 0;

  friend auto operator<=>(const Dot&, const Dot&) = default;
  friend bool operator==(const Dot&, const Dot&) = default;

  friend std::ostream& operator<<(std::ostream& os, const Dot& d) {
    return os << '(' << d.replica << ", " << d.counter << ')';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_value(ar, replica);
    ar(counter);
  }
  template <class Archive>
  void load(Archive& ar) {
    detail::load_value(ar, replica);
    ar(counter);
    detail::decode_require(counter != 0, "calm: a dot's counter is 0");
  }
};

template <class Id>
Dot(Id, std::uint64_t) -> Dot<Id>;

}  // namespace calm::lattices

template <class Id>
struct std::hash<calm::lattices::Dot<Id>> {
  std::size_t operator()(const calm::lattices::Dot<Id>& d) const noexcept {
    const std::size_t h = std::hash<Id>{}(d.replica);
    // Mixes the counter in so that consecutive dots of one replica spread over the buckets.
    return h ^ (static_cast<std::size_t>(d.counter) * 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};
