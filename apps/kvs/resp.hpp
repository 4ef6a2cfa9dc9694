#pragma once
/// RESP2, the Redis protocol: an incremental request parser and a reply writer.
///
/// Requests come as multibulk arrays ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or as inline commands
/// ("GET k\r\n", with Redis's quoting rules), as redis-cli, redis-benchmark and client
/// libraries send them. The parser is fed bytes as they arrive and hands out whole requests.
///
/// Bounds, so that a client can never make the server wait for or hold absurd amounts: a bulk
/// string above `bulk_bytes_max`, an array of more than `array_items_max` items, an inline
/// request or a length line above `line_bytes_max` is a protocol error the moment its header
/// is read, before any of its body arrives. A protocol error is final for the connection, as
/// in Redis: the server replies with the error and closes it. The messages are Redis's own
/// ("ERR Protocol error: invalid bulk length", ...), so clients report them as they would for
/// Redis.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace calm::apps::kvs {

struct RespLimits {
  /// Redis's proto-max-bulk-len is 512 MB; calm-kvs refuses at 64 MiB by default, so that a
  /// lying length cannot make it buffer half a gigabyte.
  std::size_t bulk_bytes_max = 64u << 20;
  /// Redis refuses multibulk lengths above 1024 * 1024 from clients.
  std::size_t array_items_max = 1024 * 1024;
  /// Redis's PROTO_INLINE_MAX_SIZE: the longest inline request, and the longest length line.
  std::size_t line_bytes_max = 64 * 1024;
};

/// A request: the command name and its arguments, binary-safe.
using Request = std::vector<std::string>;

class RequestParser {
 public:
  explicit RequestParser(RespLimits limits = {}) : limits_(limits) {}

  /// Appends bytes read from the connection.
  void feed(std::string_view bytes);
  /// The next whole request, if one has arrived. After a protocol error it returns nothing and
  /// `error()` says what went wrong; the connection must then be closed.
  std::optional<Request> next();
  /// The same into `request`, reusing its storage (the server's per-request path allocates
  /// nothing once its strings have grown to its clients' sizes). False when none is whole yet.
  bool next(Request& request);
  /// The protocol error, as Redis words it ("Protocol error: ..."), or empty.
  const std::string& error() const { return error_; }
  /// Bytes received and not yet part of a returned request.
  std::size_t buffered_bytes() const { return buffer_.size() - read_; }

 private:
  enum class State { start, bulk_header, bulk_body };

  /// The next line (without CR LF) if a whole one is buffered; sets the error when a line grows
  /// past `line_bytes_max` without ending.
  std::optional<std::string_view> take_line(std::string_view too_long_error);
  std::optional<Request> parse_inline();
  void fail(std::string message);
  void compact();

  RespLimits limits_;
  std::string buffer_;
  std::size_t read_ = 0;  // bytes of `buffer_` already consumed
  State state_ = State::start;
  std::size_t items_left_ = 0;
  std::size_t bulk_bytes_ = 0;
  Request pending_;
  std::size_t pending_items_ = 0;  // the strings of `pending_` filled so far; the rest are spare
  std::string error_;
};

/// Parses a decimal integer the way Redis does for lengths and numbers: optional '-', digits
/// only, no spaces, no overflow. Returns nothing otherwise.
std::optional<std::int64_t> parse_int64(std::string_view text);

/// RESP2 replies, appended to a buffer.
class ReplyWriter {
 public:
  explicit ReplyWriter(std::string& out) : out_(out) {}
  void simple(std::string_view text);  // +OK
  void error(std::string_view text);   // -ERR ... (text must not hold CR or LF)
  void integer(std::int64_t n);        // :42
  void bulk(std::string_view bytes);   // $3\r\nabc
  void null_bulk();                    // $-1
  void array_header(std::size_t n);    // *n, then n replies
  void null_array();                   // *-1

 private:
  std::string& out_;
};

}  // namespace calm::apps::kvs
