#pragma once
/// The command functions of calm-kvs, one file per family, and the `Context` they run in.
/// Internal to the commands: `kvs/commands.hpp` is the interface; `kvs/commands.cpp` holds the
/// command table, COMMAND (which describes the table) and the dispatcher.
///
///   server.cpp       connection and server: PING, HELLO, CLIENT, INFO, CONFIG, FLUSHALL...
///   keyspace.cpp     keys of any type: DEL, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, TTL;
///                    glob_match, and the cursors of SCAN, SSCAN and HSCAN
///   strings.cpp      strings and counters: GET, SET, MSET, APPEND, SETRANGE, LCS, INCR...
///   bitmaps.cpp      a string's bits: GETBIT, SETBIT, BITCOUNT, BITPOS
///   sets.cpp         SADD, SREM, SMEMBERS, SINTER, SINTERCARD, SSCAN and the STORE forms...
///   hashes.cpp       HSET, HGET, HDEL, HINCRBY, HSCAN, HRANDFIELD...
///   coordinated.cpp  the commands that need coordination (SETNX, MSETNX, SPOP, RENAME, COPY,
///                    EXPIRE...)
///   lists.cpp        LPUSH, LPOP, LRANGE, LSET, LMOVE...
///   zsets.cpp        ZADD, ZINCRBY, ZRANGE, ZRANK, ZPOPMIN, ZSCAN...
///   pubsub.cpp       SUBSCRIBE, PSUBSCRIBE, PUBLISH, PUBSUB...
///
/// A command function takes the request in `c.args`, reads and writes through `c.keys()`, and
/// appends its one reply to `c.out`; on a failure it replies with Redis's error and changes
/// nothing. The table checks the arity and the length of the keys a command writes before it
/// runs.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "kvs/commands.hpp"
#include "kvs/resp.hpp"
#include "kvs/value.hpp"

namespace calm::apps::kvs {

/// How much of a client's word an error reply echoes, as Redis 7.0 does ("%.128s" of a C
/// string): an 8 MiB command name costs a 128-byte error, not an 8 MiB one.
inline constexpr std::size_t echo_bytes_max = 128;
/// The word as Redis prints it with %.*s: up to its first NUL, at most `bytes_max` bytes.
inline std::string_view echoed(std::string_view word, std::size_t bytes_max) {
  word = word.substr(0, std::min(word.find('\0'), bytes_max));
  return word;
}
/// A reply line cannot hold CR or LF, whatever the client sent: Redis makes them spaces.
inline std::string one_line(std::string text) {
  for (char& ch : text) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return text;
}

/// A bulk's framing: "$", up to 20 digits, CR LF, the bytes, CR LF.
inline constexpr std::uint64_t reply_bulk_overhead_bytes = 25;
/// Redis's proto-max-bulk-len (512 MB): Redis refuses a string, or a bit offset, past it with
/// its own error texts, which calm-kvs gives too before its smaller write limit (c.fits).
inline constexpr std::uint64_t redis_bulk_bytes_max = 512u << 20;

/// The longest Pub/Sub channel or pattern, KEYS or MATCH pattern (SCAN, SSCAN, HSCAN, ZSCAN) and
/// CONFIG GET pattern calm-kvs takes (Redis has no bound). A glob match costs up to the product of
/// the two lengths, so this bounds a match against a 1 MiB member to a thousand steps a byte, and a
/// PUBLISH's match against each pattern to about a million.
inline constexpr std::size_t pattern_bytes_max = 1024;

/// Redis's list positions: a negative index counts from the end.
inline std::int64_t from_end(std::int64_t index, std::size_t size) {
  return index < 0 ? index + static_cast<std::int64_t>(size) : index;
}
/// LRANGE's, LTRIM's and ZRANGE's [start, stop] on a list of `size`, as Redis clamps it: [first,
/// end) by position, empty when nothing is inside.
inline std::pair<std::size_t, std::size_t> clamp_range(std::int64_t start, std::int64_t stop,
                                                       std::size_t size) {
  start = std::max<std::int64_t>(from_end(start, size), 0);
  stop = from_end(stop, size);
  const auto n = static_cast<std::int64_t>(size);
  if (start > stop || start >= n) return {0, 0};
  return {static_cast<std::size_t>(start), static_cast<std::size_t>(std::min(stop, n - 1)) + 1};
}
/// The outcome of a KeyValue mutator run inside Keyspace::write.
template <class T>
struct Outcome {
  std::optional<T> value;
  std::optional<CommandError> error;
};

struct CommandProcessor::Context {
  CommandProcessor& self;
  const Request& args;
  Session& session;
  ReplyWriter out;
  /// What `out` writes to, and where this command's reply begins in it.
  std::string& reply;
  std::size_t reply_from;

