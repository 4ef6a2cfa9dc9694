#include "kvs/decimal.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "lattices/assert.hpp"

namespace calm::apps::kvs {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// |a| compared with |b|, both digit strings of the same scale with no leading zeros.
int compare_magnitudes(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

/// a + b, digit strings (most significant first).
std::string add_magnitudes(const std::string& a, const std::string& b) {
  std::string out;
  out.reserve(std::max(a.size(), b.size()) + 1);
  int carry = 0;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
    int sum = carry;
    if (i < a.size()) sum += a[a.size() - 1 - i] - '0';
    if (i < b.size()) sum += b[b.size() - 1 - i] - '0';
    out.push_back(static_cast<char>('0' + sum % 10));
    carry = sum / 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

/// a - b for a >= b, digit strings.
std::string subtract_magnitudes(const std::string& a, const std::string& b) {
  std::string out;
  out.reserve(a.size());
  int borrow = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    int d = (a[a.size() - 1 - i] - '0') - borrow - (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
    borrow = d < 0 ? 1 : 0;
    out.push_back(static_cast<char>('0' + d + 10 * borrow));
  }
  CALM_ASSERT(borrow == 0, "subtract_magnitudes takes a >= b");
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace

Decimal Decimal::of_integer(std::string_view digits_with_sign) {
  auto parsed = parse(digits_with_sign);
  CALM_ASSERT(parsed.has_value(), "an integer's decimal text parses");
  return *parsed;
}

std::optional<Decimal> Decimal::parse(std::string_view text) {
  Decimal d;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) d.negative_ = text[i++] == '-';
  bool any_digit = false, point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (is_digit(c)) {
      any_digit = true;
      if (d.digits_.size() >= decimal_digits_max) return std::nullopt;
      d.digits_.push_back(c);
      if (point) ++d.scale_;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any_digit) return std::nullopt;
  std::int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exponent_negative = text[i++] == '-';
    bool any_exponent_digit = false;
    for (; i < text.size() && is_digit(text[i]); ++i) {
      any_exponent_digit = true;
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > static_cast<std::int64_t>(decimal_digits_max)) return std::nullopt;
    }
    if (!any_exponent_digit) return std::nullopt;
    if (exponent_negative) exponent = -exponent;
  }
  if (i != text.size()) return std::nullopt;
  // Apply the exponent to the scale: a positive one moves the point right (trailing zeros
  // when it passes the digits), a negative one left.
  if (exponent >= 0) {
    const auto moved = static_cast<std::size_t>(exponent);
    if (moved <= d.scale_) {
      d.scale_ -= moved;
    } else {
      if (d.digits_.size() + (moved - d.scale_) > decimal_digits_max) return std::nullopt;
      d.digits_.append(moved - d.scale_, '0');
      d.scale_ = 0;
    }
  } else {
    d.scale_ += static_cast<std::size_t>(-exponent);
  }
  d.normalize();
  if (d.digits_.size() > decimal_digits_max || d.scale_ > decimal_digits_max) return std::nullopt;
  return d;
}

void Decimal::normalize() {
  // The value is digits_ * 10^-scale_: trailing zeros of the fraction go with the scale, and
  // leading zeros mean nothing (text() puts back those after the point).
  std::size_t trailing = 0;
  while (trailing < scale_ && trailing < digits_.size() &&
         digits_[digits_.size() - 1 - trailing] == '0') {
    ++trailing;
  }
  digits_.resize(digits_.size() - trailing);
  scale_ -= trailing;
  const std::size_t first = digits_.find_first_not_of('0');
  digits_.erase(0, first == std::string::npos ? digits_.size() : first);
  if (digits_.empty()) {
    negative_ = false;
    scale_ = 0;
  }
}

std::optional<Decimal> operator+(const Decimal& a, const Decimal& b) {
  // Zero has no digits: padded to the other's scale it would be all zeros, which the magnitude
  // comparison (by length first) would take for the larger.
  if (a.is_zero()) return b;
  if (b.is_zero()) return a;
  // Both at the larger scale; neither has leading zeros, so their lengths compare them.
  const std::size_t scale = std::max(a.scale_, b.scale_);
  std::string x = a.digits_ + std::string(scale - a.scale_, '0');
  std::string y = b.digits_ + std::string(scale - b.scale_, '0');
  Decimal out;
  out.scale_ = scale;
  if (a.negative_ == b.negative_) {
    out.negative_ = a.negative_;
    out.digits_ = add_magnitudes(x, y);
  } else if (compare_magnitudes(x, y) >= 0) {
    out.negative_ = a.negative_;
    out.digits_ = subtract_magnitudes(x, y);
  } else {
    out.negative_ = b.negative_;
    out.digits_ = subtract_magnitudes(y, x);
  }
  out.normalize();
  if (out.digits_.size() > decimal_digits_max) return std::nullopt;
  return out;
}

std::optional<Decimal> operator-(const Decimal& a, const Decimal& b) {
  Decimal negated = b;
  if (!negated.is_zero()) negated.negative_ = !negated.negative_;
  return a + negated;
}

std::string Decimal::text() const {
  if (digits_.empty()) return "0";
  std::string out;
  if (negative_) out.push_back('-');
  if (digits_.size() <= scale_) {
    out += "0.";
    out.append(scale_ - digits_.size(), '0');
    out += digits_;
    return out;
  }
  out.append(digits_, 0, digits_.size() - scale_);
  if (scale_ > 0) {
    out.push_back('.');
    out.append(digits_, digits_.size() - scale_, scale_);
  }
  return out;
}

}  // namespace calm::apps::kvs
