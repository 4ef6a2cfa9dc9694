#pragma once
/// Bytes in, bytes out: `to_bytes(value)` and `from_bytes<L>(bytes)` with cereal's portable
/// binary archive (little-endian on every machine), the format the golden-bytes tests pin;
/// `encoded_size(value)`, to_bytes's size without the string.
///
/// `from_bytes` throws `DecodeError` for truncated input, trailing bytes, and values that are
/// not in canonical form; it never reads past the input, and it refuses any length or count
/// larger than the bytes still unread before allocating for it (detail/input_archive.hpp), so
/// decoding n bytes allocates O(n).
#include <cereal/archives/portable_binary.hpp>
#include <cstddef>
#include <new>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>

#include "lattices/core.hpp"
#include "lattices/detail/input_archive.hpp"

namespace calm::lattices {

namespace detail {

/// The stream to_bytes and encoded_size encode through: an std::ostream over a buffer that
/// appends to the caller's string, or, with no string, only counts. One per thread, built once:
/// constructing an std::ostringstream per value (a locale and its facets, a buffer, then a copy
/// out) cost more than encoding a small value.
struct Encoder {
  class AppendBuffer final : public std::streambuf {
   public:
    std::string* out = nullptr;  // null: count only
    std::size_t count = 0;

   protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
      if (out != nullptr) out->append(s, static_cast<std::size_t>(n));
      count += static_cast<std::size_t>(n);
      return n;
    }
    int_type overflow(int_type c) override {
      if (!traits_type::eq_int_type(c, traits_type::eof())) {
        if (out != nullptr) out->push_back(traits_type::to_char_type(c));
        ++count;
      }
      return traits_type::not_eof(c);
    }
  };
  AppendBuffer buffer;
  std::ostream stream{&buffer};
  bool busy = false;  // a save() that encodes itself gets a stream of its own
};
inline Encoder& encoder() {
  thread_local Encoder e;
  return e;
}

/// Encodes `value` into `out` (or only counts, `out` null); returns the byte count.
template <class T>
std::size_t encode(const T& value, std::string* out) {
  Encoder& e = encoder();
  if (e.busy) {
    std::ostringstream nested(std::ios::binary);
    {
      cereal::PortableBinaryOutputArchive archive(nested);
      archive(value);
    }
    std::string bytes = std::move(nested).str();
    const std::size_t n = bytes.size();
    if (out != nullptr) *out = std::move(bytes);
    return n;
  }
  struct Release {
    Encoder& e;
    ~Release() {
      e.busy = false;
      e.buffer.out = nullptr;
    }
  } release{e};
  e.busy = true;
  e.buffer.out = out;
  e.buffer.count = 0;
  e.stream.clear();
  {
    cereal::PortableBinaryOutputArchive archive(e.stream);
    archive(value);
  }
  return e.buffer.count;
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
