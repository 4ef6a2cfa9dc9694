#pragma once
/// MVRegister<T, Id>: a multi-value register. write(id, v) tags v with a fresh dot and drops
/// the writes it saw, so concurrent writes are all kept (values() returns each) and a later
/// write that saw them replaces them all.
///
/// Order:  Dotted<DotFun<T>>'s.   Bottom: never written: values() is empty.   Top: none.
/// Merge:  O(live writes + context).  Metadata: one dot per concurrent write, plus the context.
#include <algorithm>
#include <cstdint>
#include <ostream>
#include <vector>

#include "lattices/detail/dotted_crdt.hpp"

namespace calm::lattices {

template <std::totally_ordered T, std::totally_ordered Id = std::uint64_t>
class MVRegister : public detail::DottedCrdt<MVRegister<T, Id>, DotFun<T, Id>> {
  using Base = detail::DottedCrdt<MVRegister<T, Id>, DotFun<T, Id>>;

 public:
  using Base::Base;
  using value_type = T;

  MVRegister write(const Id& id, T value) {
    detail::require_ordered(value);
    const Dot<Id> d = this->context().next(id);
    auto seen = Base::observed(this->store());
    seen.insert(d);
    return this->apply(DotFun<T, Id>{{d, std::move(value)}}, std::move(seen));
  }
  /// Drops the writes it saw, as a write would, without writing one: a concurrent write
  /// survives it. Returns the delta (bottom when it saw none).
  MVRegister clear() {
    if (this->store().empty()) return {};
    return this->apply(DotFun<T, Id>{}, Base::observed(this->store()));
  }
  /// The concurrent values, sorted, each once.
  std::vector<T> values() const {
    std::vector<T> out;
    for (const auto& entry : this->store()) out.push_back(entry.second);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  friend std::ostream& operator<<(std::ostream& os, const MVRegister& r) {
    return os << "MVRegister" << r.dotted();
  }
};

}  // namespace calm::lattices
