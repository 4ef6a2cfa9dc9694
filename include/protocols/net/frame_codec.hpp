#pragma once
/// The pieces every hand-written wire format in calm shares (anti-entropy's, Paxos's): LEB128
/// varints in their shortest form only, little-endian u64s, length-prefixed byte strings, and
/// a Reader that checks what remains before every read. A length read off the wire is checked
/// against its bound and against the bytes present before anything is allocated for it.
/// Errors are lattices::DecodeError, prefixed with the format's name.
#include <cstdint>
#include <string>
#include <string_view>

#include "lattices/core.hpp"

namespace calm::protocols::net::codec {

inline void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
inline void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
inline void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out += bytes;
}

/// Reads a frame front to back.
class Reader {
 public:
  /// `format` names the wire format in errors ("anti-entropy: truncated frame").
  Reader(std::string_view bytes, std::string_view format) : rest_(bytes), format_(format) {}

  void require(bool condition, std::string_view what) const {
    if (!condition) throw lattices::DecodeError(std::string(format_) + ": " + std::string(what));
  }
  std::uint8_t u8() {
    require(!rest_.empty(), "truncated frame");
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::uint64_t u64() {
    require(rest_.size() >= 8, "truncated frame");
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) {
      value |= std::uint64_t{static_cast<unsigned char>(rest_[i])} << (8 * i);
    }
    rest_.remove_prefix(8);
    return value;
  }
  /// LEB128, canonical only (no redundant high zero groups), at most 64 bits: every number
  /// has exactly one encoding, so a frame re-encodes to its own bytes.
  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0;; shift += 7) {
      const std::uint8_t b = u8();
      require(shift < 63 || b <= 1, "varint above 64 bits");
      value |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        require(b != 0 || shift == 0, "varint not in its shortest form");
        return value;
      }
    }
  }
  std::uint32_t varint32(std::string_view what) {
    const std::uint64_t value = varint();
    require(value <= UINT32_MAX, what);
    return static_cast<std::uint32_t>(value);
  }
  /// A length-prefixed string of at most `bytes_max` bytes (`what` names the bound).
  std::string bytes(std::size_t bytes_max, std::string_view what) {
    return std::string(bytes_view(bytes_max, what));
  }
  /// The same, as a view into the frame (valid while the frame's bytes are).
  std::string_view bytes_view(std::size_t bytes_max, std::string_view what) {
    const std::uint64_t length = varint();
    require(length <= bytes_max, what);
    require(length <= rest_.size(), "truncated frame");
    const std::string_view out = rest_.substr(0, static_cast<std::size_t>(length));
    rest_.remove_prefix(static_cast<std::size_t>(length));
    return out;
  }
  /// A count of items that take at least `item_bytes_min` bytes each: no more than the bytes
  /// left can hold, and at most `count_max` (`what` names the bound).
  std::uint64_t count(std::size_t item_bytes_min, std::uint64_t count_max, std::string_view what) {
    const std::uint64_t n = varint();
    require(n <= count_max, what);
    require(n <= rest_.size() / item_bytes_min, "truncated frame");
    return n;
  }
  std::size_t remaining() const { return rest_.size(); }
  void expect_end() const { require(rest_.empty(), "trailing bytes after the frame"); }

 private:
  std::string_view rest_;
  std::string_view format_;
};

}  // namespace calm::protocols::net::codec
