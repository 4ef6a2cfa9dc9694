#pragma once
/// MapUnion<K, L>: a map whose values are lattices, merged key by key.
///
/// Order:  a <= b  iff every key of a is in b with a[k] <= b[k].
/// Bottom: the empty map. A key mapped to bottom is the same as an absent key.
/// Top:    none.
/// Merge:  O(|a| + |b|) for a large delta, one linear pass over sorted entries;
///         O(k log n + sqrt(n)) for a delta of k <= sqrt(n) keys, without copying the map.
///
/// Rationale: keys mapped to bottom are never stored, so that equality and the order do not
/// depend on how a value was built; iteration is in key order.
#include <compare>
#include <concepts>
#include <initializer_list>
#include <iterator>
#include <ostream>
#include <utility>
#include <vector>

#include "lattices/detail/flat_store.hpp"
#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <std::totally_ordered K, Lattice L>
class MapUnion {
 public:
  using key_type = K;
  using mapped_type = L;
  using value_type = std::pair<K, L>;

 private:
  struct key_of {
    const K& operator()(const value_type& e) const { return e.first; }
  };
  using store_type = detail::FlatStore<value_type, key_of>;
  static constexpr auto merge_values = [](value_type& existing, const value_type& incoming) {
    return ::calm::lattices::merge(existing.second, incoming.second);
  };

 public:
  using const_iterator = typename store_type::const_iterator;

  MapUnion() = default;
  /// Entries with equal keys are merged; entries mapped to bottom are dropped.
  MapUnion(std::initializer_list<value_type> entries) : MapUnion(entries.begin(), entries.end()) {}
  template <std::input_iterator It, std::sentinel_for<It> S>
  MapUnion(It first, S last) {
    std::vector<value_type> sorted;
    for (; first != last; ++first) {
      detail::require_ordered(first->first);
      if (!::calm::lattices::is_bot(first->second)) sorted.emplace_back(*first);
    }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const value_type& a, const value_type& b) { return a.first < b.first; });
    std::vector<value_type> unique;
    unique.reserve(sorted.size());
    for (auto& e : sorted) {
      if (!unique.empty() && !(unique.back().first < e.first)) {
        ::calm::lattices::merge(unique.back().second, e.second);
      } else {
        unique.push_back(std::move(e));
      }
    }
    entries_ = store_type(std::move(unique));
  }

  /// The value at `key`, bottom when absent.
  const L& get(const K& key) const {
    static const L bottom{};
    const value_type* e = entries_.find(key);
    return e ? e->second : bottom;
  }
  bool contains(const K& key) const { return entries_.find(key) != nullptr; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

  /// Merges `value` into the entry at `key`; returns whether the map changed.
  bool merge_at(K key, L value) {
    detail::require_ordered(key);
    if (::calm::lattices::is_bot(value)) return false;
    return entries_.upsert(value_type{std::move(key), std::move(value)}, merge_values);
  }

  bool merge(const MapUnion& other) { return entries_.merge(other.entries_, merge_values); }
  bool merge(MapUnion&& other) { return entries_.merge(std::move(other.entries_), merge_values); }

  std::partial_ordering compare(const MapUnion& other) const {
    auto order = std::partial_ordering::equivalent;
    auto note = [&](std::partial_ordering o) {
      order = detail::combine(order, o);
      return order != std::partial_ordering::unordered;
    };
    store_type::zip(
        entries_, other.entries_,
        [&](const value_type&) { return note(std::partial_ordering::greater); },
        [&](const value_type&) { return note(std::partial_ordering::less); },
        [&](const value_type& a, const value_type& b) {
          return note(::calm::lattices::compare(a.second, b.second));
        });
    return order;
  }

  bool is_bot() const { return entries_.empty(); }

  /// One atom per (key, atom of the value).
  std::vector<MapUnion> atomize() const requires Atomizable<L> {
    std::vector<MapUnion> atoms;
    for (const auto& [key, value] : entries_) {
      for (L& part : ::calm::lattices::atomize(value)) {
        MapUnion atom;
        atom.merge_at(key, std::move(part));
        atoms.push_back(std::move(atom));
      }
    }
    return atoms;
  }

  /// Per key: the whole value where `other` lacks the key, else the value's own delta.
  MapUnion delta(const MapUnion& other) const requires DeltaLattice<L> {
    std::vector<value_type> out;
    store_type::zip(
        entries_, other.entries_,
        [&](const value_type& a) {
          out.push_back(a);
          return true;
        },
        [](const value_type&) { return true; },
        [&](const value_type& a, const value_type& b) {
          L d = ::calm::lattices::delta(a.second, b.second);
          if (!::calm::lattices::is_bot(d)) out.emplace_back(a.first, std::move(d));
          return true;
        });
    MapUnion result;
    result.entries_ = store_type(std::move(out));
    return result;
  }

  friend bool operator==(const MapUnion& a, const MapUnion& b) { return a.entries_ == b.entries_; }

  friend std::ostream& operator<<(
      std::ostream& os, const MapUnion& m) requires detail::printable<K> && detail::printable<L> {
    os << "MapUnion{";
    const char* sep = "";
    for (const auto& [key, value] : m.entries_) {
      os << sep << key << ": " << value;
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, size());
    for (const auto& [key, value] : entries_) {
      detail::save_value(ar, key);
      ar(value);
    }
  }
  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t n = detail::load_size(ar);
    std::vector<value_type> sorted;
    sorted.reserve(detail::bounded_reserve(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      value_type e{};
      detail::load_value(ar, e.first);
      ar(e.second);
      detail::decode_require(sorted.empty() || sorted.back().first < e.first,
                             "calm: MapUnion keys are not strictly increasing");
      detail::decode_require(!::calm::lattices::is_bot(e.second),
                             "calm: MapUnion holds a key mapped to bottom");
      sorted.push_back(std::move(e));
    }
    entries_ = store_type(std::move(sorted));
  }

 private:
  store_type entries_;
};

}  // namespace calm::lattices
