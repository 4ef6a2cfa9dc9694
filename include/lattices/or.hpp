#pragma once
/// Or: a boolean that can only become true ("has it ever happened?").
///
/// Order:  false < true.   Bottom: false.   Top: true.   Merge: logical or, O(1).
///
/// Rationale: a separate type rather than Max<bool> so that intent reads in signatures and
/// in counterexamples; it shares Max's implementation.
#include "lattices/detail/extremum.hpp"

namespace calm::lattices {

class Or : public detail::Extremum<Or, bool, detail::Direction::up> {
  using Base = detail::Extremum<Or, bool, detail::Direction::up>;

 public:
  static constexpr std::string_view name = "Or";
  using Base::Base;
};

}  // namespace calm::lattices
