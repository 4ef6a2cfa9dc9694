#pragma once
/// The TCP runtime's byte formats, as pure functions (what tcp.cpp reads off a socket, and
/// what the frame fuzzer feeds): a connection starts with a hello, then carries frames of a
/// u32 little-endian length and the payload.
///
///   hello:  8 bytes magic "calm-net", u32 LE wire version, u64 LE sender id, u64 LE
///           incarnation (28 bytes)
///   frame:  u32 LE payload length, payload
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "protocols/net/transport.hpp"

namespace calm::protocols::net::wire {

inline constexpr std::uint32_t version = 1;
inline constexpr std::size_t hello_bytes = 8 + 4 + 8 + 8;
inline constexpr std::size_t frame_header_bytes = 4;

struct Hello {
  NodeId from = 0;
  std::uint64_t incarnation = 0;
  friend bool operator==(const Hello&, const Hello&) = default;
};

std::array<char, hello_bytes> encode_hello(const Hello& hello);
/// The hello, or why the connection must be refused (bad magic, another version). `bytes`
/// must be hello_bytes long.
std::variant<Hello, std::string> decode_hello(std::string_view bytes);

std::array<char, frame_header_bytes> encode_frame_header(std::uint32_t payload_bytes);
struct FrameHeader {
  std::uint32_t payload_bytes = 0;
  /// Whether payload_bytes is within the reader's frame_bytes_max; a frame above it is
  /// refused at its header, before anything is allocated.
  bool within_bound = false;
};
/// `bytes` must be frame_header_bytes long.
FrameHeader decode_frame_header(std::string_view bytes, std::size_t frame_bytes_max);

}  // namespace calm::protocols::net::wire
