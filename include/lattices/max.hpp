#pragma once
/// Max<T>: a value that only grows; merge keeps the greater.
///
/// Order:  Max{a} <= Max{b}  iff  a <= b (a chain: any two values are comparable).
/// Bottom: the least T: -infinity for floating point, lowest() for other arithmetic types,
///         T{} otherwise (so T{} must be T's least value, as for std::string).
/// Top:    the greatest T where std::numeric_limits<T> knows it (is_top); none otherwise.
/// Merge:  O(1) compare-and-copy.
///
/// Rationale: the value is stored as T and compared as T, never through a narrower or
/// different type; NaN is rejected because it is unordered and would split replicas.
#include "lattices/detail/extremum.hpp"

namespace calm::lattices {

template <std::totally_ordered T>
class Max : public detail::Extremum<Max<T>, T, detail::Direction::up> {
  using Base = detail::Extremum<Max<T>, T, detail::Direction::up>;

 public:
  static constexpr std::string_view name = "Max";
  using Base::Base;
};

}  // namespace calm::lattices
