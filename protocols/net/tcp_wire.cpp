#include "protocols/net/tcp_wire.hpp"

#include <cstring>
#include <stdexcept>

namespace calm::protocols::net::wire {
namespace {

constexpr std::array<char, 8> magic{'c', 'a', 'l', 'm', '-', 'n', 'e', 't'};

void put_le(char* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}
std::uint64_t get_le(const char* in, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  }
  return value;
}

}  // namespace

std::array<char, hello_bytes> encode_hello(const Hello& hello) {
  std::array<char, hello_bytes> h{};
  std::memcpy(h.data(), magic.data(), magic.size());
  put_le(h.data() + 8, version, 4);
  put_le(h.data() + 12, hello.from, 8);
  put_le(h.data() + 20, hello.incarnation, 8);
  return h;
}

std::variant<Hello, std::string> decode_hello(std::string_view bytes) {
  if (bytes.size() != hello_bytes) throw std::invalid_argument("decode_hello: not 28 bytes");
  if (std::memcmp(bytes.data(), magic.data(), magic.size()) != 0) {
    return std::string("not a calm connection (bad magic)");
  }
  const std::uint64_t v = get_le(bytes.data() + 8, 4);
  if (v != version) {
    return "wire version " + std::to_string(v) + ", expected " + std::to_string(version);
  }
  return Hello{get_le(bytes.data() + 12, 8), get_le(bytes.data() + 20, 8)};
}

std::array<char, frame_header_bytes> encode_frame_header(std::uint32_t payload_bytes) {
  std::array<char, frame_header_bytes> h{};
  put_le(h.data(), payload_bytes, 4);
  return h;
}

FrameHeader decode_frame_header(std::string_view bytes, std::size_t frame_bytes_max) {
  if (bytes.size() != frame_header_bytes) {
    throw std::invalid_argument("decode_frame_header: not 4 bytes");
  }
  const auto n = static_cast<std::uint32_t>(get_le(bytes.data(), 4));
  return {n, n <= frame_bytes_max};
}

}  // namespace calm::protocols::net::wire
