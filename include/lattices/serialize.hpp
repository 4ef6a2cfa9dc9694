#pragma once
/// Bytes in, bytes out: `to_bytes(value)` and `from_bytes<L>(bytes)` with cereal's portable
/// binary archive (little-endian on every machine), the format the golden-bytes tests pin.
///
/// `from_bytes` throws `DecodeError` for truncated input, trailing bytes, and values that are
/// not in canonical form; it never reads past the input or allocates from an untrusted length.
#include <cereal/archives/portable_binary.hpp>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lattices/core.hpp"

namespace calm::lattices {

template <class T>
std::string to_bytes(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive archive(out);
    archive(value);
  }
  return std::move(out).str();
}

template <class T>
T from_bytes(std::string_view bytes) {
  // cereal reads any header byte other than 0x01 as "the data is big-endian", which would give
  // every value a second, byte-swapped encoding. to_bytes always writes 0x01.
  if (!bytes.empty() && bytes.front() != '\x01') {
    throw DecodeError("calm: header byte is not 0x01 (little-endian portable binary)");
  }
  std::istringstream in(std::string(bytes), std::ios::binary);
  T value{};
  try {
    cereal::PortableBinaryInputArchive archive(in);
    archive(value);
  } catch (const cereal::Exception& e) {
    throw DecodeError(std::string("calm: truncated or malformed input: ") + e.what());
  } catch (const std::length_error& e) {
    // A length calm does not bound itself (an element type with its own cereal loader).
    throw DecodeError(std::string("calm: a length in the input is too large: ") + e.what());
  } catch (const std::bad_alloc&) {
    throw DecodeError("calm: a length in the input is too large to allocate");
  }
  if (in.peek() != std::char_traits<char>::eof()) {
    throw DecodeError("calm: trailing bytes after a complete value");
  }
  return value;
}

}  // namespace calm::lattices
