#pragma once
/// Min<T>: a value that only shrinks; merge keeps the lesser.
///
/// Order:  Min{a} <= Min{b}  iff  a >= b (the reverse of T's order; a chain).
/// Bottom: the greatest T: +infinity for floating point, max() for other arithmetic types.
/// Top:    the least T (lowest(), or -infinity).
/// Merge:  O(1) compare-and-copy.
///
/// Rationale: bottom must exist, so T must have a known greatest value
/// (std::numeric_limits<T>::is_specialized); Min<std::string> has none and does not compile.
#include "lattices/detail/extremum.hpp"

namespace calm::lattices {

template <std::totally_ordered T>
class Min : public detail::Extremum<Min<T>, T, detail::Direction::down> {
  static_assert(std::numeric_limits<T>::is_specialized,
                "Min<T> needs a greatest T as its bottom: std::numeric_limits<T> must be "
                "specialized (use Max over a reversed key, or WithBot<...>, for other types)");
  using Base = detail::Extremum<Min<T>, T, detail::Direction::down>;

 public:
  static constexpr std::string_view name = "Min";
  using Base::Base;
};

}  // namespace calm::lattices
