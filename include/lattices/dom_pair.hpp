#pragma once
/// DomPair<K, V>: the lexicographic pair; a greater key wins outright, equal keys merge values.
///
/// Order:  (k1, v1) < (k2, v2)  iff  k1 < k2, or k1 == k2 and v1 < v2.
///         Keys that are concurrent (unordered) make the pairs unordered.
/// Bottom: (K{}, V{}).   Top: none in general.
/// Merge:  one key comparison, then at most one value merge or a copy.
///
/// When is it a lattice? Always, for any lattices K and V: two pairs whose keys are
/// concurrent join to (join(k1, k2), V{}). That pair is above both (its key is strictly
/// greater than each), and every other upper bound is above it, so it is the least upper
/// bound, and merge is associative, commutative and idempotent whatever K is. With a chain as
/// the key (Max<T>, a timestamp) concurrency never happens and DomPair is last-writer-wins.
///
/// Rationale: Hydro's DomPair merges both keys and values when keys are concurrent, which is
/// not associative unless K is a chain; Anna's last-writer-wins is not commutative on equal
/// timestamps. The rule above is the only lawful choice for a general key: a value written
/// under a concurrent key is dropped, because no value is above both. Use Causal<L> or
/// MVRegister to keep concurrent values instead. proptests/ checks both the lawful rule and
/// that the harness rejects Hydro's.
#include <compare>
#include <ostream>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <Lattice K, Lattice V>
class DomPair {
 public:
  using key_type = K;
  using value_type = V;

  DomPair() = default;
  DomPair(K key, V value) : key_(std::move(key)), value_(std::move(value)) {}

  const K& key() const { return key_; }
  const V& value() const { return value_; }

  bool merge(const DomPair& other) {
    const std::partial_ordering by_key = ::calm::lattices::compare(key_, other.key_);
    if (by_key == 0) return ::calm::lattices::merge(value_, other.value_);
    if (by_key > 0) return false;
    if (by_key < 0) {
      key_ = other.key_;
      value_ = other.value_;
      return true;
    }
    ::calm::lattices::merge(key_, other.key_);
    value_ = V{};
    return true;
  }

  std::partial_ordering compare(const DomPair& other) const {
    const std::partial_ordering by_key = ::calm::lattices::compare(key_, other.key_);
    return by_key == 0 ? ::calm::lattices::compare(value_, other.value_) : by_key;
  }

  bool is_bot() const { return ::calm::lattices::is_bot(key_) && ::calm::lattices::is_bot(value_); }

  /// Bottom if `other` already dominates *this; under an equal key, the key with the value's
  /// delta; otherwise *this.
  DomPair delta(const DomPair& other) const {
    DomPair probe = other;
    if (!probe.merge(*this)) return {};
    const std::partial_ordering by_key = ::calm::lattices::compare(key_, other.key_);
    if (by_key == std::partial_ordering::unordered) {
      return DomPair{key_, V{}};  // the join drops both values: the key alone reaches it
    }
    if constexpr (DeltaLattice<V>) {
      if (by_key == 0) return DomPair{key_, ::calm::lattices::delta(value_, other.value_)};
    }
    return *this;
  }

  friend bool operator==(const DomPair&, const DomPair&) = default;

  friend std::ostream& operator<<(std::ostream& os, const DomPair& p) {
    return os << "DomPair(" << p.key_ << ", " << p.value_ << ')';
  }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(key_, value_);
  }

 private:
  K key_{};
  V value_{};
};

}  // namespace calm::lattices
