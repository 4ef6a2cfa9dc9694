#pragma once
/// The anti-entropy wire format: two messages, each one cereal portable-binary frame.
///
///   Delta   a chunk of a delta interval (or of the full state) from `from` to `to`: the
///           interval's end (the sender's sequence number it brings the receiver up to), the
///           chunk's index and the number of chunks, and entries (key, encoded lattice value).
///   Ack     the receiver's acknowledgement of one chunk, echoing the sender's incarnation.
///
/// Layout, version 2 (hand-written, not cereal: a frame per delta and per ack makes every
/// header byte count; version 1 spent 52 bytes on a Delta's header and 51 on an Ack):
///   u8 format version (2), u8 kind (1 = Delta, 2 = Ack; a Delta of a full state sets 0x80),
///   varint from, varint to, u64 incarnation,
///   then for Delta: varint interval_end, varint chunk_index, varint chunk_count, varint entry
///     count, then each entry: varint key length, key bytes, varint value length, value bytes;
///   for Ack: u64 acked_incarnation, varint interval_end, varint chunk_index, varint
///     chunk_count.
/// A varint is LEB128 (7 bits a byte, low first), in its shortest form only; a u64 is 8 bytes
/// little-endian (incarnations are random, a varint would take 10). Every message has exactly
/// one encoding, so decoding then encoding gives back the frame's bytes.
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

inline constexpr std::uint8_t message_format_version = 2;
/// The most bytes a Delta's header takes (2 + four varints of 10 + 8 + two of 5 = 60), and
/// an entry's two length fields (two varints of 10): a sender keeps each chunk's entries
/// within `message_bytes_max - delta_header_bytes_max`, counting `entry_overhead_bytes` each.
inline constexpr std::size_t delta_header_bytes_max = 64;
inline constexpr std::size_t entry_overhead_bytes = 20;
/// Config's defaults for the largest frame and the longest key (replica.hpp).
inline constexpr std::size_t default_message_bytes_max = 64 * 1024;
inline constexpr std::size_t default_key_bytes_max = 1024;
/// The fewest bytes an entry takes (two one-byte lengths): the decoder's bound on the count.
inline constexpr std::size_t entry_bytes_min = 2;

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
