#pragma once
/// GCounter<Id>: a grow-only counter; one running total per replica, the value is their sum.
///
/// Order:  a <= b  iff  a's total at every replica is at most b's (VectorClock's order).
/// Bottom: no increments (value 0).   Top: none.
/// Merge:  each replica's maximum: O(|a| + |b|), or O(log n + sqrt(n)) for the one-entry
///         delta that increment returns. value() is O(n) in the number of replicas.
///
/// Mutator: increment(id, n) adds n at replica `id` and returns the delta, that replica's new
/// total alone. Merging a delta anywhere, any number of times, in any order, converges: a
/// replica's entry only grows, and the largest total seen wins.
///
/// Overflow: counts never wrap. increment throws std::overflow_error, changing nothing, when
/// the replica's own total would exceed UINT64_MAX (the most one replica can count). The sum
/// of the totals may pass UINT64_MAX (replicas that each counted legally, merged):
/// wide_value() reads it exactly as a 128-bit integer and never throws; value() reads it as
/// uint64_t and throws std::overflow_error past UINT64_MAX, because a wrong number read back
/// silently (wrapped or clamped) would be worse than no number. Callers that must answer for
/// any state (a server's GET) read wide_value().
///
/// Rationale: the map of Max counters is MapUnion<Id, Max<uint64_t>>, as in VectorClock, so
/// the laws, the delta and the encoding (a size tag, then each replica and its total in
/// increasing replica order) are MapUnion's.
#include <compare>
#include <cstdint>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "lattices/map_union.hpp"
#include "lattices/max.hpp"
#include "lattices/wide_int.hpp"

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
class GCounter {
  using Totals = MapUnion<Id, Max<std::uint64_t>>;

 public:
  using id_type = Id;
  using const_iterator = typename Totals::const_iterator;

  GCounter() = default;

  /// Adds `n` at replica `id`; returns the delta (the replica's new total). n == 0 changes
  /// nothing and returns bottom. Throws std::overflow_error, changing nothing, if the replica's
  /// total would exceed UINT64_MAX; the sum of all totals may (read it with wide_value()).
  GCounter increment(const Id& id, std::uint64_t n = 1) {
    GCounter delta;
    if (n == 0) return delta;
    const std::uint64_t total = get(id);
    if (total > std::numeric_limits<std::uint64_t>::max() - n) {
      throw std::overflow_error("calm: a GCounter replica's total would exceed UINT64_MAX");
    }
    delta.totals_.merge_at(id, Max<std::uint64_t>{total + n});
    totals_.merge(delta.totals_);
    return delta;
  }

  /// The sum of every replica's total, exactly: never overflows (see wide_int.hpp).
  uint128 wide_value() const {
    uint128 sum = 0;
    for (const auto& [id, total] : totals_) sum += total.reveal();
    return sum;
  }
  /// The sum of every replica's total. Throws std::overflow_error if it exceeds UINT64_MAX
  /// (wide_value() reads it then).
  std::uint64_t value() const {
    const uint128 sum = wide_value();
    if (sum > std::numeric_limits<std::uint64_t>::max()) {
      throw std::overflow_error("calm: GCounter value exceeds UINT64_MAX");
    }
    return static_cast<std::uint64_t>(sum);
  }
  std::uint64_t reveal() const { return value(); }
  /// Replica `id`'s total; 0 if it never incremented.
  std::uint64_t get(const Id& id) const { return totals_.get(id).reveal(); }
  /// Replicas with a non-zero total.
  std::size_t size() const { return totals_.size(); }
  /// (replica, Max total) entries in replica order.
  const_iterator begin() const { return totals_.begin(); }
  const_iterator end() const { return totals_.end(); }

  bool merge(const GCounter& other) { return totals_.merge(other.totals_); }
  bool merge(GCounter&& other) { return totals_.merge(std::move(other.totals_)); }

  std::partial_ordering compare(const GCounter& other) const {
    return ::calm::lattices::compare(totals_, other.totals_);
  }

  bool is_bot() const { return totals_.empty(); }

  /// One atom per replica: {id: total}.
  std::vector<GCounter> atomize() const {
    std::vector<GCounter> atoms;
    atoms.reserve(size());
    for (const auto& [id, total] : totals_) {
      GCounter atom;
      atom.totals_.merge_at(id, total);
      atoms.push_back(std::move(atom));
    }
    return atoms;
  }
  /// The replicas whose total is ahead of `other`'s.
  GCounter delta(const GCounter& other) const {
    GCounter out;
    out.totals_ = ::calm::lattices::delta(totals_, other.totals_);
    return out;
  }

  friend bool operator==(const GCounter&, const GCounter&) = default;

  friend std::ostream& operator<<(std::ostream& os, const GCounter& counter) {
    os << "GCounter{";
    const char* sep = "";
    for (const auto& [id, total] : counter.totals_) {
      os << sep << id << ": " << total.reveal();
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(totals_);
  }

 private:
  Totals totals_;
};

}  // namespace calm::lattices
