#pragma once
/// The shared machinery of Max, Min, Or and And: a value from a total order, merged by keeping
/// the greater (Up) or the lesser (Down). Each public type derives from it so that its name
/// shows in diagnostics and counterexamples.
#include <cmath>
#include <compare>
#include <concepts>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices::detail {

enum class Direction { up, down };

template <class T, Direction D>
constexpr T extremum_bottom() {
  using limits = std::numeric_limits<T>;
  if constexpr (D == Direction::up) {
    if constexpr (limits::has_infinity)
      return -limits::infinity();
    else if constexpr (limits::is_specialized)
      return limits::lowest();
    else
      return T{};
  } else {
    if constexpr (limits::has_infinity)
      return limits::infinity();
    else
      return limits::max();
  }
}

template <class T, Direction D>
constexpr bool extremum_has_top = std::numeric_limits<T>::is_specialized;

template <class T, Direction D>
constexpr T extremum_top() {
  return extremum_bottom < T, D == Direction::up ? Direction::down : Direction::up > ();
}

template <class Self, class T, Direction D>
class Extremum {
 public:
  using value_type = T;

  constexpr Extremum() = default;
  constexpr explicit Extremum(T value) : value_(std::move(value)) {
    if constexpr (std::is_floating_point_v<T>) {
      // NaN is unordered with everything, so merges would disagree across replicas.
      require_ordered(value_);
      value_ += T{0};  // -0.0 becomes +0.0 (one zero, one encoding) without a branch
    }
  }

  constexpr bool merge(const Self& other) {
    if (better(other.value_, value_)) {
      value_ = other.value_;
      return true;
    }
    return false;
  }

  constexpr std::partial_ordering compare(const Self& other) const {
    if (value_ == other.value_) return std::partial_ordering::equivalent;
    return better(other.value_, value_) ? std::partial_ordering::less
                                        : std::partial_ordering::greater;
  }

  /// The greatest element, where T has a known greatest (or least, for Min) value.
  static constexpr Self top() requires extremum_has_top<T, D> { return Self{extremum_top<T, D>()}; }

  constexpr bool is_bot() const { return value_ == extremum_bottom<T, D>(); }
  constexpr bool is_top() const requires extremum_has_top<T, D> {
    return value_ == extremum_top<T, D>();
  }
  constexpr const T& reveal() const { return value_; }

  /// A chain has one atom per non-bottom value: the value itself.
  std::vector<Self> atomize() const {
    if (is_bot()) return {};
    return {self()};
  }
  Self delta(const Self& other) const { return better(value_, other.value_) ? self() : Self{}; }

  friend constexpr bool operator==(const Extremum&, const Extremum&) = default;

  friend std::ostream& operator<<(std::ostream& os, const Extremum& x) {
    os << Self::name << '(';
    if constexpr (std::is_same_v<T, bool>) {
      os << (x.value_ ? "true" : "false");
    } else {
      os << x.value_;
    }
    return os << ')';
  }

  template <class Archive>
  void save(Archive& ar) const {
    save_value(ar, value_);
  }
  template <class Archive>
  void load(Archive& ar) {
    load_value(ar, value_);
  }

 private:
  static constexpr bool better(const T& a, const T& b) {
    if constexpr (D == Direction::up)
      return b < a;
    else
      return a < b;
  }
  const Self& self() const { return static_cast<const Self&>(*this); }

  T value_ = extremum_bottom<T, D>();
};

}  // namespace calm::lattices::detail
