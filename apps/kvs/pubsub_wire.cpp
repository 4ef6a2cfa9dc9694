// The bytes of a PUBLISH between replicas (pubsub.hpp): apart from the registry, so that the
// decoder's fuzzer (tests/kvs/fuzz_pubsub_decode.cpp) builds it alone.
#include <cstdint>
#include <string>
#include <string_view>

#include "kvs/pubsub.hpp"

namespace calm::apps::kvs {

std::string encode_published(std::string_view channel, std::string_view message) {
  std::string out;
  out.reserve(4 + channel.size() + message.size());
  const auto n = static_cast<std::uint32_t>(channel.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(channel);
  out.append(message);
  return out;
}

bool decode_published(std::string_view bytes, std::string_view& channel,
                      std::string_view& message) {
  if (bytes.size() < 4) return false;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) {
    n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]))
         << (8 * i);
  }
  if (n > bytes.size() - 4) return false;  // a length that lies: nothing is read past the bytes
  channel = bytes.substr(4, n);
  message = bytes.substr(4 + n);
  return true;
}

}  // namespace calm::apps::kvs
