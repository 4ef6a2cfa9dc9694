#pragma once
/// DWFlag<Id>: a disable-wins flag, the dual of EWFlag. disable(id) adds a fresh dot and drops
/// the dots it saw; enable() drops the dots it saw. The flag reads true while no dot is alive,
/// so a disable concurrent with an enable survives it.
///
/// Order:  Dotted<DotSet>'s.   Bottom: never disabled: reads TRUE (enabled).   Top: none.
/// Merge:  O(live dots + context).  Metadata: one dot per concurrent disabler, plus the context.
///
/// Rationale: as in Almeida et al., the dots record disables, so the empty state is enabled.
/// Wrap it (or use EWFlag) if your flag must start false.
#include <cstdint>
#include <ostream>

#include "lattices/detail/dotted_crdt.hpp"

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
class DWFlag : public detail::DottedCrdt<DWFlag<Id>, DotSet<Id>> {
  using Base = detail::DottedCrdt<DWFlag<Id>, DotSet<Id>>;

 public:
  using Base::Base;

  DWFlag disable(const Id& id) {
    const Dot<Id> d = this->context().next(id);
    auto seen = Base::observed(this->store());
    seen.insert(d);
    return this->apply(DotSet<Id>{d}, std::move(seen));
  }
  DWFlag enable() { return this->apply({}, Base::observed(this->store())); }
  bool value() const { return this->store().empty(); }

  friend std::ostream& operator<<(std::ostream& os, const DWFlag& f) {
    return os << "DWFlag{" << (f.value() ? "true" : "false") << ", " << f.dotted() << '}';
  }
};

}  // namespace calm::lattices
