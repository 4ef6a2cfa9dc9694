#pragma once
// The replicated state machine calm-paxos runs: a map of byte strings. A command is one byte
// of kind and length-prefixed fields (net/frame_codec.hpp), so keys and values may hold any
// bytes:
//   'p' key value  ->  "OK"            put
//   'g' key        ->  the value, ""   get (through the log with submit, or read-index with read)
// A command that does not decode is answered "ERR ..." and changes nothing: it came from a
// client, and every replica answers it the same way. `snapshot` and `restore` let the log be
// truncated (paxos::SnapshottableStateMachine).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "lattices/core.hpp"
#include "protocols/net/frame_codec.hpp"

namespace calm::paxos_app {

namespace codec = protocols::net::codec;

/// Keys and values are bounded by the command's own bound (paxos::DecodeLimits).
inline std::string put_command(std::string_view key, std::string_view value) {
  std::string out(1, 'p');
  codec::put_bytes(out, key);
  codec::put_bytes(out, value);
  return out;
}
inline std::string get_command(std::string_view key) {
  std::string out(1, 'g');
  codec::put_bytes(out, key);
  return out;
}

class KvMachine {
 public:
  std::string apply(const std::string& op) {
    try {
      Command c = decode(op);
      if (c.kind == 'g') return lookup(c.key);
      values_[std::move(c.key)] = std::move(c.value);
      return "OK";
    } catch (const lattices::DecodeError& e) {
      return std::string("ERR ") + e.what();
    }
  }
  /// A get without the log (Replica::read); anything else is refused.
  std::string query(const std::string& op) const {
    try {
      const Command c = decode(op);
      if (c.kind != 'g') return "ERR kv query: only a get reads without the log";
      return lookup(c.key);
    } catch (const lattices::DecodeError& e) {
      return std::string("ERR ") + e.what();
    }
  }
  /// The whole map, for Paxos snapshots: a count, then each key and value.
  std::string snapshot() const {
    std::string out;
    codec::put_varint(out, values_.size());
    for (const auto& [key, value] : values_) {
      codec::put_bytes(out, key);
      codec::put_bytes(out, value);
    }
    return out;
  }
  /// Replaces the map with a snapshot's; throws DecodeError and changes nothing when the
  /// bytes are not one.
  void restore(std::string_view bytes) {
    codec::Reader in(bytes, "kv snapshot");
    std::map<std::string, std::string> values;
    for (std::uint64_t n = in.count(2, bytes.size(), "too many keys"); n > 0; --n) {
      std::string key = in.bytes(bytes.size(), "key too long");
      values[std::move(key)] = in.bytes(bytes.size(), "value too long");
    }
    in.expect_end();
    values_ = std::move(values);
  }
  std::size_t size() const { return values_.size(); }

 private:
  struct Command {
    std::uint8_t kind = 0;
    std::string key;
    std::string value;  // a put's
  };
  /// Lengths are checked against the bytes present (codec::Reader) before anything is copied.
  static Command decode(std::string_view op) {
    codec::Reader in(op, "kv command");
    Command c;
    c.kind = in.u8();
    in.require(c.kind == 'g' || c.kind == 'p', "unknown command kind");
    c.key = in.bytes(op.size(), "key too long");
    if (c.kind == 'p') c.value = in.bytes(op.size(), "value too long");
    in.expect_end();
    return c;
  }
  std::string lookup(const std::string& key) const {
    const auto it = values_.find(key);
    return it == values_.end() ? std::string() : it->second;
  }
  std::map<std::string, std::string> values_;
};

}  // namespace calm::paxos_app
