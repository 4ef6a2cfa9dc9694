#pragma once
/// RESP, the Redis protocol: an incremental request parser and a reply writer (RESP2 and RESP3).
///
/// Requests come as multibulk arrays ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or as inline commands
/// ("GET k\r\n", with Redis's quoting rules), as redis-cli, redis-benchmark and client
/// libraries send them. The parser is fed bytes as they arrive and hands out whole requests.
///
/// Bounds, so that a client can never make the server wait for or hold absurd amounts: a bulk
/// string above `bulk_bytes_max`, bulks adding up past `request_bytes_max` in one request, an
/// array of more than `array_items_max` items, an inline request or a length line above
/// `line_bytes_max` is a protocol error the moment its header is read, before any of its body
/// arrives. What the parser holds is at most about twice what it was sent (the buffer grows
/// by doubling as bytes arrive; it never reserves for a length it was only told), and it gives
/// capacity above `retained_bytes_max` back once the request is parsed. A protocol error is final
/// for the connection, as in Redis: the server replies with the error and closes it. The messages
/// are Redis's own
/// ("ERR Protocol error: invalid bulk length", ...), so clients report them as they would for
/// Redis.
#include <algorithm>
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
  /// The sum of one request's bulk lengths, checked as each bulk header arrives: one bulk of
  /// the largest size plus 1 MiB for its key and other arguments (SET k <64 MiB>), but never
  /// two large bulks, which would make one request hold twice the largest value. Redis bounds
  /// the whole query buffer at 1 GB (client-query-buffer-limit); calm-kvs is stricter on
  /// purpose: every connection's request is bounded by one value's worth.
  std::size_t request_bytes_max = (64u << 20) + (1u << 20);
  /// Whether the connection is authenticated. A connection that has yet to AUTH (the server has
  /// a password) gets Redis's stricter bounds instead (`unauthenticated_limits`), and their
  /// errors name them as Redis does ("Protocol error: unauthenticated bulk length").
  bool authenticated = true;
};

/// What a connection that has not authenticated may send, as Redis 7.0 bounds it: arrays of up
/// to 10 items and bulks of up to 16 KiB, so that a stranger cannot make the server buffer a
/// large request before it has proved it knows the password.
inline RespLimits unauthenticated_limits(RespLimits limits) {
  limits.authenticated = false;
  limits.array_items_max = std::min<std::size_t>(limits.array_items_max, 10);
  limits.bulk_bytes_max = std::min<std::size_t>(limits.bulk_bytes_max, 16 * 1024);
  limits.request_bytes_max =
      std::min(limits.request_bytes_max, limits.array_items_max * limits.bulk_bytes_max);
  return limits;
}

/// A request: the command name and its arguments, binary-safe.
using Request = std::vector<std::string>;

class RequestParser {
 public:
  explicit RequestParser(RespLimits limits = {}) : limits_(limits) {}
  /// Replaces the bounds (a connection that authenticated gets the ordinary ones); they apply
  /// from the next length read.
  void set_limits(const RespLimits& limits) { limits_ = limits; }
  const RespLimits& limits() const { return limits_; }

  /// Appends bytes read from the connection.
  void feed(std::string_view bytes);
  /// The next whole request, if one has arrived. After a protocol error it returns nothing and
  /// `error()` says what went wrong; the connection must then be closed.
  std::optional<Request> next();
  /// The same into `request`, reusing its storage (the server's per-request path allocates
  /// nothing once its strings have grown to its clients' sizes). False when none is whole yet;
  /// then `request`'s strings above `retained_bytes_max` are freed (release(request)).
  bool next(Request& request);
  /// The protocol error, as Redis words it ("Protocol error: ..."), or empty.
  const std::string& error() const { return error_; }
  /// Bytes received and not yet part of a returned request.
  std::size_t buffered_bytes() const { return buffer_.size() - read_; }
  /// The sum of the bulk lengths announced so far by the request being parsed (0 between
  /// requests): what its arguments will hold once whole, at most `request_bytes_max`.
  std::size_t request_bytes() const { return request_bytes_; }
  /// The heap the parser holds: its buffer's capacity, and the strings of the request being
  /// parsed and their spares (at least what it uses; small strings count their inline bytes).
  /// What a per-connection or server-wide budget charges to the connection.
  std::size_t capacity_bytes() const;

