#pragma once
/// Causal<L, Id>: a causally consistent value: the concurrent versions of a value, each with
/// the vector clock of the write that made it; a later write replaces the versions it saw.
///
/// State:  an antichain of versions (clock, value): no version's clock is strictly below
///         another's, and no two versions share a clock. Every clock is non-empty.
/// Order:  a <= b  iff  every version (c, v) of a is superseded in b: b has a version whose
///         clock is strictly above c, or a version with clock c and a value above v.
/// Bottom: no versions.   Top: none.
/// Merge:  the union of the versions, versions with equal clocks joined by L's merge, then
///         every version whose clock is strictly below another's dropped. O(|a| * |b|) clock
///         comparisons (replicas rarely hold more than a few concurrent versions).
///
/// Mutator: write(id, value): the new version's clock is the join of every clock here,
///         incremented at `id`, so it is strictly above every version this replica has seen;
///         the delta is that single version, and merging it anywhere replaces exactly the
///         versions the writer saw, keeping the ones written concurrently. It throws
///         std::overflow_error, changing nothing, when `id`'s counter is already UINT64_MAX
///         (a peer can send such a clock): the clock cannot grow past it.
///
/// Queries: versions() in a deterministic order (clocks compared as sorted sequences of
///         (replica, counter) pairs); values() in the same order; clock(), the join of all.
///
/// Rationale: Anna's CausalLattice merges concurrent versions into one: it joins their clocks
/// and their values, so a causally later write that saw only one of them still cannot replace
/// the merged version, and the separate clocks of the concurrent writes are lost. Keeping the
/// antichain is the lawful version: merge is the join of the lattice of antichains of
/// (clock, value) versions (maximal elements of the union), associative, commutative and
/// idempotent, and concurrent writes stay distinct until a write that saw them all replaces
/// them. Equal clocks mean the same write (each replica increments its own counter), so their
/// values are joined, which makes the union well defined even for a replica that reuses an id.
#include <algorithm>
#include <compare>
#include <concepts>
#include <cstdint>
#include <ostream>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/core.hpp"
#include "lattices/detail/serialization.hpp"
#include "lattices/vector_clock.hpp"

namespace calm::lattices {

template <Lattice L, std::totally_ordered Id = std::uint64_t>
class Causal {
 public:
  using value_type = L;
  using id_type = Id;
  using clock_type = VectorClock<Id>;
  using version_type = std::pair<clock_type, L>;

  Causal() = default;

  /// Writes `value` at replica `id` after every version seen here; returns the delta (the new
  /// version alone).
  Causal write(const Id& id, L value) {
    clock_type next = clock();
    next.increment(id);
    Causal delta;
    delta.versions_.emplace_back(std::move(next), std::move(value));
    merge(delta);
    return delta;
  }

  /// The concurrent versions, in a deterministic order (see the top of this file).
  const std::vector<version_type>& versions() const { return versions_; }
  /// The versions' values, in the order of versions().
  std::vector<L> values() const {
    std::vector<L> out;
    out.reserve(versions_.size());
    for (const auto& [clock, value] : versions_) out.push_back(value);
    return out;
  }
  std::vector<L> reveal() const { return values(); }
  /// The join of every version's clock: everything this value has seen.
  clock_type clock() const {
    clock_type out;
    for (const auto& [clock, value] : versions_) out.merge(clock);
    return out;
  }
  std::size_t size() const { return versions_.size(); }

  bool merge(const Causal& other) { return merge_versions(other.versions_); }
  /// Takes `other`'s versions and leaves it bottom (not versions with moved-from clocks, which
  /// no longer decode).
  bool merge(Causal&& other) {
    if (&other == this) return false;
    const bool changed = merge_versions(std::move(other.versions_));
    other.versions_.clear();
    return changed;
  }

  std::partial_ordering compare(const Causal& other) const {
    const bool below = superseded_by(versions_, other.versions_);
    const bool above = superseded_by(other.versions_, versions_);
    if (below && above) return std::partial_ordering::equivalent;
    if (below) return std::partial_ordering::less;
    if (above) return std::partial_ordering::greater;
    return std::partial_ordering::unordered;
  }

  bool is_bot() const { return versions_.empty(); }

  /// One atom per (clock, atom of the value); a version whose value is bottom is one atom.
  std::vector<Causal> atomize() const requires Atomizable<L> {
    std::vector<Causal> atoms;
    for (const auto& [clock, value] : versions_) {
      std::vector<L> parts = ::calm::lattices::atomize(value);
      if (parts.empty()) parts.emplace_back();
      for (L& part : parts) {
        Causal atom;
        atom.versions_.emplace_back(clock, std::move(part));
        atoms.push_back(std::move(atom));
      }
    }
    return atoms;
  }