  Keyspace& keys() { return self.keys(); }
  ReplicaId replica() const { return self.replica_; }
  const ServerFacts& facts() const { return self.facts_; }
  const WriteLimits& limits() const { return self.limits_; }
  /// Redis's encoding-tuning settings (CONFIG SET and GET).
  std::vector<std::pair<std::string, std::string>>& tuning() { return self.tuning_; }
  lattices::HlcTimestamp now() { return self.hlc_now(); }
  /// The wall clock in ms (a linearizable keyspace's: the log's), for expiry.
  std::uint64_t now_ms() const { return self.wall_ms(); }
  bool linearizable() const { return self.mode_ == Consistency::linearizable; }

  /// Whether a glob pattern (KEYS; SCAN's, SSCAN's and HSCAN's MATCH; CONFIG GET), or a
  /// Pub/Sub channel or pattern (`what` names them in the error), is within pattern_bytes_max;
  /// false, after the error reply, when it is longer.
  bool pattern_fits(std::string_view pattern, std::string_view what = "patterns") {
    if (pattern.size() <= pattern_bytes_max) return true;
    out.error("ERR calm-kvs takes " + std::string(what) + " of up to " +
              std::to_string(pattern_bytes_max) + " bytes");
    return false;
  }

  /// Whether the reply built so far is within reply_bytes_max; past it, false after the reply
  /// became an error instead. For replies as long as the client asks (MGET k k k ...): checked
  /// after each item, so what is built stays within the bound and one item.
  bool reply_fits() {
    if (reply.size() - reply_from <= reply_bytes_max) return true;
    reply.resize(reply_from);
    out.error("ERR calm-kvs replies with at most " + std::to_string(reply_bytes_max) +
              " bytes: ask for fewer or smaller items");
    return false;
  }

