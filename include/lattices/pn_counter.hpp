#pragma once
/// PNCounter<Id>: a counter that goes up and down; two GCounters, increments and decrements.
///
/// Order:  a <= b  iff  a.increments <= b.increments and a.decrements <= b.decrements (the
///         product order: a decrement moves the state up, like an increment).
/// Bottom: no operations (value 0).   Top: none.
/// Merge:  both halves, each a GCounter merge: O(|a| + |b|) in the replicas.
///
/// Mutators: increment(id, n) and decrement(id, n) return a delta holding only the half they
/// changed, that replica's new total in it.
///
/// Overflow: each half is a GCounter (its totals never wrap; see g_counter.hpp): increment and
/// decrement throw std::overflow_error, changing nothing, when the replica's total in their
/// half would exceed UINT64_MAX, and only then. The value may leave int64's range: two
/// replicas that each incremented by INT64_MAX, merged, count 2^64 - 2; and a counter that is
/// reset by subtracting what it saw (calm-kvs's ResettableCounter) grows its halves without
/// bound while its own reading stays small. wide_value() reads increments - decrements exactly
/// as a 128-bit integer and never throws; value() reads it as std::int64_t and throws
/// std::overflow_error outside int64's range, rather than return a wrong number (wrapped or
/// clamped) that a caller would take for the count. A caller that must stay within int64
/// (Redis's INCRBY) checks wide_value() before it increments.
///
/// Rationale: the classic construction (Shapiro et al.): a decrement cannot lower a lattice
/// value, so it grows a second counter that is subtracted when the value is read.
#include <compare>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "lattices/core.hpp"
#include "lattices/g_counter.hpp"
#include "lattices/wide_int.hpp"

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
class PNCounter {
 public:
  using id_type = Id;

  PNCounter() = default;

  /// Adds `n` at replica `id`; returns the delta (the replica's new increment total). Throws
  /// std::overflow_error, changing nothing, if that total would exceed UINT64_MAX.
  PNCounter increment(const Id& id, std::uint64_t n = 1) {
    PNCounter delta;
    delta.increments_ = increments_.increment(id, n);
    return delta;
  }
  /// Subtracts `n` at replica `id`; returns the delta (the replica's new decrement total).
  /// Throws std::overflow_error, changing nothing, if that total would exceed UINT64_MAX.
  PNCounter decrement(const Id& id, std::uint64_t n = 1) {
    PNCounter delta;
    delta.decrements_ = decrements_.increment(id, n);
    return delta;
  }

  /// Increments minus decrements, exactly: never overflows (see wide_int.hpp).
  int128 wide_value() const {
    return static_cast<int128>(increments_.wide_value()) -
           static_cast<int128>(decrements_.wide_value());
  }
  /// Increments minus decrements. Throws std::overflow_error if it does not fit in int64
  /// (wide_value() reads it then).
  std::int64_t value() const {
    const int128 v = wide_value();
    if (v > std::numeric_limits<std::int64_t>::max()) {
      throw std::overflow_error("calm: PNCounter value exceeds INT64_MAX");
    }
    if (v < std::numeric_limits<std::int64_t>::min()) {
      throw std::overflow_error("calm: PNCounter value is below INT64_MIN");
    }
    return static_cast<std::int64_t>(v);
  }
  std::int64_t reveal() const { return value(); }

  /// The two halves.
  const GCounter<Id>& increments() const { return increments_; }
  const GCounter<Id>& decrements() const { return decrements_; }

  bool merge(const PNCounter& other) {
    const bool up = increments_.merge(other.increments_);
    return decrements_.merge(other.decrements_) || up;
  }
  bool merge(PNCounter&& other) {
    const bool up = increments_.merge(std::move(other.increments_));
    return decrements_.merge(std::move(other.decrements_)) || up;
  }

  std::partial_ordering compare(const PNCounter& other) const {
    return detail::combine(increments_.compare(other.increments_),
                           decrements_.compare(other.decrements_));
  }

  bool is_bot() const { return increments_.is_bot() && decrements_.is_bot(); }

  /// The atoms of both halves: one per replica that incremented, one per replica that
  /// decremented.
  std::vector<PNCounter> atomize() const {
    std::vector<PNCounter> atoms;
    for (GCounter<Id>& part : increments_.atomize()) {
      PNCounter atom;
      atom.increments_ = std::move(part);
      atoms.push_back(std::move(atom));
    }
    for (GCounter<Id>& part : decrements_.atomize()) {
      PNCounter atom;
      atom.decrements_ = std::move(part);
      atoms.push_back(std::move(atom));
    }
    return atoms;
  }
  PNCounter delta(const PNCounter& other) const {
    PNCounter out;
    out.increments_ = increments_.delta(other.increments_);
    out.decrements_ = decrements_.delta(other.decrements_);
    return out;
  }

  friend bool operator==(const PNCounter&, const PNCounter&) = default;

  friend std::ostream& operator<<(std::ostream& os, const PNCounter& counter) {
    return os << "PNCounter{+" << counter.increments_ << ", -" << counter.decrements_ << '}';
  }

  /// Encoding: the increments' GCounter, then the decrements'.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(increments_, decrements_);
  }

 private:
  GCounter<Id> increments_;
  GCounter<Id> decrements_;
};

}  // namespace calm::lattices
