// A string's bits: GETBIT SETBIT BITCOUNT BITPOS, as Redis 7.0's bitops.c (ranges, masks and
// the order of its checks ported as they are, so that every reply and error is Redis's).
// SETBIT is a read-modify-write of the string register, as APPEND: concurrent writes at
// different replicas keep the last writer's whole string (docs/kvs.md).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>

#include "kvs/commands/handlers.hpp"

namespace calm::apps::kvs::handlers {
namespace {

/// GETBIT's and SETBIT's offset: Redis refuses one whose byte is past proto-max-bulk-len
/// before it looks at the key, so no string is ever grown from it.
std::optional<std::uint64_t> bit_offset(Ctx& c, const std::string& text) {
  const auto n = parse_int64(text);
  if (!n || *n < 0 || static_cast<std::uint64_t>(*n >> 3) >= redis_bulk_bytes_max) {
    c.out.error("ERR bit offset is not an integer or out of range");
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*n);
}

/// The string a bit command reads: the key's value ("" when absent), or nothing after a
/// WRONGTYPE reply.
std::optional<std::string> bits_of(Ctx& c, const std::string& key, const KeyValue*& v) {
  if (!c.of_type(key, Type::string, v)) return std::nullopt;
  return v ? string_value(*v).value_or("") : std::string();
}

std::int64_t popcount(const std::string& s, std::int64_t from, std::int64_t to) {
  std::int64_t n = 0;
  for (std::int64_t i = from; i <= to; ++i) {
    n += std::popcount(static_cast<unsigned char>(s[static_cast<std::size_t>(i)]));
  }
  return n;
}

/// Redis's redisBitpos: the first bit equal to `bit` in `bytes` bytes from `p`; looking for a
/// 1 and finding none is -1, for a 0 the first bit past the bytes (a string reads as padded
/// with zeros on the right).
std::int64_t first_bit(const unsigned char* p, std::int64_t bytes, int bit) {
  for (std::int64_t i = 0; i < bytes; ++i) {
    const unsigned char b = bit ? p[i] : static_cast<unsigned char>(~p[i]);
    if (b != 0) return i * 8 + std::countl_zero(b);
  }
  return bit ? -1 : bytes * 8;
}

/// BITCOUNT's and BITPOS's range, Redis's conversion: negative indexes from the end, clamped,
/// and in BIT mode the masks of the bits outside it in its first and last bytes.
struct BitRange {
  std::int64_t start = 0, end = -1;
  unsigned char first_mask = 0, last_mask = 0;
};
BitRange bit_range(std::int64_t start, std::int64_t end, std::int64_t length, bool is_bit) {
  BitRange r;
  const std::int64_t total = is_bit ? length * 8 : length;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  start = std::max<std::int64_t>(start, 0);
  end = std::max<std::int64_t>(end, 0);
  if (end >= total) end = total - 1;
  if (is_bit && start <= end) {
    r.first_mask = static_cast<unsigned char>(~((1u << (8 - (start & 7))) - 1) & 0xFF);
    r.last_mask = static_cast<unsigned char>((1u << (7 - (end & 7))) - 1);
    start >>= 3;
    end >>= 3;
  }
  r.start = start;
  r.end = end;
  return r;
}

/// BYTE or BIT (any case); nothing after a syntax error.
std::optional<bool> bit_unit(Ctx& c, const std::string& word) {
  const std::string unit = lower(word);
  if (unit == "bit") return true;
  if (unit == "byte") return false;
  c.syntax_error();
  return std::nullopt;
}

}  // namespace

void getbit(Ctx& c) {
  const auto offset = bit_offset(c, c.args[2]);
  if (!offset) return;
  const KeyValue* v = nullptr;
  const auto s = bits_of(c, c.args[1], v);
  if (!s) return;
  const std::uint64_t byte = *offset >> 3;
  if (byte >= s->size()) return c.out.integer(0);
  const auto b = static_cast<unsigned char>((*s)[byte]);
  c.out.integer((b >> (7 - (*offset & 7))) & 1);
}

void setbit(Ctx& c) {
  const auto offset = bit_offset(c, c.args[2]);
  if (!offset) return;
  const auto on = parse_int64(c.args[3]);
  if (!on || (*on & ~std::int64_t{1}) != 0) {
    return c.out.error("ERR bit is not an integer or out of range");
  }
  const KeyValue* v = nullptr;
  auto s = bits_of(c, c.args[1], v);
  if (!s) return;
  // The offset is below 2^32 bits here; the string it makes must still fit one write.
  const std::uint64_t byte = *offset >> 3;
  const std::uint64_t length = std::max<std::uint64_t>(s->size(), byte + 1);
  if (!c.fits(length)) return;
  const bool grows = length > s->size();
  s->resize(length, '\0');
  auto& b = reinterpret_cast<unsigned char&>((*s)[byte]);
  const unsigned mask = 1u << (7 - (*offset & 7));
  const int old = (b & mask) != 0 ? 1 : 0;
  // A bit set to what it holds changes nothing: no write, which would otherwise win over a
  // concurrent write elsewhere with the same old string.
  if (grows || !v || old != *on) {
    b = static_cast<unsigned char>(*on ? (b | mask) : (b & ~mask));
    c.keys().write(c.args[1], [&](KeyValue& kv) {
      return set_string(kv, c.replica(), std::move(*s), c.now());
    });
  }
  c.out.integer(old);
}

void bitcount(Ctx& c) {
  // Redis's order: the key (absent: 0, whatever the arguments), then the range's words.
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::string, v)) return;
  if (!v) return c.out.integer(0);
  const std::string s = string_value(*v).value_or("");
  const auto length = static_cast<std::int64_t>(s.size());
  BitRange r{0, length - 1};
  if (c.args.size() == 4 || c.args.size() == 5) {
    const auto start = c.integer(c.args[2]);
    if (!start) return;
    const auto end = c.integer(c.args[3]);
    if (!end) return;
    if (*start < 0 && *end < 0 && *start > *end) return c.out.integer(0);
    bool is_bit = false;
    if (c.args.size() == 5) {
      const auto unit = bit_unit(c, c.args[4]);
      if (!unit) return;
      is_bit = *unit;
    }
    r = bit_range(*start, *end, length, is_bit);
  } else if (c.args.size() != 2) {
    return c.syntax_error();
  }
  if (r.start > r.end) return c.out.integer(0);
  std::int64_t count = popcount(s, r.start, r.end);
  // The bits of the edge bytes outside a BIT range are taken away again.
  const auto* bytes = reinterpret_cast<const unsigned char*>(s.data());
  if (r.first_mask != 0)
    count -= std::popcount(static_cast<unsigned char>(bytes[r.start] & r.first_mask));
  if (r.last_mask != 0)
    count -= std::popcount(static_cast<unsigned char>(bytes[r.end] & r.last_mask));
  c.out.integer(count);
}

