#pragma once
/// 128-bit integers, for readings that must not overflow: GCounter::wide_value() (the exact
/// sum of its replicas' 64-bit totals) and PNCounter::wide_value() (the exact difference of
/// its two halves). A sum of n totals below 2^64 is below n * 2^64, so it fits in uint128 for
/// fewer than 2^64 replicas and a difference of two such sums fits in int128 for fewer than
/// 2^63: far more replicas than a counter can hold in memory.
///
/// The types are GCC's and Clang's built-in __int128 (an extension, hence `__extension__`,
/// which keeps -Wpedantic quiet). Streams and std::to_string do not know them: to_string here
/// gives the decimal digits.
#include <string>

namespace calm::lattices {

__extension__ using uint128 = unsigned __int128;
__extension__ using int128 = __int128;

namespace detail {
/// The decimal digits of `magnitude`, after a '-' when `negative`. One buffer for both signs:
/// prepending to a std::string trips g++ 12's -Wrestrict false positive (GCC bug 105329).
inline std::string decimal(uint128 magnitude, bool negative) {
  char digits[41];  // a sign and the 39 digits of 2^128 - 1
  char* p = digits + sizeof(digits);
  do {
    *--p = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  if (negative) *--p = '-';
  return std::string(p, digits + sizeof(digits));
}
}  // namespace detail

/// The decimal digits of v.
inline std::string to_string(uint128 v) { return detail::decimal(v, false); }

/// The decimal digits of v, with a '-' when negative.
inline std::string to_string(int128 v) {
  if (v >= 0) return detail::decimal(static_cast<uint128>(v), false);
  // -(v + 1) cannot overflow, even for the least int128.
  return detail::decimal(static_cast<uint128>(-(v + 1)) + 1, true);
}

}  // namespace calm::lattices
