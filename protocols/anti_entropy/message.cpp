#include "protocols/anti_entropy/message.hpp"

#include "lattices/core.hpp"
#include "protocols/net/frame_codec.hpp"

namespace calm::protocols::anti_entropy {

namespace {

using lattices::DecodeError;

constexpr std::uint8_t kind_delta = 1;
constexpr std::uint8_t kind_ack = 2;
/// In a Delta's kind byte: the chunk belongs to a full state.
constexpr std::uint8_t full_state_flag = 0x80;

using net::codec::put_bytes;
using net::codec::put_u64;
using net::codec::put_varint;
using Reader = net::codec::Reader;

void check_chunk(const Reader& in, const DecodeLimits& limits, std::uint32_t index,
                 std::uint32_t count) {
  in.require(count >= 1 && count <= limits.chunk_count_max, "chunk count out of bounds");
  in.require(index < count, "chunk index not below the chunk count");
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
  Reader in(bytes, "anti-entropy");
  in.require(bytes.size() <= limits.message_bytes_max, "frame larger than message_bytes_max");
  in.require(in.u8() == message_format_version, "unknown format version");
  const std::uint8_t kind = in.u8();
  Message message;
  if ((kind & ~full_state_flag) == kind_delta) {
    DeltaMessage d;
    d.full_state = (kind & full_state_flag) != 0;
    d.from = in.varint();
    d.to = in.varint();
    d.incarnation = in.u64();
    d.interval_end = in.varint();
    d.chunk_index = in.varint32("chunk index out of bounds");
    d.chunk_count = in.varint32("chunk count out of bounds");
    check_chunk(in, limits, d.chunk_index, d.chunk_count);
    // Every entry takes at least its two length bytes: no allocation from a claimed count.
    const std::uint64_t count =
        in.count(entry_bytes_min, UINT64_MAX, "entry count larger than the frame");
    d.entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
      Entry e;
      e.key = in.bytes(limits.key_bytes_max, "key too long");
      e.value = in.bytes(bytes.size(), "value longer than the frame");
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
    a.chunk_index = in.varint32("chunk index out of bounds");
    a.chunk_count = in.varint32("chunk count out of bounds");
    check_chunk(in, limits, a.chunk_index, a.chunk_count);
    message = a;
  } else {
    throw DecodeError("anti-entropy: unknown message kind");
  }
  in.expect_end();
  return message;
}

}  // namespace calm::protocols::anti_entropy
