#include "protocols/anti_entropy/message.hpp"

#include <cereal/archives/portable_binary.hpp>
#include <lattices/detail/serialization.hpp>
#include <lattices/serialize.hpp>
#include <sstream>

namespace calm::protocols::anti_entropy {

namespace {

using lattices::DecodeError;
using lattices::detail::decode_require;

constexpr std::uint8_t kind_delta = 1;
constexpr std::uint8_t kind_ack = 2;

/// The frame as cereal sees it: saving writes the layout in message.hpp; loading checks every
/// length against the bytes that remain before reading it.
struct Frame {
  Message message;
  const DecodeLimits* limits = nullptr;
  std::size_t frame_bytes = 0;

  template <class Archive>
  void save(Archive& ar) const {
    ar(message_format_version);
    if (const auto* d = std::get_if<DeltaMessage>(&message)) {
      ar(kind_delta, d->from, d->to, d->incarnation, d->interval_end, d->chunk_index,
         d->chunk_count, static_cast<std::uint8_t>(d->full_state ? 1 : 0));
      ar(static_cast<std::uint64_t>(d->entries.size()));
      for (const Entry& e : d->entries) {
        ar(static_cast<std::uint64_t>(e.key.size()));
        ar(cereal::binary_data(e.key.data(), e.key.size()));
        ar(static_cast<std::uint64_t>(e.value.size()));
        ar(cereal::binary_data(e.value.data(), e.value.size()));
      }
    } else {
      const auto& a = std::get<AckMessage>(message);
      ar(kind_ack, a.from, a.to, a.incarnation, a.acked_incarnation, a.interval_end, a.chunk_index,
         a.chunk_count);
    }
  }

  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t version = 0;
    std::uint8_t kind = 0;
    ar(version, kind);
    decode_require(version == message_format_version, "anti-entropy: unknown format version");
    if (kind == kind_delta) {
      DeltaMessage d;
      std::uint8_t full = 0;
      ar(d.from, d.to, d.incarnation, d.interval_end, d.chunk_index, d.chunk_count, full);
      decode_require(full <= 1, "anti-entropy: full_state flag is not 0 or 1");
      check_chunk(d.chunk_index, d.chunk_count);
      d.full_state = full == 1;
      std::uint64_t count = 0;
      ar(count);
      // Every entry takes at least its two length fields.
      decode_require(count <= frame_bytes / entry_overhead_bytes,
                     "anti-entropy: entry count larger than the frame");
      d.entries.reserve(static_cast<std::size_t>(count));
      for (std::uint64_t i = 0; i < count; ++i) {
        Entry e;
        read_bytes(ar, e.key, limits->key_bytes_max, "anti-entropy: key too long");
        read_bytes(ar, e.value, frame_bytes, "anti-entropy: value longer than the frame");
        d.entries.push_back(std::move(e));
      }
      message = std::move(d);
    } else if (kind == kind_ack) {
      AckMessage a;
      ar(a.from, a.to, a.incarnation, a.acked_incarnation, a.interval_end, a.chunk_index,
         a.chunk_count);
      check_chunk(a.chunk_index, a.chunk_count);
      message = a;
    } else {
      throw DecodeError("anti-entropy: unknown message kind");
    }
  }

  void check_chunk(std::uint32_t index, std::uint32_t count) const {
    decode_require(count >= 1 && count <= limits->chunk_count_max,
                   "anti-entropy: chunk count out of bounds");
    decode_require(index < count, "anti-entropy: chunk index not below the chunk count");
  }

  template <class Archive>
  static void read_bytes(Archive& ar, std::string& out, std::size_t bytes_max, const char* what) {
    std::uint64_t length = 0;
    ar(length);
    decode_require(length <= bytes_max, what);
    out.resize(static_cast<std::size_t>(length));
    ar(cereal::binary_data(out.data(), out.size()));
  }
};

}  // namespace

std::string encode_message(const Message& message) {
  return lattices::to_bytes(Frame{message, nullptr, 0});
}

Message decode_message(std::string_view bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.message_bytes_max) {
    throw DecodeError("anti-entropy: frame larger than message_bytes_max");
  }
  // Not lattices::from_bytes: it default-constructs its value, and the frame must know the
  // limits before it reads a length.
  if (!bytes.empty() && bytes.front() != '\x01') {
    throw DecodeError("anti-entropy: header byte is not 0x01");
  }
  std::istringstream in(std::string(bytes), std::ios::binary);
  Frame frame{DeltaMessage{}, &limits, bytes.size()};
  try {
    cereal::PortableBinaryInputArchive archive(in);
    archive(frame);
  } catch (const cereal::Exception& e) {
    throw DecodeError(std::string("anti-entropy: truncated frame: ") + e.what());
  }
  if (in.peek() != std::char_traits<char>::eof()) {
    throw DecodeError("anti-entropy: trailing bytes after the frame");
  }
  return std::move(frame.message);
}

}  // namespace calm::protocols::anti_entropy
