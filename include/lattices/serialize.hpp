#pragma once
/// Bytes in, bytes out: `to_bytes(value)` and `from_bytes<L>(bytes)` in cereal's portable
/// binary format (little-endian on every machine), the format the golden-bytes tests pin;
/// `encoded_size(value)`, to_bytes's size without the string. detail/output_archive.hpp
/// writes it, detail/input_archive.hpp reads it.
///
/// `from_bytes` throws `DecodeError` for truncated input, trailing bytes, and values that are
/// not in canonical form; it never reads past the input, and it refuses any length or count
/// larger than the bytes still unread before allocating for it (detail/input_archive.hpp), so
/// decoding n bytes allocates O(n).
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lattices/core.hpp"
#include "lattices/detail/input_archive.hpp"
#include "lattices/detail/output_archive.hpp"

namespace calm::lattices {

namespace detail {

/// Encodes `value` into `out` (or only counts, `out` null); returns the byte count.
template <class T>
std::size_t encode(const T& value, std::string* out) {
  StringOutputArchive archive(out);
  archive(value);
  return archive.count();
}

}  // namespace detail

template <class T>
std::string to_bytes(const T& value) {
  std::string bytes;
  detail::encode(value, &bytes);
  return bytes;
}

/// to_bytes(value).size(), without making the string: the value is encoded into a counter.
/// For a check of a size bound on a hot path (does a delta fit in one message?).
template <class T>
std::size_t encoded_size(const T& value) {
  return detail::encode(value, nullptr);
}

template <class T>
T from_bytes(std::string_view bytes) {
  T value{};
  try {
    detail::BoundedInputArchive archive(bytes);
    archive(value);
    if (archive.remaining() != 0) {
      throw DecodeError("calm: trailing bytes after a complete value");
    }
  } catch (const cereal::Exception& e) {
    throw DecodeError(std::string("calm: malformed input: ") + e.what());
  } catch (const std::length_error& e) {
    // A length calm does not bound itself (an element type with its own cereal loader).
    throw DecodeError(std::string("calm: a length in the input is too large: ") + e.what());
  } catch (const std::invalid_argument& e) {
    // A value a type's own check refuses (a dot counter of 0, an empty dot range).
    throw DecodeError(std::string("calm: invalid value: ") + e.what());
  } catch (const std::domain_error& e) {
    throw DecodeError(std::string("calm: invalid value: ") + e.what());  // a NaN
  }
  // std::bad_alloc is not bad input (every length is bounded by the bytes present): it
  // propagates, and a caller never takes running out of memory for a malformed value.
  return value;
}

}  // namespace calm::lattices
