#pragma once
/// Exact decimal numbers, for the decimal counters of INCRBYFLOAT and HINCRBYFLOAT (value.hpp).
///
/// A counter's parts (a register's text, each replica's net increment, the nets removes saw) are
/// summed exactly rather than in long double: exact sums do not depend on the order they are
/// taken in, nor on the machine's long double, so every replica reads the same bytes from the
/// same state; and a sum of texts that INCRBYFLOAT wrote reads back as exactly what it wrote, so
/// a key at one replica reads as Redis's would. Long double stays where Redis uses it: in the
/// command's own sum (the reply), before the result is taken in here as text.
///
/// Bounds: a number is at most `decimal_digits_max` digits; a text that would need more is no
/// decimal here, and a sum that would is refused.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace calm::apps::kvs {

/// The most digits a Decimal holds: enough for any sum of the texts Redis takes as numbers
/// (up to 5 KiB each, so up to about 5,100 digits after the point) with long double's range
/// before it (4,933 digits), and room for a net that removes have grown: a differential run
/// against redis-server hit a bound of 10,000 with a 5,117-digit fraction beside 1e4932.
inline constexpr std::size_t decimal_digits_max = 16'000;

class Decimal {
 public:
  Decimal() = default;  // zero
  /// An integer, exactly (INCRBY's counter part).
  static Decimal of_integer(std::string_view digits_with_sign);
  /// Plain decimal text: an optional sign, digits with at most one point, an optional exponent
  /// (e or E, an optional sign, digits); no spaces. Nothing for anything else (hex floats,
  /// "inf") or past decimal_digits_max.
  static std::optional<Decimal> parse(std::string_view text);

  /// The sum and difference, exactly; nothing past decimal_digits_max.
  friend std::optional<Decimal> operator+(const Decimal& a, const Decimal& b);
  friend std::optional<Decimal> operator-(const Decimal& a, const Decimal& b);
  friend bool operator==(const Decimal& a, const Decimal& b) = default;

  bool is_zero() const { return digits_.empty(); }
  /// As INCRBYFLOAT writes a number: digits, a point and the fraction only when it has one, no
  /// trailing zeros, no exponent; "0" for zero (never "-0").
  std::string text() const;

 private:
  /// Canonical: no leading zeros in the integer part, no trailing zeros in the fraction, zero
  /// positive with no digits.
  void normalize();
  bool negative_ = false;
  std::string digits_;     // the magnitude's digits, most significant first
  std::size_t scale_ = 0;  // how many of them are after the point
};

}  // namespace calm::apps::kvs
