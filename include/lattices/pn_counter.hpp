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
/// Overflow: each half is a GCounter (its totals never wrap; see g_counter.hpp). value() is
/// increments - decrements as std::int64_t, and throws std::overflow_error when the difference
/// does not fit; increment and decrement throw, changing nothing, when the value they leave
/// would not fit.
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

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
class PNCounter {
 public:
  using id_type = Id;

  PNCounter() = default;

  /// Adds `n` at replica `id`; returns the delta (the replica's new increment total).
  PNCounter increment(const Id& id, std::uint64_t n = 1) {
    const std::uint64_t up = increments_.value();
    if (n <= std::numeric_limits<std::uint64_t>::max() - up)
      difference(up + n, decrements_.value());
    PNCounter delta;
    delta.increments_ = increments_.increment(id, n);  // throws if the total would overflow
    return delta;
  }
  /// Subtracts `n` at replica `id`; returns the delta (the replica's new decrement total).
  PNCounter decrement(const Id& id, std::uint64_t n = 1) {
    const std::uint64_t down = decrements_.value();
    if (n <= std::numeric_limits<std::uint64_t>::max() - down)
      difference(increments_.value(), down + n);
    PNCounter delta;
    delta.decrements_ = decrements_.increment(id, n);
    return delta;
  }

  /// Increments minus decrements. Throws std::overflow_error if it does not fit in int64.
  std::int64_t value() const { return difference(increments_.value(), decrements_.value()); }
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
  static std::int64_t difference(std::uint64_t up, std::uint64_t down) {
    constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (up >= down) {
      if (up - down > most) throw std::overflow_error("calm: PNCounter value exceeds int64");
      return static_cast<std::int64_t>(up - down);
    }
    if (down - up > most + 1) throw std::overflow_error("calm: PNCounter value below int64");
    // down - up - 1 fits in int64, so the negation cannot overflow.
    return -static_cast<std::int64_t>(down - up - 1) - 1;
  }

  GCounter<Id> increments_;
  GCounter<Id> decrements_;
};

}  // namespace calm::lattices
