#pragma once
/// ORMap<K, V, Id>: an observed-remove map of CRDTs. update(id, key, fn) runs fn on the value
/// at key (fn mutates it and returns its delta); remove(key) takes away exactly the effects on
/// that key it has seen. An update concurrent with a remove survives with only its own effect:
/// a nested counter removed at 10 while another replica adds 1 reads 1, not 11.
///
/// How values are kept, by kind (ormap_value<V> below):
///   - dot-based CRDTs (AWSet, RWSet, MVRegister, EWFlag, DWFlag, ORMap): nested directly,
///     sharing the map's context, as in Almeida et al.;
///   - any other lattice (LWWRegister, TwoPSet, Max, ...): each update's delta under its own
///     dot, the value being their join;
///   - GCounter and PNCounter: each update's increments under its own dot, the value their sum.
/// The last two keep one dot per update made since the key was last removed.
///
/// Order:  Dotted<DotMap<K, ...>>'s.   Bottom: the empty map.   Top: none.
/// Merge:  O(|a| + |b|) entries, nested stores joined key by key. A small delta (what update
///         and remove return, or a few of them joined) into a map of n keys: O((k + c) log n
///         + the touched keys' values) for k keys and c context dots, plus the moves of one
///         chunk of entries (at most 128) for a new or vanished key; DotMap's small-delta join
///         (dot_store.hpp).
#include <cstdint>
#include <ostream>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/detail/dotted_crdt.hpp"
#include "lattices/g_counter.hpp"
#include "lattices/pn_counter.hpp"

namespace calm::lattices {

/// How ORMap stores a value of type V. Specialize it for a value type whose deltas are not its
/// effects (as the counters' running totals are not).
template <class V, class Id>
struct ormap_value {
  static_assert(Lattice<V>, "ORMap's values must be lattices or CRDTs");
  using store = DotFun<V, Id>;

  static V read(const store& s) {
    V value{};
    for (const auto& entry : s) ::calm::lattices::merge(value, entry.second);
    return value;
  }
  /// An update with no effect is never stored.
  static bool valid(const store& s) {
    for (const auto& entry : s) {
      if (::calm::lattices::is_bot(entry.second)) return false;
    }
    return true;
  }
  /// Runs fn on the current value; returns the update's (store, context) delta for the key.
  template <class Fn>
  static std::pair<store, DotContext<Id>> update(const store* s, const DotContext<Id>& context,
                                                 const Id& id, Fn& fn) {
    V value = s ? read(*s) : V{};
    V effect = fn(value);
    if (::calm::lattices::is_bot(effect)) return {};
    const Dot<Id> d = context.next(id);
    return {store{{d, std::move(effect)}}, DotContext<Id>{d}};
  }
};

/// Dot-based CRDTs nest natively: the value is the key's dot store with the map's context.
template <class V, class Id>
requires requires {
  typename V::dotted_type;
} && std::is_constructible_v<V, typename V::dotted_type>
struct ormap_value<V, Id> {
  using store = typename V::dotted_type::store_type;

  static V read(const store& s) {
    DotContext<Id> seen;
    s.for_each_dot([&](const Dot<Id>& d) { seen.insert(d); });
    return V(typename V::dotted_type(s, std::move(seen)));
  }
  static bool valid(const store&) { return true; }
  template <class Fn>
  static std::pair<store, DotContext<Id>> update(const store* s, const DotContext<Id>& context,
                                                 const Id& id, Fn& fn) {
    (void)id;  // fn's mutators take the replica id themselves
    V value(typename V::dotted_type(s ? *s : store{}, context));
    V effect = fn(value);
    return {effect.dotted().store(), effect.dotted().context()};
  }
};

namespace detail {

/// What one update did to a counter: its increments and decrements, credited to the dot's
/// replica. Summing the surviving updates (not joining them) gives the value, so a remove
/// takes away exactly the increments it saw.
struct CounterUpdate {
  std::uint64_t up = 0;
  std::uint64_t down = 0;
  friend bool operator==(const CounterUpdate&, const CounterUpdate&) = default;
  friend std::ostream& operator<<(std::ostream& os, const CounterUpdate& u) {
    return os << '+' << u.up << "/-" << u.down;
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(up, down);
  }
};

template <class Counter, class Id>
struct counter_value {
  static constexpr bool signed_counter = std::is_same_v<Counter, PNCounter<Id>>;
  using store = DotFun<CounterUpdate, Id>;

