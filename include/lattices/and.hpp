#pragma once
/// And: a boolean that can only become false ("has it held so far?").
///
/// Order:  true < false.   Bottom: true.   Top: false.   Merge: logical and, O(1).
///
/// Rationale: the dual of Or; it shares Min's implementation.
#include "lattices/detail/extremum.hpp"

namespace calm::lattices {

class And : public detail::Extremum<And, bool, detail::Direction::down> {
  using Base = detail::Extremum<And, bool, detail::Direction::down>;

 public:
  static constexpr std::string_view name = "And";
  using Base::Base;
};

}  // namespace calm::lattices