  /// A consumed buffer, or a reused request's string, with more capacity than this is freed
  /// rather than kept for the next request: one large request does not pin its memory to an
  /// idle connection. Below it, capacity is kept, so ordinary traffic allocates nothing.
  static constexpr std::size_t retained_bytes_max = 1u << 20;
  /// Frees every capacity that holds no unparsed byte (the buffer shrinks to what is unparsed,
  /// spare strings go): for a server over its memory budget, or a connection going idle.
  void release();
  /// Frees the strings of `request` above `retained_bytes_max`, keeping its arguments' count
  /// (their contents become unspecified): call it once a large request has been executed.
  /// next(request) does it itself when it finds no whole request.
  static void release(Request& request);

 private:
  enum class State { start, bulk_header, bulk_body };

  /// The next line (without CR LF) if a whole one is buffered; sets the error when a line grows
  /// past `line_bytes_max` without ending.
  std::optional<std::string_view> take_line(std::string_view too_long_error);
  std::optional<Request> parse_inline();
  bool next_request(Request& request);
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
  std::size_t request_bytes_ = 0;  // the bulk lengths announced by the request being parsed
  std::string error_;
};

/// Parses a decimal integer the way Redis does for lengths and numbers: optional '-', digits
/// only, no spaces, no overflow. Returns nothing otherwise.
std::optional<std::int64_t> parse_int64(std::string_view text);

/// The reply protocol of a connection: RESP2, every connection's at first, or RESP3 once it
/// asked with HELLO 3 (until HELLO 2 or RESET).
enum class Protocol : std::uint8_t { resp2 = 2, resp3 = 3 };

/// Replies, appended to a buffer, in the connection's protocol. The commands say what a reply
/// is (a map, a set, a double, a null) and the writer puts it as that protocol does: RESP3 has
/// a type for each, RESP2 writes them as Redis 7.0 does (a map as a flat array of keys and
/// values, a double as a bulk string, a null as the null bulk or null array).
class ReplyWriter {
 public:
  explicit ReplyWriter(std::string& out, Protocol protocol = Protocol::resp2)
      : out_(out), protocol_(protocol) {}
  bool resp3() const { return protocol_ == Protocol::resp3; }
  /// HELLO: what follows is the new protocol's.
  void set_protocol(Protocol protocol) { protocol_ = protocol; }

  void simple(std::string_view text);  // +OK
  void error(std::string_view text);   // -ERR ... (text must not hold CR or LF)
  void integer(std::int64_t n);        // :42
  void bulk(std::string_view bytes);   // $3\r\nabc
  void null_bulk();                    // $-1 (RESP3: _)
  void array_header(std::size_t n);    // *n, then n replies
  void null_array();                   // *-1 (RESP3: _)
  /// %n, then n keys each followed by its value (RESP2: *2n).
  void map_header(std::size_t pairs);
  /// ~n, then n replies (RESP2: *n).
  void set_header(std::size_t n);
  /// >n, then n replies: a Pub/Sub message or confirmation, outside the request-reply order
  /// (RESP2: *n).
  void push_header(std::size_t n);
  /// A double, given as Redis formats it (score_text: "1.5", "inf"): ,1.5 (RESP2: a bulk).
  void double_text(std::string_view text);
  /// Text for people (INFO, CLIENT LIST): =n\r\ntxt:... (RESP2: a bulk).
  void verbatim(std::string_view text);
  /// n (item, value) pairs, as ZRANGE WITHSCORES and HRANDFIELD WITHVALUES reply: RESP2 one
  /// flat array of 2n; RESP3 an array of n arrays of two. Call pair() before each pair.
  void pairs_header(std::size_t n);
  void pair();

 private:
  void header(char type, std::size_t n);  // "*3\r\n" and the like
  std::string& out_;
  Protocol protocol_;
};

}  // namespace calm::apps::kvs