  static Counter read(const store& s) {
    Counter value;
    for (const auto& [d, u] : s) {
      if (u.up != 0) value.increment(d.replica, u.up);
      if constexpr (signed_counter) {
        if (u.down != 0) value.decrement(d.replica, u.down);
      }
    }
    return value;
  }
  /// An update with no effect is never stored.
  static bool valid(const store& s) {
    for (const auto& entry : s) {
      if (entry.second.up == 0 && entry.second.down == 0) return false;
      if (!signed_counter && entry.second.down != 0) return false;
    }
    return true;
  }
  template <class Fn>
  static std::pair<store, DotContext<Id>> update(const store* s, const DotContext<Id>& context,
                                                 const Id& id, Fn& fn) {
    Counter value = s ? read(*s) : Counter{};
    const auto [up_before, down_before] = totals(value);
    (void)fn(value);
    const auto [up_after, down_after] = totals(value);
    // One update's change: below 2^64 on each side (a replica's total moves by at most n).
    const CounterUpdate u{static_cast<std::uint64_t>(up_after - up_before),
                          static_cast<std::uint64_t>(down_after - down_before)};
    if (u.up == 0 && u.down == 0) return {};
    const Dot<Id> d = context.next(id);
    return {store{{d, u}}, DotContext<Id>{d}};
  }

 private:
  /// The counter's two totals, exactly (each sum of replicas' totals may pass UINT64_MAX).
  static std::pair<uint128, uint128> totals(const Counter& c) {
    if constexpr (signed_counter) {
      return {c.increments().wide_value(), c.decrements().wide_value()};
    } else {
      return {c.wide_value(), 0};
    }
  }
};

}  // namespace detail

template <class Id>
struct ormap_value<GCounter<Id>, Id> : detail::counter_value<GCounter<Id>, Id> {};
template <class Id>
struct ormap_value<PNCounter<Id>, Id> : detail::counter_value<PNCounter<Id>, Id> {};

template <std::totally_ordered K, class V, std::totally_ordered Id = std::uint64_t>
class ORMap
    : public detail::DottedCrdt<ORMap<K, V, Id>, DotMap<K, typename ormap_value<V, Id>::store>> {
  using Value = ormap_value<V, Id>;
  using Entries = DotMap<K, typename Value::store>;
  using Base = detail::DottedCrdt<ORMap<K, V, Id>, Entries>;

 public:
  using Base::Base;
  using key_type = K;
  using mapped_type = V;

  /// Runs fn(V&) on the value at key (bottom if absent); fn returns the value's delta.
  template <class Fn>
  ORMap update(const Id& id, const K& key, Fn&& fn) {
    detail::require_ordered(key);
    auto [store, context] = Value::update(this->store().find(key), this->context(), id, fn);
    Entries entries;
    entries.set(key, std::move(store));
    return this->apply(std::move(entries), std::move(context));
  }
  /// Removes the key's value as this replica sees it.
  ORMap remove(const K& key) {
    const auto* store = this->store().find(key);
    return this->apply({}, store ? Base::observed(*store) : DotContext<Id>{});
  }
  /// Removes every key as this replica sees it.
  ORMap clear() { return this->apply({}, Base::observed(this->store())); }

  /// The value at key; bottom when absent.
  V get(const K& key) const {
    const auto* store = this->store().find(key);
    return store ? Value::read(*store) : V{};
  }
  bool contains(const K& key) const { return this->store().find(key) != nullptr; }
  std::size_t size() const { return this->store().size(); }
  bool empty() const { return this->store().empty(); }
  /// The keys, sorted.
  std::vector<K> keys() const {
    std::vector<K> out;
    out.reserve(size());
    for (const auto& entry : this->store()) out.push_back(entry.first);
    return out;
  }

  /// Called after decoding: a key's value holds no update without effect.
  void check_decoded() const {
    for (const auto& entry : this->store()) {
      detail::decode_require(Value::valid(entry.second),
                             "calm: an ORMap value holds an update without effect");
    }
  }

  friend std::ostream& operator<<(std::ostream& os, const ORMap& m) {
    return os << "ORMap" << m.dotted();
  }
};

}  // namespace calm::lattices