void bitpos(Ctx& c) {
  const auto bit_arg = c.integer(c.args[2]);
  if (!bit_arg) return;
  if (*bit_arg != 0 && *bit_arg != 1) return c.out.error("ERR The bit argument must be 1 or 0.");
  const int bit = static_cast<int>(*bit_arg);
  // An absent key is an endless run of zeros.
  const KeyValue* v = c.find(c.args[1]);
  if (!v) return c.out.integer(bit ? -1 : 0);
  if (type_of(*v) != Type::string) return c.error(wrong_type);
  const std::string s = string_value(*v).value_or("");
  const auto length = static_cast<std::int64_t>(s.size());
  BitRange r{0, length - 1};
  bool end_given = false;
  if (c.args.size() >= 4 && c.args.size() <= 6) {
    const auto start = c.integer(c.args[3]);
    if (!start) return;
    bool is_bit = false;
    if (c.args.size() == 6) {
      const auto unit = bit_unit(c, c.args[5]);
      if (!unit) return;
      is_bit = *unit;
    }
    std::int64_t end = length - 1;
    if (c.args.size() >= 5) {
      const auto given = c.integer(c.args[4]);
      if (!given) return;
      end = *given;
      end_given = true;
    }
    r = bit_range(*start, end, length, is_bit);
  } else if (c.args.size() != 3) {
    return c.syntax_error();
  }
  // An empty range holds neither a 0 nor a 1.
  if (r.start > r.end) return c.out.integer(-1);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::int64_t start = r.start;
  std::int64_t bytes = r.end - r.start + 1;
  std::int64_t pos = -1;
  // Redis's walk: the first byte under its mask, the whole bytes between, the last byte under
  // its mask; each step's position is relative to where it began.
  const auto result = [&] {
    // With an explicit end, a 0 found past the range is none in it.
    if (end_given && bit == 0 && pos == bytes * 8) return c.out.integer(-1);
    if (pos != -1) pos += start * 8;
    c.out.integer(pos);
  };
  if (r.first_mask != 0) {
    unsigned char edge = bit ? static_cast<unsigned char>(p[start] & ~r.first_mask)
                             : static_cast<unsigned char>(p[start] | r.first_mask);
    if (r.last_mask != 0 && bytes == 1) {
      edge = bit ? static_cast<unsigned char>(edge & ~r.last_mask)
                 : static_cast<unsigned char>(edge | r.last_mask);
    }
    pos = first_bit(&edge, 1, bit);
    if (bytes == 1 || (pos != -1 && pos != 8)) return result();
    ++start;
    --bytes;
  }
  const std::int64_t whole = bytes - (r.last_mask != 0 ? 1 : 0);
  if (whole > 0) {
    pos = first_bit(p + start, whole, bit);
    if (bytes == whole || (pos != -1 && pos != whole * 8)) return result();
    start += whole;
    bytes -= whole;
  }
  const unsigned char edge = bit ? static_cast<unsigned char>(p[r.end] & ~r.last_mask)
                                 : static_cast<unsigned char>(p[r.end] | r.last_mask);
  pos = first_bit(&edge, 1, bit);
  result();
}

}  // namespace calm::apps::kvs::handlers
