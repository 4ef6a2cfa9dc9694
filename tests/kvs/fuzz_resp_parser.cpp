// libFuzzer target: RequestParser on arbitrary bytes, fed in arbitrary pieces. It must never
// crash, never hold more than its bounds allow, only ever fail with a Redis protocol error, and
// give the same requests whether each is a fresh Request or one reused Request. The first byte
// also picks a stranger's bounds (a connection that has not authenticated), and whether the
// connection authenticates halfway, when the parser's bounds widen under a buffered request.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kvs/resp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using calm::apps::kvs::RequestParser;
  using calm::apps::kvs::RespLimits;
  if (size == 0) return 0;
  RespLimits limits;
  limits.bulk_bytes_max = 4096;  // small bounds, so that the fuzzer reaches them
  limits.array_items_max = 64;
  limits.line_bytes_max = 256;
  limits.request_bytes_max = 6000;  // above one bulk, below two
  const RespLimits authenticated = limits;
  const bool stranger = (data[0] & 0x80) != 0;
  const bool authenticates = (data[0] & 0x40) != 0;
  if (stranger) limits = calm::apps::kvs::unauthenticated_limits(limits);
  RequestParser parser(limits);
  // A second parser fills one reused Request, as the server does: it must hand out exactly the
  // requests the first one does.
  RequestParser reusing(limits);
  calm::apps::kvs::Request reused;
  const std::size_t piece = 1 + data[0] % 16;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    if (stranger && authenticates && at >= bytes.size() / 2 && !limits.authenticated) {
      limits = authenticated;  // AUTH succeeded: the ordinary bounds from here on
      parser.set_limits(limits);
      reusing.set_limits(limits);
    }
    parser.feed(bytes.substr(at, piece));
    reusing.feed(bytes.substr(at, piece));
    while (auto request = parser.next()) {
      if (!reusing.next(reused) || reused != *request) std::abort();
      // An array has at most array_items_max items; an inline request, at most a word per
      // two bytes of its line.
      if (request->empty() ||
          request->size() > std::max(limits.array_items_max, limits.line_bytes_max / 2 + 1)) {
        std::abort();
      }
      std::size_t total = 0;
      for (const auto& argument : *request) {
        if (argument.size() > limits.bulk_bytes_max && argument.size() > limits.line_bytes_max) {
          std::abort();
        }
        total += argument.size();
      }
      if (total > limits.request_bytes_max && total > limits.line_bytes_max) std::abort();
    }
    if (reusing.next(reused) || reusing.error() != parser.error()) std::abort();
    if (!parser.error().empty() && parser.error().rfind("ERR Protocol error: ", 0) != 0)
      std::abort();
    // Unparsed bytes stay within one request's worth: a header line, or a bulk being read.
    if (parser.buffered_bytes() > limits.bulk_bytes_max + limits.line_bytes_max + 2 + piece) {
      std::abort();
    }
    // What it holds: the buffer (at most twice what it keeps, as it doubles) and one request's
    // strings, each at least the inline size.
    const std::size_t held_max =
        2 * (limits.request_bytes_max + limits.line_bytes_max + 2 * piece) +
        limits.array_items_max * 2 * sizeof(std::string) + 4096;
    if (parser.capacity_bytes() > held_max || parser.request_bytes() > limits.request_bytes_max) {
      std::abort();
    }
  }
  return 0;
}