  /// The versions `other` does not supersede: whole where `other` lacks the clock, as the
  /// value's delta where it has the same clock.
  Causal delta(const Causal& other) const {
    Causal out;
    for (const auto& [clock, value] : versions_) {
      const version_type* same = nullptr;
      bool dominated = false;
      for (const auto& theirs : other.versions_) {
        const std::partial_ordering order = clock.compare(theirs.first);
        if (order == 0) same = &theirs;
        dominated = dominated || order < 0;
      }
      if (dominated) continue;
      if (!same) {
        out.versions_.emplace_back(clock, value);
        continue;
      }
      const std::partial_ordering values = ::calm::lattices::compare(value, same->second);
      if (values < 0 || values == 0) continue;  // theirs is already above
      if constexpr (DeltaLattice<L>) {
        out.versions_.emplace_back(clock, ::calm::lattices::delta(value, same->second));
      } else {
        out.versions_.emplace_back(clock, value);
      }
    }
    return out;  // a subset of versions_, so still in order
  }

  friend bool operator==(const Causal&, const Causal&) = default;

  friend std::ostream& operator<<(std::ostream& os, const Causal& c) {
    os << "Causal{";
    const char* sep = "";
    for (const auto& [clock, value] : c.versions_) {
      os << sep << clock << ": " << value;
      sep = ", ";
    }
    return os << '}';
  }

  /// Encoding: a size tag, then each version's clock (VectorClock's encoding) and value, in
  /// the order of versions(). Decoding rejects versions out of order, an empty clock, and a
  /// clock strictly below another.
  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, versions_.size());
    for (const auto& [clock, value] : versions_) ar(clock, value);
  }
  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t n = detail::load_size(ar);
    std::vector<version_type> versions;
    versions.reserve(detail::bounded_reserve(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      version_type v{};
      ar(v.first, v.second);
      detail::decode_require(!v.first.is_bot(), "calm: Causal holds a version with no clock");
      detail::decode_require(versions.empty() || clock_less(versions.back().first, v.first),
                             "calm: Causal versions are not strictly increasing");
      for (const auto& earlier : versions) {
        const std::partial_ordering order = earlier.first.compare(v.first);
        detail::decode_require(order == std::partial_ordering::unordered,
                               "calm: Causal holds a version superseded by another");
      }
      versions.push_back(std::move(v));
    }
    versions_ = std::move(versions);
  }

 private:
  /// The deterministic order of versions: clocks as sorted sequences of (replica, counter).
  static bool clock_less(const clock_type& a, const clock_type& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](const auto& x, const auto& y) {
                                          if (x.first < y.first) return true;
                                          if (y.first < x.first) return false;
                                          return x.second.reveal() < y.second.reveal();
                                        });
  }

  /// Every version of `mine` is superseded in `theirs`.
  static bool superseded_by(const std::vector<version_type>& mine,
                            const std::vector<version_type>& theirs) {
    return std::all_of(mine.begin(), mine.end(), [&](const version_type& v) {
      return std::any_of(theirs.begin(), theirs.end(), [&](const version_type& w) {
        const std::partial_ordering order = v.first.compare(w.first);
        if (order < 0) return true;
        if (order != 0) return false;
        const std::partial_ordering values = ::calm::lattices::compare(v.second, w.second);
        return values < 0 || values == 0;
      });
    });
  }

  template <class Versions>
  bool merge_versions(Versions&& incoming) {
    std::vector<version_type> all = versions_;
    bool changed = false;
    for (auto& v : incoming) {
      auto same = std::find_if(all.begin(), all.end(),
                               [&](const version_type& w) { return w.first == v.first; });
      if (same != all.end()) {
        changed = ::calm::lattices::merge(same->second, v.second) || changed;
      } else if constexpr (std::is_lvalue_reference_v<Versions>) {
        all.push_back(v);
      } else {
        all.push_back(std::move(v));
      }
    }
    // Keep the maximal clocks only.
    std::vector<bool> superseded(all.size(), false);
    for (std::size_t i = 0; i < all.size(); ++i) {
      superseded[i] = std::any_of(all.begin(), all.end(), [&](const version_type& w) {
        return all[i].first.compare(w.first) == std::partial_ordering::less;
      });
    }
    std::vector<version_type> kept;
    kept.reserve(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (!superseded[i]) kept.push_back(std::move(all[i]));
    }
    std::sort(kept.begin(), kept.end(), [](const version_type& a, const version_type& b) {
      return clock_less(a.first, b.first);
    });
    const bool same_clocks =
        kept.size() == versions_.size() &&
        std::equal(kept.begin(), kept.end(), versions_.begin(),
                   [](const version_type& a, const version_type& b) { return a.first == b.first; });
    versions_ = std::move(kept);
    return changed || !same_clocks;
  }

  std::vector<version_type> versions_;  // sorted by clock_less; an antichain of clocks
};

}  // namespace calm::lattices
