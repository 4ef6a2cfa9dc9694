#pragma once
// calm-paxos's client protocol, on its own TCP port (loopback by default). Each direction is a
// stream of frames: a u32 little-endian length, then the body (net/frame_codec.hpp's pieces).
//   request: u8 kind (0 submit: through the log; 1 read: read-index, no log write),
//            varint client, varint seq, bytes command
//   reply:   varint client, varint seq, u8 kind (Kind below), varint leader + 1 (0: unknown),
//            bytes result (the state machine's, or the error's text)
// A client may pipeline any number of requests on one connection; replies come in the order
// they are decided, not in the order sent, so a client matches them by (client, seq). A frame
// longer than `request_bytes_max`, or one that does not decode, closes the connection.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/net/frame_codec.hpp"

namespace calm::paxos_app::wire {

namespace codec = protocols::net::codec;

enum class Kind : std::uint8_t { applied = 0, not_leader = 1, busy = 2, too_large = 3, error = 4 };

struct Request {
  bool read = false;
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  std::string command;
};

struct Reply {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  Kind kind = Kind::applied;
  std::optional<std::uint64_t> leader;
  std::string result;
};

/// The frame header's length field, little-endian.
inline void put_frame_length(std::string& out, std::size_t length) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
}
inline std::uint32_t frame_length(std::string_view header) {
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i)
    length |= std::uint32_t{static_cast<unsigned char>(header[i])} << (8 * i);
  return length;
}
inline constexpr std::size_t header_bytes = 4;

/// Appends a whole frame (header and body) to `out`.
inline void append(std::string& out, const Request& r) {
  std::string body(1, static_cast<char>(r.read ? 1 : 0));
  codec::put_varint(body, r.client);
  codec::put_varint(body, r.seq);
  codec::put_bytes(body, r.command);
  put_frame_length(out, body.size());
  out += body;
}
inline void append(std::string& out, const Reply& r) {
  std::string body;
  codec::put_varint(body, r.client);
  codec::put_varint(body, r.seq);
  body.push_back(static_cast<char>(r.kind));
  codec::put_varint(body, r.leader ? *r.leader + 1 : 0);
  codec::put_bytes(body, r.result);
  put_frame_length(out, body.size());
  out += body;
}

/// Bodies (without the header). Throw lattices::DecodeError.
inline Request decode_request(std::string_view body, std::size_t command_bytes_max) {
  codec::Reader in(body, "calm-paxos request");
  Request r;
  const std::uint8_t kind = in.u8();
  in.require(kind <= 1, "unknown request kind");
  r.read = kind == 1;
  r.client = in.varint();
  r.seq = in.varint();
  r.command = in.bytes(command_bytes_max, "command too long");
  in.expect_end();
  return r;
}
inline Reply decode_reply(std::string_view body, std::size_t result_bytes_max) {
  codec::Reader in(body, "calm-paxos reply");
  Reply r;
  r.client = in.varint();
  r.seq = in.varint();
  const std::uint8_t kind = in.u8();
  in.require(kind <= static_cast<std::uint8_t>(Kind::error), "unknown reply kind");
  r.kind = static_cast<Kind>(kind);
  if (const std::uint64_t leader = in.varint(); leader != 0) r.leader = leader - 1;
  r.result = in.bytes(result_bytes_max, "result too long");
  in.expect_end();
  return r;
}

}  // namespace calm::paxos_app::wire
