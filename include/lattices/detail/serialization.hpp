#pragma once
/// cereal helpers shared by the lattice headers. Loading never trusts a length from the wire:
/// from_bytes's archive refuses a count larger than the bytes left (input_archive.hpp), and
/// containers grow as elements actually arrive, so a corrupt length fails before allocating
/// gigabytes, with any archive; non-canonical input (unsorted, duplicated, bottom entries) is a
/// DecodeError rather than a value that breaks the type's invariants.
#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "lattices/core.hpp"
#include "lattices/detail/input_archive.hpp"

namespace calm::lattices::detail {

/// Strings are read in chunks of this many bytes, for the same reason.
inline constexpr std::size_t decode_chunk_bytes = 64 * 1024;

inline void decode_require(bool condition, const char* what) {
  if (!condition) throw DecodeError(what);
}

template <class Archive>
void save_size(Archive& ar, std::size_t n) {
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(n)));
}

template <class Archive>
std::uint64_t load_size(Archive& ar) {
  cereal::size_type n = 0;
  ar(cereal::make_size_tag(n));
  return n;
}

inline std::size_t bounded_reserve(std::uint64_t n) {
  return static_cast<std::size_t>(n < decode_reserve_max ? n : decode_reserve_max);
}

template <class Archive, class T>
void save_value(Archive& ar, const T& value) {
  if constexpr (std::is_same_v<T, bool> && !cereal::traits::is_text_archive<Archive>::value) {
    ar(static_cast<std::uint8_t>(value ? 1 : 0));
  } else if constexpr (std::is_floating_point_v<T>) {
    // -0.0 == 0.0, so equal values must share one encoding: zero is always written as +0.0.
    ar(value == T{0} ? T{0} : value);
  } else {
    ar(value);
  }
}

template <class Archive, class T>
void load_value(Archive& ar, T& value) {
  if constexpr (std::is_same_v<T, std::string> &&
                !cereal::traits::is_text_archive<Archive>::value) {
    std::uint64_t remaining = load_size(ar);
    value.clear();
    while (remaining > 0) {
      const std::size_t chunk =
          remaining < decode_chunk_bytes ? static_cast<std::size_t>(remaining) : decode_chunk_bytes;
      const std::size_t old_size = value.size();
      value.resize(old_size + chunk);
      ar(cereal::binary_data(value.data() + old_size, chunk));
      remaining -= chunk;
    }
  } else if constexpr (std::is_same_v<T, bool> &&
                       !cereal::traits::is_text_archive<Archive>::value) {
    // One byte, 0 or 1: cereal would copy the raw byte into the bool, and any other value
    // there is undefined behaviour.
    std::uint8_t byte = 0;
    ar(byte);
    decode_require(byte <= 1, "calm: a bool is not 0 or 1");
    value = byte == 1;
  } else if constexpr (std::is_floating_point_v<T>) {
    ar(value);
    // NaN is unordered (it would break sorted sets and ordered merges); -0.0 is not canonical.
    decode_require(!std::isnan(value), "calm: NaN is not a lattice value");
    decode_require(!(value == T{0} && std::signbit(value)), "calm: -0.0 is not canonical");
  } else {
    ar(value);
  }
}

}  // namespace calm::lattices::detail
