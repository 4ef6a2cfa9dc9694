#pragma once
/// TwoPSet<T>: the two-phase set; an element is added, may then be removed, and once removed
/// never comes back.
///
/// State:  `added` (elements added and not removed) and `removed` (tombstones), disjoint.
/// Order:  a <= b  iff  a.removed is a subset of b.removed, and every element of a.added is in
///         b.added or b.removed (a tombstone is above the add it cancels).
/// Bottom: the empty set with no tombstones.   Top: none.
/// Merge:  removed = union of the tombstones; added = union of the adds minus every
///         tombstone. O((|a| + |b|) log(|a| + |b|)) for the flat sets.
///
/// Mutators: add(x) returns {add x}; remove(x) returns {remove x}. Both are idempotent.
///   - add after remove is a no-op in effect: the tombstone absorbs the add, here and at every
///     replica the add reaches, in whatever order the two arrive.
///   - remove(x) of an element never added (here) is allowed: it tombstones x pre-emptively,
///     so a later or concurrent add(x) never shows. Shapiro et al.'s specification makes
///     "lookup(x)" a precondition of remove; calm does not, because with delta replication a
///     replica may see the remove before the add anyway (the remover saw the add; the deltas
///     raced), so the state space is the same, and a precondition on local state would make the
///     operation's outcome depend on delivery timing. Check contains(x) first to get Shapiro's
///     behaviour.
///
/// Rationale: the textbook state is the pair of grow-only sets (A, R) with the product order.
/// calm keeps A \ R instead of A: the observable value is the same, a removed element is stored
/// once (its tombstone), and two states that read alike compare equal. The map (A, R) ->
/// (A \ R, R) preserves joins, so the laws carry over; the atoms are {add x} for x in added
/// and {remove x} for x in removed.
#include <algorithm>
#include <compare>
#include <concepts>
#include <ostream>
#include <utility>
#include <vector>

#include "lattices/core.hpp"
#include "lattices/detail/serialization.hpp"
#include "lattices/set_union.hpp"

namespace calm::lattices {

template <std::totally_ordered T>
class TwoPSet {
 public:
  using value_type = T;

  TwoPSet() = default;

  /// Adds x (unless it is removed); returns the delta {add x}.
  TwoPSet add(T x) {
    TwoPSet delta;
    delta.added_.insert(std::move(x));
    merge(delta);
    return delta;
  }
  /// Removes x for ever, whether or not it was added; returns the delta {remove x}.
  TwoPSet remove(T x) {
    TwoPSet delta;
    delta.removed_.insert(std::move(x));
    merge(delta);
    return delta;
  }

  /// Whether x was added and not removed.
  bool contains(const T& x) const { return added_.contains(x); }
  /// Whether x has a tombstone.
  bool removed(const T& x) const { return removed_.contains(x); }
  /// The elements, in increasing order.
  std::vector<T> elements() const { return std::vector<T>(added_.begin(), added_.end()); }
  std::size_t size() const { return added_.size(); }
  std::vector<T> reveal() const { return elements(); }

  /// Elements added and not removed, and the tombstones.
  const SetUnion<T>& added() const { return added_; }
  const SetUnion<T>& tombstones() const { return removed_; }

  bool merge(const TwoPSet& other) {
    bool changed = removed_.merge(other.removed_);
    if (changed) added_ = added_.delta(removed_);  // drop the newly removed
    SetUnion<T> incoming = other.added_.delta(removed_);
    return added_.merge(std::move(incoming)) || changed;
  }

  std::partial_ordering compare(const TwoPSet& other) const {
    const bool below = at_most(*this, other);
    const bool above = at_most(other, *this);
    if (below && above) return std::partial_ordering::equivalent;
    if (below) return std::partial_ordering::less;
    if (above) return std::partial_ordering::greater;
    return std::partial_ordering::unordered;
  }

  bool is_bot() const { return added_.empty() && removed_.empty(); }

  /// {add x} for every element, {remove x} for every tombstone.
  std::vector<TwoPSet> atomize() const {
    std::vector<TwoPSet> atoms;
    atoms.reserve(added_.size() + removed_.size());
    for (const T& x : added_) {
      TwoPSet atom;
      atom.added_.insert(x);
      atoms.push_back(std::move(atom));
    }
    for (const T& x : removed_) {
      TwoPSet atom;
      atom.removed_.insert(x);
      atoms.push_back(std::move(atom));
    }
    return atoms;
  }
  /// The tombstones `other` lacks, and the elements it neither has nor removed.
  TwoPSet delta(const TwoPSet& other) const {
    TwoPSet out;
    out.removed_ = removed_.delta(other.removed_);
    out.added_ = added_.delta(other.added_).delta(other.removed_);
    return out;
  }

  friend bool operator==(const TwoPSet&, const TwoPSet&) = default;

  friend std::ostream& operator<<(std::ostream& os, const TwoPSet& s) {
    return os << "TwoPSet{added: " << s.added_ << ", removed: " << s.removed_ << '}';
  }

  /// Encoding: `added` (the elements, not removed), then the tombstones; each a SetUnion.
  template <class Archive>
  void save(Archive& ar) const {
    ar(added_, removed_);
  }
  template <class Archive>
  void load(Archive& ar) {
    SetUnion<T> added;
    SetUnion<T> removed;
    ar(added, removed);
    detail::decode_require(
        std::none_of(added.begin(), added.end(), [&](const T& x) { return removed.contains(x); }),
        "calm: TwoPSet holds an element that is also removed");
    added_ = std::move(added);
    removed_ = std::move(removed);
  }

 private:
  static bool at_most(const TwoPSet& a, const TwoPSet& b) {
    return a.removed_.compare(b.removed_) <= 0 &&
           std::all_of(a.added_.begin(), a.added_.end(),
                       [&](const T& x) { return b.added_.contains(x) || b.removed_.contains(x); });
  }

  SetUnion<T> added_;  // never holds a removed element
  SetUnion<T> removed_;
};

}  // namespace calm::lattices
