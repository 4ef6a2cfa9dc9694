#pragma once
/// VectorClock<Id>: one counter per replica; merge takes the maximum of each.
///
/// Order:  a <= b  iff  a[id] <= b[id] for every id: `less` is "happened before", `greater`
///         "happened after", `equivalent` "equal", `unordered` "concurrent".
/// Bottom: the empty clock (every counter 0).   Top: none.
/// Merge:  O(|a| + |b|) for a large clock, one linear pass over sorted entries; a one-entry
///         delta (what increment returns) costs O(log n + sqrt(n)).
///
/// Rationale: the map of Max counters that MapUnion already is, with the vocabulary of
/// causality. A counter of 0 is never stored, so a clock's equality, order and encoding do not
/// depend on how it was built; the encoding is MapUnion's.
#include <compare>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "lattices/map_union.hpp"
#include "lattices/max.hpp"

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
class VectorClock {
  using Counters = MapUnion<Id, Max<std::uint64_t>>;

 public:
  using id_type = Id;
  using const_iterator = typename Counters::const_iterator;

  VectorClock() = default;
  /// From (replica, counter) pairs; a repeated replica keeps its largest counter.
  VectorClock(std::initializer_list<std::pair<Id, std::uint64_t>> counters) {
    for (const auto& [id, n] : counters) counters_.merge_at(id, Max<std::uint64_t>{n});
  }

  /// The counter of `id`; 0 when the clock has never seen it.
  std::uint64_t get(const Id& id) const { return counters_.get(id).reveal(); }
  /// Replicas with a non-zero counter.
  std::size_t size() const { return counters_.size(); }
  /// (replica, Max counter) entries in replica order.
  const_iterator begin() const { return counters_.begin(); }
  const_iterator end() const { return counters_.end(); }

  /// Advances `id`'s counter by one; returns the delta (that one entry). Throws
  /// std::overflow_error, changing nothing, when the counter is UINT64_MAX: wrapping to 0
  /// would change nothing, and Causal::write would then reuse the clock of an earlier write.
  VectorClock increment(const Id& id) {
    const std::uint64_t n = get(id);
    if (n == std::numeric_limits<std::uint64_t>::max()) {
      throw std::overflow_error("calm: a VectorClock counter is at UINT64_MAX");
    }
    VectorClock delta;
    delta.counters_.merge_at(id, Max<std::uint64_t>{n + 1});
    counters_.merge(delta.counters_);
    return delta;
  }

  bool merge(const VectorClock& other) { return counters_.merge(other.counters_); }
  bool merge(VectorClock&& other) { return counters_.merge(std::move(other.counters_)); }

  std::partial_ordering compare(const VectorClock& other) const {
    return ::calm::lattices::compare(counters_, other.counters_);
  }
  /// Neither clock happened before the other.
  friend bool concurrent(const VectorClock& a, const VectorClock& b) {
    return a.compare(b) == std::partial_ordering::unordered;
  }

  bool is_bot() const { return counters_.empty(); }
  /// One atom per replica: {id: counter}.
  std::vector<VectorClock> atomize() const {
    std::vector<VectorClock> atoms;
    atoms.reserve(size());
    for (const auto& [id, n] : counters_) {
      VectorClock atom;
      atom.counters_.merge_at(id, n);
      atoms.push_back(std::move(atom));
    }
    return atoms;
  }
  /// The entries where *this is ahead of `other`.
  VectorClock delta(const VectorClock& other) const {
    VectorClock out;
    out.counters_ = ::calm::lattices::delta(counters_, other.counters_);
    return out;
  }

  friend bool operator==(const VectorClock&, const VectorClock&) = default;

  friend std::ostream& operator<<(std::ostream& os, const VectorClock& clock) {
    os << "VectorClock{";
    const char* sep = "";
    for (const auto& [id, n] : clock.counters_) {
      os << sep << id << ": " << n.reveal();
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(counters_);
  }

 private:
  Counters counters_;
};

}  // namespace calm::lattices
