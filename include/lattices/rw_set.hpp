#pragma once
/// RWSet<T, Id>: a remove-wins set. Both add(id, x) and remove(id, x) tag x with a fresh dot
/// (marked add or remove) and drop the tags of x they saw. x is in the set when it has tags
/// and all of them are adds, so a remove concurrent with an add of the same element wins.
///
/// Order:  Dotted<DotMap<T, DotMap<bool, DotSet>>>'s.   Bottom: the empty set.   Top: none.
/// Merge:  O(|a| + |b|) entries.
/// Metadata: per element, one dot per concurrent writer. An element whose last operation was a
/// remove keeps that one remove tag (it is what lets the remove win), until a later add.
#include <cstdint>
#include <ostream>
#include <vector>

#include "lattices/detail/dotted_crdt.hpp"

namespace calm::lattices {

template <std::totally_ordered T, std::totally_ordered Id = std::uint64_t>
class RWSet : public detail::DottedCrdt<RWSet<T, Id>, DotMap<T, DotMap<bool, DotSet<Id>>>> {
  using Tags = DotMap<bool, DotSet<Id>>;  // false: remove tags, true: add tags
  using Base = detail::DottedCrdt<RWSet<T, Id>, DotMap<T, Tags>>;

 public:
  using Base::Base;
  using value_type = T;

  RWSet add(const Id& id, T x) { return tag(id, std::move(x), true); }
  RWSet remove(const Id& id, T x) { return tag(id, std::move(x), false); }

  bool contains(const T& x) const {
    const Tags* tags = this->store().find(x);
    return tags && tags->find(false) == nullptr;
  }
  /// The elements, sorted.
  std::vector<T> elements() const {
    std::vector<T> out;
    for (const auto& [x, tags] : this->store()) {
      if (tags.find(false) == nullptr) out.push_back(x);
    }
    return out;
  }
  std::size_t size() const { return elements().size(); }

  friend std::ostream& operator<<(std::ostream& os, const RWSet& s) {
    return os << "RWSet" << s.dotted();
  }

 private:
  RWSet tag(const Id& id, T x, bool is_add) {
    detail::require_ordered(x);
    const Dot<Id> d = this->context().next(id);
    const Tags* tags = this->store().find(x);
    auto seen = tags ? Base::observed(*tags) : DotContext<Id>{};
    seen.insert(d);
    return this->apply(DotMap<T, Tags>{{std::move(x), Tags{{is_add, DotSet<Id>{d}}}}},
                       std::move(seen));
  }
};

}  // namespace calm::lattices