  const KeyValue* find(const std::string& key) {
    const KeyValue* v = keys().find(key);
    return v && type_of(*v) != Type::none ? v : nullptr;
  }
  /// The type check that begins most commands on one key: `v` is the key as a `type`, null
  /// when absent; false (after Redis's WRONGTYPE reply) when the key holds another type.
  ///
  ///   const KeyValue* v = nullptr;
  ///   if (!c.of_type(c.args[1], Type::set, v)) return;
  bool of_type(const std::string& key, Type type, const KeyValue*& v) {
    v = find(key);
    if (v && type_of(*v) != type) {
      error(wrong_type);
      return false;
    }
    return true;
  }
  /// A set key's members, or nothing (and a WRONGTYPE reply) when it is not a set.
  std::optional<std::vector<std::string>> members(const std::string& key) {
    const KeyValue* v = nullptr;
    if (!of_type(key, Type::set, v)) return std::nullopt;
    return v ? v->set->elements() : std::vector<std::string>{};
  }
  /// Runs a KeyValue mutator that may fail: the key changes only when it succeeds.
  template <class T, class F>
  Outcome<T> write(const std::string& key, F&& mutator) {
    Outcome<T> outcome;
    keys().write(key, [&](KeyValue& v) {
      auto result = mutator(v);
      if (auto* e = std::get_if<CommandError>(&result)) {
        outcome.error = *e;
        return KeyValue{};
      }
      auto& [value, delta] = std::get<0>(result);
      outcome.value = value;
      return std::move(delta);
    });
    return outcome;
  }
  /// One write of `key` that applies `op(value, i)` for i = first, first + step, ... below the
  /// argument count; `op` returns (whether it counted, its delta), as set_add and friends do.
  /// Returns how many counted.
  template <class Op>
  std::int64_t write_each(const std::string& key, std::size_t first, std::size_t step, Op op) {
    std::int64_t counted = 0;
    keys().write(key, [&](KeyValue& v) {
      KeyValue delta;
      for (std::size_t i = first; i < args.size(); i += step) {
        auto result = op(v, i);
        // Callers check what can fail before writing; should one still fail, what applied so
        // far is the write, and nothing throws.
        if (std::holds_alternative<CommandError>(result)) break;
        auto [counts, d] = std::get<0>(std::move(result));
        counted += counts;
        if (i == first) {
          delta = std::move(d);  // the common single-member case: no join with bottom
        } else {
          lattices::merge(delta, std::move(d));
        }
      }
      return delta;
    });
    return counted;
  }
  void error(const CommandError& e) { out.error(e.message); }
  /// Whether `context` (null: none) leaves this replica `n` fresh dots; replies when not (only
  /// a forged context can claim a replica's last dot).
  bool has_dots(const lattices::DotContext<ReplicaId>* context, std::size_t n) {
    if (!context || context->max(replica()) <= UINT64_MAX - n) return true;
    error(out_of_dots);
    return false;
  }
  /// Whether a value, member or field (with its value) fits one write; replies when not.
  bool fits(std::size_t bytes) {
    if (bytes <= limits().value_bytes_max) return true;
    out.error("ERR calm-kvs takes values, members and fields up to " +
              std::to_string(limits().value_bytes_max) +
              " bytes (a write must fit one replication message)");
    return false;
  }
  void syntax_error() { out.error("ERR syntax error"); }
  void arity_error() {
    out.error("ERR wrong number of arguments for '" + lower(args[0]) + "' command");
  }
  /// The subcommand's name (args[1]) in lower case, or empty when it is no name calm-kvs knows
  /// (longer than any: an 8 MiB word is not copied).
  std::string subcommand() const { return args[1].size() <= 16 ? lower(args[1]) : std::string(); }
  /// A known subcommand (args[1]) with the wrong number of arguments, as Redis names it.
  void subcommand_arity_error() {
    out.error("ERR wrong number of arguments for '" + lower(args[0]) + "|" + lower(args[1]) +
              "' command");
  }
  void unknown_subcommand() {
    out.error(one_line("ERR unknown subcommand '" + std::string(echoed(args[1], echo_bytes_max)) +
                       "'. Try " + upper(args[0]) + " HELP."));
  }
  /// Parses an integer argument; replies with Redis's error when it is not one.
  std::optional<std::int64_t> integer(const std::string& text) {
    auto n = parse_int64(text);
    if (!n) error(not_an_integer);
    return n;
  }
  /// An integer whose magnitude must be an int64 (a count that may be negative: SRANDMEMBER,
  /// HRANDFIELD, LPOS's RANK); replies with Redis's error when it is not one.
  std::optional<std::int64_t> signed_count(const std::string& text) {
    const auto n = integer(text);
    if (n && *n == INT64_MIN) {
      out.error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
      return std::nullopt;
    }
    return n;
  }
  void bulk_or_null(const std::optional<std::string>& s) {
    if (s) {
      out.bulk(*s);
    } else {
      out.null_bulk();
    }
  }
};

/// The command functions, by family; commands.cpp's table names each one.
namespace handlers {

using Ctx = CommandProcessor::Context;

// server.cpp: connection and server
void ping(Ctx& c);
void echo(Ctx& c);
void quit(Ctx& c);
void select(Ctx& c);
void hello(Ctx& c);
void auth(Ctx& c);
void subscribe(Ctx& c);
void unsubscribe(Ctx& c);
void psubscribe(Ctx& c);
void punsubscribe(Ctx& c);
void publish(Ctx& c);
void pubsub(Ctx& c);
void reset(Ctx& c);
void setex(Ctx& c);
void psetex(Ctx& c);
void getex(Ctx& c);
void client(Ctx& c);
void info(Ctx& c);
void config(Ctx& c);
void object(Ctx& c);
void memory(Ctx& c);
void function(Ctx& c);
void time(Ctx& c);
void role(Ctx& c);
void lastsave(Ctx& c);
void dbsize(Ctx& c);
void flush(Ctx& c);  // FLUSHDB, FLUSHALL

// keyspace.cpp
void del(Ctx& c);  // DEL, UNLINK
void exists(Ctx& c);
void type(Ctx& c);
void keys(Ctx& c);
void scan(Ctx& c);
void randomkey(Ctx& c);
void ttl(Ctx& c);  // TTL, PTTL, EXPIRETIME, PEXPIRETIME

// strings.cpp: strings and counters
void get(Ctx& c);
void set(Ctx& c);
void mget(Ctx& c);
void mset(Ctx& c);
void strlen_(Ctx& c);
void append(Ctx& c);
void getrange(Ctx& c);
void setrange(Ctx& c);
void lcs(Ctx& c);
void incr(Ctx& c);
void decr(Ctx& c);
void incrby(Ctx& c);
void incrbyfloat(Ctx& c);
void decrby(Ctx& c);

// bitmaps.cpp
void getbit(Ctx& c);
void setbit(Ctx& c);
void bitcount(Ctx& c);
void bitpos(Ctx& c);

// sets.cpp
void sadd(Ctx& c);
void srem(Ctx& c);
void smembers(Ctx& c);
void sismember(Ctx& c);
void smismember(Ctx& c);
void scard(Ctx& c);
void srandmember(Ctx& c);
void sinter(Ctx& c);
void sunion(Ctx& c);
void sdiff(Ctx& c);
void sinterstore(Ctx& c);
void sunionstore(Ctx& c);
void sdiffstore(Ctx& c);
void sintercard(Ctx& c);
void sscan(Ctx& c);

// hashes.cpp
void hset(Ctx& c);
void hmset(Ctx& c);
void hget(Ctx& c);
void hmget(Ctx& c);
void hdel(Ctx& c);
void hexists(Ctx& c);
void hgetall(Ctx& c);
void hkeys(Ctx& c);
void hvals(Ctx& c);
void hlen(Ctx& c);
void hstrlen(Ctx& c);
void hincrby(Ctx& c);
void hincrbyfloat(Ctx& c);
void hscan(Ctx& c);
void hrandfield(Ctx& c);
/// HRANDFIELD and ZRANDMEMBER (key [count [option]]) on a key of `type`, as Redis: one item,
/// or `count` items at random, distinct when positive, repeating when negative (the reply
/// bounded by reply_bytes_max), each followed by its value when the option is given (in
/// RESP3, each pair its own array; a double when `scores`).
using ItemsOf = std::function<std::vector<std::string>(const KeyValue&)>;
using ValueOf = std::function<std::string(const KeyValue&, const std::string&)>;
void random_command(Ctx& c, Type type, std::string_view option, const ItemsOf& items_of,
                    const ValueOf& value_of, bool scores = false);

// coordinated.cpp: the commands that need coordination (a linearizable keyspace's)
void setnx(Ctx& c);
void msetnx(Ctx& c);
void getset(Ctx& c);
void getdel(Ctx& c);
void spop(Ctx& c);
void smove(Ctx& c);
void rename(Ctx& c);
void renamenx(Ctx& c);
void copy(Ctx& c);
void hsetnx(Ctx& c);
void expire(Ctx& c);
void pexpire(Ctx& c);
void expireat(Ctx& c);
void pexpireat(Ctx& c);
void persist(Ctx& c);
/// The error of a coordinated command on a keyspace that has no coordination (the server
/// routes these to the log, so this is for a processor used on its own): `what` is the
/// command as named in the error (SET's: "SET NX"); the second form names args[0].
void needs_coordination(Ctx& c, const std::string& what);
void needs_coordination(Ctx& c);
/// An expiry `n` units from now (or at `n` units, `absolute`), in ms of the keyspace's clock:
/// nothing (after Redis's error) when it is not positive or overflows.
std::optional<std::uint64_t> expiry_at(Ctx& c, std::int64_t n, std::uint64_t unit_ms, bool absolute,
                                       const char* command);

// keyspace.cpp: the cursors of SSCAN and HSCAN (SCAN's approach, keyspace.cpp).
/// SSCAN's and HSCAN's cursor as Redis parses it (strtoul: an optional sign, digits, nothing
/// else; "" is 0; "-1" wraps); nothing (after "ERR invalid cursor") when it is not one.
std::optional<std::uint64_t> scan_cursor(Ctx& c, const std::string& text);
/// SSCAN and HSCAN of `items` (sorted, each once: a set's members, a hash's fields) from
/// `cursor`, with the options at args[3..] (MATCH, COUNT): replies [next cursor, elements],
/// `emit` appending each item's elements (`per_item` of them), or Redis's error.
void scan_items(Ctx& c, std::uint64_t cursor, const std::vector<std::string>& items,
                std::size_t per_item, const std::function<void(const std::string&)>& emit);

// zsets.cpp
void zadd(Ctx& c);
/// Whether a ZADD decides on the current score (NX, XX, GT, LT) and is otherwise valid: it then
/// needs agreement (CommandProcessor::describe).
bool zadd_needs_agreement(const Request& args);
void zincrby(Ctx& c);
void zrem(Ctx& c);
void zscore(Ctx& c);
void zmscore(Ctx& c);
void zcard(Ctx& c);
void zcount(Ctx& c);
void zlexcount(Ctx& c);
void zrank(Ctx& c);
void zrevrank(Ctx& c);
void zrange(Ctx& c);
void zrevrange(Ctx& c);
void zrangebyscore(Ctx& c);
void zrevrangebyscore(Ctx& c);
void zrangebylex(Ctx& c);
void zrevrangebylex(Ctx& c);
void zremrangebyrank(Ctx& c);
void zremrangebyscore(Ctx& c);
void zremrangebylex(Ctx& c);
void zpopmin(Ctx& c);
void zpopmax(Ctx& c);
void zrandmember(Ctx& c);
void zscan(Ctx& c);

// lists.cpp
void lpush(Ctx& c);
void rpush(Ctx& c);
void lpushx(Ctx& c);
void rpushx(Ctx& c);
void lpop(Ctx& c);
void rpop(Ctx& c);
void llen(Ctx& c);
void lrange(Ctx& c);
void lindex(Ctx& c);
void lpos(Ctx& c);
void lset(Ctx& c);
void linsert(Ctx& c);
void lrem(Ctx& c);
void ltrim(Ctx& c);
void lmove(Ctx& c);
void rpoplpush(Ctx& c);

}  // namespace handlers
}  // namespace calm::apps::kvs
