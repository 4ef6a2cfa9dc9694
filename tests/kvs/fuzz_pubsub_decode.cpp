// libFuzzer target: decode_published, the decoder of the PUBLISH messages a peer sends on
// calm-kvs's Pub/Sub channel. Any bytes: it must never read past them nor allocate, and what
// it accepts must encode back to the very bytes it came from (one reading per message).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kvs/pubsub.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string_view channel, message;
  if (!calm::apps::kvs::decode_published(bytes, channel, message)) return 0;
  const char* const end = bytes.data() + bytes.size();
  // Views into the input, within it.
  if (channel.data() < bytes.data() || channel.data() + channel.size() > end ||
      message.data() < bytes.data() || message.data() + message.size() > end) {
    std::abort();
  }
  if (calm::apps::kvs::encode_published(channel, message) != bytes) std::abort();
  return 0;
}
