#pragma once
/// LWWRegister<T, Id>: a last-writer-wins register; the write with the greatest
/// (timestamp, writer, value) is the register's value.
///
/// Order:  bottom (never written) below every write; two writes ordered by their timestamp,
///         then by writer id, then by value (lexicographically): a chain, never concurrent.
/// Bottom: never written: value() is nullopt.   Top: none.
/// Merge:  one comparison of (timestamp, writer, value) and at most one copy of T.
///
/// Mutator: write(id, value, timestamp) returns the delta, the write itself, whether or not it
/// wins here: merging a losing write (here or anywhere) changes nothing.
///
/// Requires T and Id totally ordered. Timestamps come from a HybridClock (hybrid_clock.hpp),
/// which gives causally later writes greater timestamps and stays close to physical time.
///
/// Rationale: two writes with the same timestamp must not depend on arrival order (Anna's
/// last-writer-wins keeps whichever arrived first, so replicas can disagree forever). Breaking
/// ties by replica id, then by the value itself, makes merge commutative even for two writes
/// that share a timestamp and a replica id (a replica that reuses a timestamp): the greater
/// value wins everywhere. As a chain, a written register is its own single atom, and
/// delta(a, b) is a when a > b, else bottom.
#include <compare>
#include <concepts>
#include <cstdint>
#include <optional>
#include <ostream>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/core.hpp"
#include "lattices/detail/serialization.hpp"
#include "lattices/hybrid_clock.hpp"

namespace calm::lattices {

template <std::totally_ordered T, std::totally_ordered Id = std::uint64_t>
class LWWRegister {
  struct Write {
    HlcTimestamp timestamp;
    Id writer;
    T value;

    /// The order in which writes win.
    friend bool operator<(const Write& a, const Write& b) {
      return std::tie(a.timestamp, a.writer, a.value) < std::tie(b.timestamp, b.writer, b.value);
    }
    friend bool operator==(const Write&, const Write&) = default;
  };

 public:
  using value_type = T;
  using id_type = Id;

  LWWRegister() = default;
  LWWRegister(const LWWRegister&) = default;
  LWWRegister& operator=(const LWWRegister&) = default;
  /// A moved-from register is bottom: std::optional's move would leave it holding the write's
  /// timestamp with a moved-from value, a write nobody made that a later merge would spread.
  /// By swap: moving the optional and then resetting the source made g++ 12 -O3 report a false
  /// -Wmaybe-uninitialized for LWWRegister<std::optional<std::string>> (calm-kvs's register).
  LWWRegister(LWWRegister&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    write_.swap(other.write_);
  }
  LWWRegister& operator=(LWWRegister&& other) noexcept(
      std::is_nothrow_move_assignable_v<std::optional<T>>) {
    if (this == &other) return *this;
    write_.reset();
    write_.swap(other.write_);
    return *this;
  }

  /// Writes `value` at replica `id` with `timestamp`; returns the delta (this write).
  LWWRegister write(const Id& id, T value, HlcTimestamp timestamp) {
    detail::require_ordered(id);
    detail::require_ordered(value);
    LWWRegister delta;
    delta.write_ = Write{timestamp, id, std::move(value)};
    merge(delta);
    return delta;
  }

  /// The winning write's value; nullopt if never written.
  std::optional<T> value() const { return write_ ? std::optional<T>(write_->value) : std::nullopt; }
  std::optional<T> reveal() const { return value(); }
  /// The winning write's value without a copy; null if never written.
  const T* value_ptr() const { return write_ ? &write_->value : nullptr; }
  /// The winning write's timestamp; {0, 0} if never written.
  HlcTimestamp timestamp() const { return write_ ? write_->timestamp : HlcTimestamp{}; }
  /// The replica of the winning write; nullopt if never written.
  std::optional<Id> writer() const {
    return write_ ? std::optional<Id>(write_->writer) : std::nullopt;
  }

  bool merge(const LWWRegister& other) {
    if (!other.write_ || (write_ && !(*write_ < *other.write_))) return false;
    write_ = other.write_;
    return true;
  }
  bool merge(LWWRegister&& other) {
    if (!other.write_ || (write_ && !(*write_ < *other.write_))) return false;
    write_ = std::move(other.write_);
    other.write_.reset();  // bottom, not a write with a moved-from value
    return true;
  }

  std::partial_ordering compare(const LWWRegister& other) const {
    if (!write_ || !other.write_) {
      return static_cast<bool>(write_) <=> static_cast<bool>(other.write_);
    }
    if (*write_ < *other.write_) return std::partial_ordering::less;
    if (*other.write_ < *write_) return std::partial_ordering::greater;
    return std::partial_ordering::equivalent;
  }

  bool is_bot() const { return !write_; }

  /// A written register is one atom (itself); bottom has none.
  std::vector<LWWRegister> atomize() const {
    if (!write_) return {};
    return {*this};
  }
  /// *this if it would win over `other`, else bottom.
  LWWRegister delta(const LWWRegister& other) const {
    return compare(other) == std::partial_ordering::greater ? *this : LWWRegister{};
  }

  friend bool operator==(const LWWRegister&, const LWWRegister&) = default;

  friend std::ostream& operator<<(std::ostream& os, const LWWRegister& r) {
    if (!r.write_) return os << "LWWRegister{}";
    return os << "LWWRegister{" << r.write_->value << " @ " << r.write_->timestamp << " by "
              << r.write_->writer << '}';
  }

  /// Encoding: a presence byte (0 or 1); if 1, the timestamp (wall_ms 8 bytes, logical 4
  /// bytes), the writer, then the value.
  template <class Archive>
  void save(Archive& ar) const {
    detail::save_value(ar, write_.has_value());
    if (!write_) return;
    ar(write_->timestamp);
    detail::save_value(ar, write_->writer);
    detail::save_value(ar, write_->value);
  }
  template <class Archive>
  void load(Archive& ar) {
    bool written = false;
    detail::load_value(ar, written);
    if (!written) {
      write_.reset();
      return;
    }
    Write w{HlcTimestamp{}, Id{}, T{}};
    ar(w.timestamp);
    detail::load_value(ar, w.writer);
    detail::load_value(ar, w.value);
    write_ = std::move(w);
  }

 private:
  std::optional<Write> write_;
};

}  // namespace calm::lattices
