#pragma once
/// SetUnion<T, Backing>: a grow-only set; merge is set union.
///
/// Order:  a <= b  iff  a is a subset of b.
/// Bottom: the empty set.   Top: none.
/// Merge:  backing::Flat (the default): O(|a| + |b|) for a large delta, one linear pass;
///         O(k log n + sqrt(n)) for a delta of k <= sqrt(n) elements, without copying the set.
///         backing::Hash: O(|b|) expected hash inserts.  backing::Tree: O(|b| log |a|).
///
/// Backings: Flat keeps sorted vectors (8 bytes per uint64 element, cache-friendly merges and
/// scans, ordered iteration); Hash is std::unordered_set (fastest single inserts into a huge
/// set, unordered iteration); Tree is std::set (ordered, stable iterators). All three hold the
/// same values, compare and print alike, and serialize to the same canonical bytes (sorted).
/// docs/benchmarks.md has the figures behind Flat as the default.
///
/// Rationale: the order is set inclusion, so atoms are singletons and delta(a, b) is a \ b.
#include <algorithm>
#include <compare>
#include <concepts>
#include <initializer_list>
#include <iterator>
#include <ostream>
#include <set>
#include <unordered_set>
#include <vector>

#include "lattices/detail/flat_store.hpp"
#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

/// Container policies for SetUnion.
namespace backing {
struct Flat {};  ///< sorted vectors (the default)
struct Hash {};  ///< std::unordered_set
struct Tree {};  ///< std::set
}  // namespace backing

namespace detail {
struct identity_key {
  template <class T>
  const T& operator()(const T& x) const {
    return x;
  }
};
template <class T, class Backing>
struct set_container;
template <class T>
struct set_container<T, backing::Flat> {
  using type = FlatStore<T, identity_key>;
};
template <class T>
struct set_container<T, backing::Hash> {
  using type = std::unordered_set<T>;
};
template <class T>
struct set_container<T, backing::Tree> {
  using type = std::set<T>;
};
struct never_combine {
  template <class T>
  bool operator()(T&, const T&) const {
    return false;
  }
};
}  // namespace detail

template <std::totally_ordered T, class Backing = backing::Flat>
class SetUnion {
  static constexpr bool flat = std::is_same_v<Backing, backing::Flat>;

 public:
  using value_type = T;
  using backing_type = Backing;
  using container_type = typename detail::set_container<T, Backing>::type;
  using const_iterator = typename container_type::const_iterator;

  SetUnion() = default;
  SetUnion(std::initializer_list<T> elements) : SetUnion(elements.begin(), elements.end()) {}
  /// Bulk construction: O(n log n).
  template <std::input_iterator It, std::sentinel_for<It> S>
  SetUnion(It first, S last) {
    if constexpr (flat) {
      std::vector<T> sorted;
      for (; first != last; ++first) sorted.push_back(detail::require_ordered(*first));
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      items_ = container_type(std::move(sorted));
    } else {
      for (; first != last; ++first) items_.insert(detail::require_ordered(*first));
    }
  }

  /// Adds x; returns whether it was new.
  bool insert(T x) {
    detail::require_ordered(x);
    if constexpr (flat) {
      return items_.upsert(std::move(x), detail::never_combine{});
    } else {
      return items_.insert(std::move(x)).second;
    }
  }

  bool contains(const T& x) const {
    if constexpr (flat) {
      return items_.find(x) != nullptr;
    } else {
      return items_.contains(x);
    }
  }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  /// Ordered for Flat and Tree; unordered for Hash.
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }

  bool merge(const SetUnion& other) {
    if constexpr (flat) {
      return items_.merge(other.items_, detail::never_combine{});
    } else {
      bool changed = false;
      for (const T& x : other.items_) changed |= items_.insert(x).second;
      return changed;
    }
  }
  bool merge(SetUnion&& other) {
    if (items_.empty() && !other.items_.empty()) {
      items_ = std::move(other.items_);
      return true;
    }
    if constexpr (flat) {
      return items_.merge(std::move(other.items_), detail::never_combine{});
    } else {
      return merge(std::as_const(other));
    }
  }

  std::partial_ordering compare(const SetUnion& other) const {
    if constexpr (flat) {
      bool only_here = false, only_there = false;
      container_type::zip(
          items_, other.items_,
          [&](const T&) {
            only_here = true;
            return !only_there;
          },
          [&](const T&) {
            only_there = true;
            return !only_here;
          },
          [](const T&, const T&) { return true; });
      if (only_here && only_there) return std::partial_ordering::unordered;
      if (only_here) return std::partial_ordering::greater;
      if (only_there) return std::partial_ordering::less;
      return std::partial_ordering::equivalent;
    } else {
      const bool here_smaller = size() <= other.size();
      const auto& small = here_smaller ? items_ : other.items_;
      const auto& large = here_smaller ? other.items_ : items_;
      const bool subset =
          std::all_of(small.begin(), small.end(), [&](const T& x) { return large.contains(x); });
      if (!subset) return std::partial_ordering::unordered;
      if (size() == other.size()) return std::partial_ordering::equivalent;
      return here_smaller ? std::partial_ordering::less : std::partial_ordering::greater;
    }
  }

  bool is_bot() const { return items_.empty(); }

  /// One singleton per element.
  std::vector<SetUnion> atomize() const {
    std::vector<SetUnion> atoms;
    atoms.reserve(size());
    for (const T& x : items_) atoms.push_back(SetUnion{x});
    return atoms;
  }
  /// The elements of *this missing from `other`.
  SetUnion delta(const SetUnion& other) const {
    std::vector<T> missing;
    for (const T& x : items_) {
      if (!other.contains(x)) missing.push_back(x);
    }
    if constexpr (flat) {
      SetUnion out;  // iteration was in order: adopt the elements without sorting them again
      out.items_ = container_type(std::move(missing));
      return out;
    } else {
      return SetUnion(missing.begin(), missing.end());
    }
  }

  friend bool operator==(const SetUnion& a, const SetUnion& b) { return a.items_ == b.items_; }

  friend std::ostream& operator<<(std::ostream& os, const SetUnion& s) {
    os << "SetUnion{";
    const char* sep = "";
    for (const T* x : s.sorted_pointers()) {
      os << sep << *x;
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, size());
    for (const T* x : sorted_pointers()) detail::save_value(ar, *x);
  }
  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t n = detail::load_size(ar);
    std::vector<T> sorted;
    sorted.reserve(detail::bounded_reserve(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      T x{};
      detail::load_value(ar, x);
      detail::decode_require(sorted.empty() || sorted.back() < x,
                             "calm: SetUnion elements are not strictly increasing");
      sorted.push_back(std::move(x));
    }
    if constexpr (flat) {
      items_ = container_type(std::move(sorted));
    } else {
      items_ = container_type(std::make_move_iterator(sorted.begin()),
                              std::make_move_iterator(sorted.end()));
    }
  }

 private:
  std::vector<const T*> sorted_pointers() const {
    std::vector<const T*> out;
    out.reserve(size());
    for (const T& x : items_) out.push_back(&x);
    if constexpr (std::is_same_v<Backing, backing::Hash>) {
      std::sort(out.begin(), out.end(), [](const T* a, const T* b) { return *a < *b; });
    }
    return out;
  }

  container_type items_;
};

/// The grow-only set of the CRDT literature is SetUnion itself.
template <class T, class Backing = backing::Flat>
using GSet = SetUnion<T, Backing>;

}  // namespace calm::lattices
