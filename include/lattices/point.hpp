#pragma once
/// Point<T>: bottom, or one value that never changes once set.
///
/// Order:  bottom < Point{x}; two different values are unordered and have no join.
/// Bottom: the empty Point.   Top: none.   Merge: O(1) plus one T comparison.
///
/// Merging two different values throws `PointConflict` (a `JoinUndefined`): Point is a
/// partial lattice, for values that every replica must agree on (a configuration, a decided
/// slot). Use Conflict<T> when disagreement should be a value instead of an error.
#include <concepts>
#include <optional>
#include <ostream>
#include <vector>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

/// Two replicas set a Point to different values.
class PointConflict : public JoinUndefined {
 public:
  using JoinUndefined::JoinUndefined;
};

template <std::equality_comparable T>
class Point {
 public:
  using value_type = T;

  Point() = default;
  explicit Point(T value) : value_(std::move(value)) { detail::require_ordered(*value_); }

  bool merge(const Point& other) {
    if (!other.value_) return false;
    if (!value_) {
      value_ = other.value_;
      return true;
    }
    if (*value_ == *other.value_) return false;
    throw PointConflict("calm: Point merged with a different value");
  }

  std::partial_ordering compare(const Point& other) const {
    if (value_.has_value() != other.value_.has_value()) {
      return value_ ? std::partial_ordering::greater : std::partial_ordering::less;
    }
    if (!value_ || *value_ == *other.value_) return std::partial_ordering::equivalent;
    return std::partial_ordering::unordered;
  }

  bool is_bot() const { return !value_; }
  const std::optional<T>& reveal() const { return value_; }

  std::vector<Point> atomize() const {
    if (!value_) return {};
    return {*this};
  }

  friend bool operator==(const Point&, const Point&) = default;

  friend std::ostream& operator<<(std::ostream& os, const Point& p) {
    if (!p.value_) return os << "Point(bot)";
    return os << "Point(" << *p.value_ << ')';
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint8_t>(value_.has_value()));
    if (value_) detail::save_value(ar, *value_);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t present = 0;
    ar(present);
    detail::decode_require(present <= 1, "calm: Point presence flag is not 0 or 1");
    value_.reset();
    if (present) {
      T value{};
      detail::load_value(ar, value);
      value_ = std::move(value);
    }
  }

 private:
  std::optional<T> value_;
};

}  // namespace calm::lattices
