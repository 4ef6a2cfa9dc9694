#include "protocols/anti_entropy/message.hpp"

#include <lattices/core.hpp>

namespace calm::protocols::anti_entropy {

namespace {

using lattices::DecodeError;

constexpr std::uint8_t kind_delta = 1;
constexpr std::uint8_t kind_ack = 2;
/// In a Delta's kind byte: the chunk belongs to a full state.
constexpr std::uint8_t full_state_flag = 0x80;

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}
void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
void put_bytes(std::string& out, const std::string& bytes) {
  put_varint(out, bytes.size());
  out += bytes;
}

void require(bool condition, const char* what) {
  if (!condition) throw DecodeError(what);
}

/// Reads the frame front to back; every read checks what remains first.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  std::uint8_t u8() {
    require(!rest_.empty(), "anti-entropy: truncated frame");
    const auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  std::uint64_t u64() {
    require(rest_.size() >= 8, "anti-entropy: truncated frame");
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
      require(shift < 63 || b <= 1, "anti-entropy: varint above 64 bits");
      value |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        require(b != 0 || shift == 0, "anti-entropy: varint not in its shortest form");
        return value;
      }
    }
  }
  std::uint32_t varint32(const char* what) {
    const std::uint64_t value = varint();
    require(value <= UINT32_MAX, what);
    return static_cast<std::uint32_t>(value);
  }
  std::string bytes(std::size_t bytes_max, const char* what) {
    const std::uint64_t length = varint();
    require(length <= bytes_max, what);
    require(length <= rest_.size(), "anti-entropy: truncated frame");
    std::string out(rest_.substr(0, static_cast<std::size_t>(length)));
    rest_.remove_prefix(static_cast<std::size_t>(length));
    return out;
  }
  std::size_t remaining() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

void check_chunk(const DecodeLimits& limits, std::uint32_t index, std::uint32_t count) {
  require(count >= 1 && count <= limits.chunk_count_max, "anti-entropy: chunk count out of bounds");
  require(index < count, "anti-entropy: chunk index not below the chunk count");
}

}  // namespace

std::string encode_message(const Message& message) {
  std::string out;
  out.push_back(static_cast<char>(message_format_version));
  if (const auto* d = std::get_if<DeltaMessage>(&message)) {
    out.push_back(static_cast<char>(kind_delta | (d->full_state ? full_state_flag : 0)));
    put_varint(out, d->from);
    put_varint(out, d->to);
    put_u64(out, d->incarnation);
    put_varint(out, d->interval_end);
    put_varint(out, d->chunk_index);
    put_varint(out, d->chunk_count);
    put_varint(out, d->entries.size());
    for (const Entry& e : d->entries) {
      put_bytes(out, e.key);
      put_bytes(out, e.value);
    }
  } else {
    const auto& a = std::get<AckMessage>(message);
    out.push_back(static_cast<char>(kind_ack));
    put_varint(out, a.from);
    put_varint(out, a.to);
    put_u64(out, a.incarnation);
    put_u64(out, a.acked_incarnation);
    put_varint(out, a.interval_end);
    put_varint(out, a.chunk_index);
    put_varint(out, a.chunk_count);
  }
  return out;
}

Message decode_message(std::string_view bytes, const DecodeLimits& limits) {
  require(bytes.size() <= limits.message_bytes_max,
          "anti-entropy: frame larger than message_bytes_max");
  Reader in(bytes);
  require(in.u8() == message_format_version, "anti-entropy: unknown format version");
  const std::uint8_t kind = in.u8();
  Message message;
  if ((kind & ~full_state_flag) == kind_delta) {
    DeltaMessage d;
    d.full_state = (kind & full_state_flag) != 0;
    d.from = in.varint();
    d.to = in.varint();
    d.incarnation = in.u64();
    d.interval_end = in.varint();
    d.chunk_index = in.varint32("anti-entropy: chunk index out of bounds");
    d.chunk_count = in.varint32("anti-entropy: chunk count out of bounds");
    check_chunk(limits, d.chunk_index, d.chunk_count);
    const std::uint64_t count = in.varint();
    // Every entry takes at least its two length bytes: no allocation from a claimed count.
    require(count <= in.remaining() / entry_bytes_min,
            "anti-entropy: entry count larger than the frame");
    d.entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
      Entry e;
      e.key = in.bytes(limits.key_bytes_max, "anti-entropy: key too long");
      e.value = in.bytes(bytes.size(), "anti-entropy: value longer than the frame");
      d.entries.push_back(std::move(e));
    }
    message = std::move(d);
  } else if (kind == kind_ack) {
    AckMessage a;
    a.from = in.varint();
    a.to = in.varint();
    a.incarnation = in.u64();
    a.acked_incarnation = in.u64();
    a.interval_end = in.varint();
    a.chunk_index = in.varint32("anti-entropy: chunk index out of bounds");
    a.chunk_count = in.varint32("anti-entropy: chunk count out of bounds");
    check_chunk(limits, a.chunk_index, a.chunk_count);
    message = a;
  } else {
    throw DecodeError("anti-entropy: unknown message kind");
  }
  require(in.remaining() == 0, "anti-entropy: trailing bytes after the frame");
  return message;
}

}  // namespace calm::protocols::anti_entropy
