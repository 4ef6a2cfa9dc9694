#pragma once
/// EWFlag<Id>: an enable-wins flag. enable(id) adds a fresh dot and drops the dots it saw;
/// disable() drops the dots it saw. The flag reads true while any dot is alive, so an enable
/// concurrent with a disable survives it.
///
/// Order:  Dotted<DotSet>'s (a disable is above the enables it saw).
/// Bottom: never enabled: reads false.   Top: none.
/// Merge:  O(live dots + context).  Metadata: one dot per concurrent enabler, plus the context.
#include <cstdint>
#include <ostream>

#include "lattices/detail/dotted_crdt.hpp"

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
class EWFlag : public detail::DottedCrdt<EWFlag<Id>, DotSet<Id>> {
  using Base = detail::DottedCrdt<EWFlag<Id>, DotSet<Id>>;

 public:
  using Base::Base;

  EWFlag enable(const Id& id) {
    const Dot<Id> d = this->context().next(id);
    auto seen = Base::observed(this->store());
    seen.insert(d);
    return this->apply(DotSet<Id>{d}, std::move(seen));
  }
  EWFlag disable() { return this->apply({}, Base::observed(this->store())); }
  bool value() const { return !this->store().empty(); }

  friend std::ostream& operator<<(std::ostream& os, const EWFlag& f) {
    return os << "EWFlag{" << (f.value() ? "true" : "false") << ", " << f.dotted() << '}';
  }
};

}  // namespace calm::lattices
