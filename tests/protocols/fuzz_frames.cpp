// libFuzzer target for the bytes a peer controls: the first byte picks the decoder, the rest
// is its input.
//   0: an anti-entropy frame (decode_message); a frame that decodes re-encodes to exactly its
//      own bytes (the format has one encoding per message) and decodes again to the same
//      message.
//   1: a TCP hello (28 bytes, zero-padded); a hello that decodes re-encodes to its bytes.
//   2: a TCP frame header (4 bytes, zero-padded) against a 64 KiB bound; it re-encodes.
//   3: an AWSet value as a Delta entry carries it (from_bytes); one that decodes round-trips,
//      and is merged, delta'd and decomposed against a small state. Its context may claim
//      billions of dots in a few bytes: this is where a per-dot walk would stall.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <lattices/aw_set.hpp>
#include <lattices/serialize.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "protocols/anti_entropy/message.hpp"
#include "protocols/net/tcp_wire.hpp"

namespace {

using namespace calm::protocols;
using Set = calm::lattices::AWSet<std::uint64_t>;

void check(bool condition) {
  if (!condition) std::abort();
}

void fuzz_message(std::string_view bytes) {
  anti_entropy::DecodeLimits limits;
  limits.message_bytes_max = 4096;
  limits.key_bytes_max = 64;
  limits.chunk_count_max = 1000;
  anti_entropy::Message m;
  try {
    m = anti_entropy::decode_message(bytes, limits);
  } catch (const calm::lattices::DecodeError&) {
    return;
  }
  const std::string again = anti_entropy::encode_message(m);
  check(again == bytes);
  check(anti_entropy::decode_message(again, limits) == m);
}

std::string padded(std::string_view bytes, std::size_t n) {
  std::string out(bytes.substr(0, n));
  out.resize(n, '\0');
  return out;
}

void fuzz_hello(std::string_view bytes) {
  const std::string in = padded(bytes, net::wire::hello_bytes);
  const auto hello = net::wire::decode_hello(in);
  if (const auto* h = std::get_if<net::wire::Hello>(&hello)) {
    const auto again = net::wire::encode_hello(*h);
    check(std::string_view(again.data(), again.size()) == in);
  }
}

void fuzz_frame_header(std::string_view bytes) {
  const std::string in = padded(bytes, net::wire::frame_header_bytes);
  const net::wire::FrameHeader header = net::wire::decode_frame_header(in, 64 * 1024);
  check(header.within_bound == (header.payload_bytes <= 64 * 1024));
  const auto again = net::wire::encode_frame_header(header.payload_bytes);
  check(std::string_view(again.data(), again.size()) == in);
}

void fuzz_value(std::string_view bytes) {
  Set value;
  try {
    value = calm::lattices::from_bytes<Set>(bytes);
  } catch (const calm::lattices::DecodeError&) {
    return;
  }
  check(calm::lattices::to_bytes(value) == bytes);
  Set state;
  state.add(1, 10);
  state.add(2, 20);
  state.add(1, 30);
  state.remove(30);
  const Set joined = calm::lattices::join(state, value);
  check(calm::lattices::join(value, state) == joined);
  const Set fresh = calm::lattices::delta(value, state);
  check(calm::lattices::join(state, fresh) == joined);
  check(calm::lattices::join(value, calm::lattices::delta(state, value)) == joined);
  Set rejoined;
  for (const Set& part : calm::lattices::decompose(joined)) rejoined.merge(part);
  check(rejoined == joined);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      fuzz_message(rest);
      break;
    case 1:
      fuzz_hello(rest);
      break;
    case 2:
      fuzz_frame_header(rest);
      break;
    default:
      fuzz_value(rest);
      break;
  }
  return 0;
}
