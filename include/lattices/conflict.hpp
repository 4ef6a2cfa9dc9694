#pragma once
/// Conflict<T>: bottom, one value, or top when replicas disagree.
///
/// Order:  bottom < Conflict{x} < top; two different values are unordered, joining to top.
/// Bottom: the empty Conflict.   Top: the conflict marker (is_top).   Merge: O(1) + one T ==.
///
/// Rationale: the total version of Point, for values that should agree but where
/// disagreement must be observed rather than thrown (is_top() reports it).
#include <concepts>
#include <cstdint>
#include <optional>
#include <ostream>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <std::equality_comparable T>
class Conflict {
 public:
  using value_type = T;

  Conflict() = default;
  explicit Conflict(T value) : value_(std::move(value)) { detail::require_ordered(*value_); }

  /// The top element: what two different values join to.
  static Conflict top() {
    Conflict c;
    c.top_ = true;
    return c;
  }

  bool merge(const Conflict& other) {
    if (top_ || other.is_bot()) return false;
    if (other.top_ || (value_ && *value_ != *other.value_)) {
      value_.reset();
      top_ = true;
      return true;
    }
    if (value_) return false;
    value_ = other.value_;
    return true;
  }

  std::partial_ordering compare(const Conflict& other) const {
    const int r = rank(), o = other.rank();
    if (r != o) return r < o ? std::partial_ordering::less : std::partial_ordering::greater;
    if (r == 1 && *value_ != *other.value_) return std::partial_ordering::unordered;
    return std::partial_ordering::equivalent;
  }

  bool is_bot() const { return !top_ && !value_; }
  bool is_top() const { return top_; }
  /// The agreed value; empty at bottom and at top.
  const std::optional<T>& reveal() const { return value_; }

  Conflict delta(const Conflict& other) const {
    Conflict probe = other;
    return probe.merge(*this) ? *this : Conflict{};
  }

  friend bool operator==(const Conflict&, const Conflict&) = default;

  friend std::ostream& operator<<(std::ostream& os, const Conflict& c) {
    if (c.top_) return os << "Conflict(top)";
    if (!c.value_) return os << "Conflict(bot)";
    return os << "Conflict(" << *c.value_ << ')';
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint8_t>(rank()));
    if (value_) detail::save_value(ar, *value_);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t state = 0;
    ar(state);
    detail::decode_require(state <= 2, "calm: Conflict state is not bottom, value or top");
    value_.reset();
    top_ = state == 2;
    if (state == 1) {
      T value{};
      detail::load_value(ar, value);
      value_ = std::move(value);
    }
  }

 private:
  int rank() const { return top_ ? 2 : value_ ? 1 : 0; }

  std::optional<T> value_;
  bool top_ = false;
};

}  // namespace calm::lattices
