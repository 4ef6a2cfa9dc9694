#pragma once
/// The anti-entropy wire format: two messages, each one cereal portable-binary frame.
///
///   Delta   a chunk of a delta interval (or of the full state) from `from` to `to`: the
///           interval's end (the sender's sequence number it brings the receiver up to), the
///           chunk's index and the number of chunks, and entries (key, encoded lattice value).
///   Ack     the receiver's acknowledgement of one chunk, echoing the sender's incarnation.
///
/// Layout (after cereal's one-byte portable-binary header 0x01):
///   u8 format version (1), u8 kind (1 = Delta, 2 = Ack), u64 from, u64 to, u64 incarnation,
///   then for Delta: u64 interval_end, u32 chunk_index, u32 chunk_count,
///     u8 full_state, u64 entry count, then each entry: u64 key length, key bytes, u64 value
///     length, value bytes;
///   for Ack: u64 acked_incarnation, u64 interval_end, u32 chunk_index, u32 chunk_count.
///
/// Bounds: `decode_message` rejects (throws DecodeError) a frame longer than
/// `limits.message_bytes_max`, a key longer than `limits.key_bytes_max`, a chunk count above
/// `limits.chunk_count_max` or an index outside it, an unknown version or kind, and any
/// truncated or trailing bytes. Lengths are never trusted for allocation: a length larger than
/// what remains of the frame fails before anything is reserved.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/net/transport.hpp"

namespace calm::protocols::anti_entropy {

using net::NodeId;

inline constexpr std::uint8_t message_format_version = 1;
/// The most bytes a frame's header and an entry's two length fields take: a sender keeps each
/// chunk's entries within `message_bytes_max - delta_header_bytes_max`.
inline constexpr std::size_t delta_header_bytes_max = 64;
inline constexpr std::size_t entry_overhead_bytes = 16;

struct Entry {
  std::string key;
  std::string value;  // the lattice value, encoded with calm::lattices::to_bytes
  friend bool operator==(const Entry&, const Entry&) = default;
};

struct DeltaMessage {
  NodeId from = 0;
  NodeId to = 0;
  std::uint64_t incarnation = 0;  // the sender's
  std::uint64_t interval_end = 0;
  std::uint32_t chunk_index = 0;
  std::uint32_t chunk_count = 1;
  bool full_state = false;
  std::vector<Entry> entries;
  friend bool operator==(const DeltaMessage&, const DeltaMessage&) = default;
};

struct AckMessage {
  NodeId from = 0;
  NodeId to = 0;
  std::uint64_t incarnation = 0;        // the acknowledging node's
  std::uint64_t acked_incarnation = 0;  // the incarnation of the Delta's sender, echoed
  std::uint64_t interval_end = 0;
  std::uint32_t chunk_index = 0;
  std::uint32_t chunk_count = 1;
  friend bool operator==(const AckMessage&, const AckMessage&) = default;
};

using Message = std::variant<DeltaMessage, AckMessage>;

struct DecodeLimits {
  std::size_t message_bytes_max = 64 * 1024;
  std::size_t key_bytes_max = 1024;
  std::uint32_t chunk_count_max = 1 << 20;
};

std::string encode_message(const Message& message);
/// Throws calm::lattices::DecodeError with the reason when the bytes are not a valid frame.
Message decode_message(std::string_view bytes, const DecodeLimits& limits);

}  // namespace calm::protocols::anti_entropy
