#pragma once
/// The Redis commands of calm-kvs, on one replica's keyspace, as Redis documents them wherever
/// the CRDTs allow it (docs/kvs.md lists where they do not).
///
/// `CommandProcessor::execute` takes one parsed request and appends its RESP2 reply. It reads
/// and writes through `Keyspace`, which the server binds to the replica (a write there is a
/// replicated, durable delta); the processor itself does no I/O, so tests drive it directly.
/// A command that fails (unknown, wrong arity, wrong type, not an integer, needs coordination)
/// replies with Redis's error and changes nothing.
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvs/resp.hpp"
#include "kvs/value.hpp"
#include "lattices/hybrid_clock.hpp"
#include "protocols/anti_entropy/message.hpp"

namespace calm::apps::kvs {

/// Case folding of command names and options: ASCII only, as Redis's (std::tolower asks the
/// locale for every byte, which a pipelined request paid three times over for its name).
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}
inline std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_upper(c);
  return out;
}

class PubSub;
class Subscriber;

/// What the commands need of a replica's keyspace.
class Keyspace {
 public:
  virtual ~Keyspace() = default;
  /// The key's value, or null when the replica holds nothing under it.
  virtual const KeyValue* find(const std::string& key) const = 0;
  /// Applies `mutate` to the key's value (bottom when absent) as one write; `mutate` changes
  /// the value it is given and returns the delta (bottom when it changed nothing).
  virtual void write(const std::string& key, const std::function<KeyValue(KeyValue&)>& mutate) = 0;
  /// The join of the key's deltas written here that no peer has been sent and no reply has
  /// acknowledged yet (null when none): a write may build on what nobody has observed. Valid
  /// until the writes are published, across writes to this or other keys.
  virtual const KeyValue* unpublished(const std::string& key) const {
    (void)key;
    return nullptr;
  }
  /// Every key the replica holds, in no particular order (a hash index; KEYS sorts, SCAN
  /// walks keys in the order of a hash of their bytes).
  virtual void for_each(const std::function<void(const std::string&, const KeyValue&)>& f) = 0;
  /// When the key expires, in ms of the keyspace's clock (nothing: it does not). A
  /// linearizable keyspace keeps it apart (LinearKeyspace); a coordination-free one in the
  /// value (KeyValue::expiry), and the processor reads it there (ExpiringKeyspace).
  virtual std::optional<std::uint64_t> expiry_ms(const std::string& key) const {
    (void)key;
    return std::nullopt;
  }
  /// Sets or clears the key's expiry.
  virtual void set_expiry(const std::string& key, std::optional<std::uint64_t> at_ms) {
    (void)key;
    (void)at_ms;
  }
};

/// A coordination-free keyspace as the commands see it, with expiry (docs/kvs.md, "Expiry on
/// coordination-free keys"): a key whose deadline (KeyValue::expiry) has passed on this
/// replica's wall clock reads as absent everywhere (find, for_each), and is deleted with an
/// ordinary replicated write that takes away everything this replica saw of it (remove_all):
///   - lazily: the keys a command's reads found expired go once the command has run
///     (reclaim_found), and a write to an expired key first takes it away, then applies, so
///     the old value never shows through;
///   - actively: `sweep` looks at a bounded number of the keys that carry an expiry, as
///     Redis's active expiry cycle samples keys with a TTL, and deletes the expired ones.
/// `expiry_ms` and `set_expiry` read and write the value's register, so the expiry commands
/// run the same code on both kinds of keyspace.
class ExpiringKeyspace final : public Keyspace {
 public:
  /// `wall_ms`: the replica's wall clock (its hybrid clock follows it); `hlc_now`: a fresh
  /// hybrid timestamp for the deletes' tombstones.
  ExpiringKeyspace(Keyspace& inner, ReplicaId replica, std::function<std::uint64_t()> wall_ms,
                   std::function<lattices::HlcTimestamp()> hlc_now)
      : inner_(inner),
        replica_(replica),
        wall_ms_(std::move(wall_ms)),
        hlc_now_(std::move(hlc_now)) {}

  const KeyValue* find(const std::string& key) const override;
  void write(const std::string& key, const std::function<KeyValue(KeyValue&)>& mutate) override;
  const KeyValue* unpublished(const std::string& key) const override {
    return inner_.unpublished(key);
  }
  void for_each(const std::function<void(const std::string&, const KeyValue&)>& f) override;
  std::optional<std::uint64_t> expiry_ms(const std::string& key) const override;
  /// A deadline (EXPIRE), or nothing: 0 over the deadline this replica sees (PERSIST, SET).
  void set_expiry(const std::string& key, std::optional<std::uint64_t> at_ms) override;

  /// Notes a key whose value now carries an expiry (a peer's delta, or one restored from
  /// disk; writes here note themselves), for the sweep.
  void note(const std::string& key, const KeyValue& value);
  /// Deletes the keys this command's reads found expired (after every command).
  void reclaim_found();
  /// Active expiry: looks at up to `keys_max` of the noted keys, in key order from where the
  /// last sweep stopped, forgets those that no longer carry an expiry and deletes those that
  /// expired. Returns how many it looked at. O(keys_max log n).
  std::size_t sweep(std::size_t keys_max);
  /// The keys this replica deleted because they expired (INFO's expired_keys).
  std::uint64_t expired_keys() const { return expired_keys_; }
  void reset_stats() { expired_keys_ = 0; }  // CONFIG RESETSTAT
  /// The keys the sweep looks at: every key that carried an expiry since the last sweep over
  /// it (an index as large as the keys with a TTL, which Redis keeps too).
  std::size_t noted_keys() const { return noted_.size(); }

 private:
  /// Takes away everything this replica saw of the key (after it expired).
  void remove(const std::string& key);
  Keyspace& inner_;
  ReplicaId replica_;
  std::function<std::uint64_t()> wall_ms_;
  std::function<lattices::HlcTimestamp()> hlc_now_;
  mutable std::vector<std::string> found_;  // keys reads found expired, to delete
  std::set<std::string> noted_;
  std::string sweep_from_;  // the sweep goes on from the first noted key at or after it
  std::uint64_t expired_keys_ = 0;
};

/// Which side of the CALM line a key is on (docs/kvs.md, "Consistency classes").
enum class Consistency {
  /// A CRDT: every replica accepts writes; replicas converge by anti-entropy.
  coordination_free,
  /// Owned by the replicated Paxos log: every command on it is linearizable.
  linearizable,
};

/// What the server needs to know of a request before running it (CommandProcessor::describe).
struct CommandTraits {
  bool known = false;        // a command calm-kvs has
  bool arity_ok = false;     // with a number of arguments it takes
  bool read_only = false;    // changes no key
  bool coordinated = false;  // its result depends on every replica agreeing (SETNX, SET NX...)
  /// KEYS, SCAN, DBSIZE, FLUSHALL, FLUSHDB: the coordination-free keyspace, on this replica.
  bool keyspace_wide = false;
  /// MULTI, EXEC, DISCARD, WATCH, UNWATCH: the server's transaction handling.
  bool transaction = false;
  /// Pub/Sub, AUTH, HELLO, CLIENT: this replica's connections, never the log's.
  bool connection_scoped = false;
  /// Runs before AUTH (AUTH, HELLO, QUIT, RESET), as Redis lets a stranger.
  bool stranger_ok = false;
  /// Runs in RESP2's subscribed state ((P)(UN)SUBSCRIBE, PING, QUIT, RESET).
  bool subscribed_ok = false;
  // The positions of the arguments that are keys: inline for up to three (every command with
  // a fixed number of keys), as every request is described.
  using KeyPositions = boost::container::small_vector<std::size_t, 3>;
  KeyPositions keys;
  std::size_t index = 0;  // a known command's place in command_names()
};

/// Per-connection state.
struct Session {
  std::uint64_t id = 0;      // CLIENT ID: the server numbers its connections from 1
  std::string name;          // CLIENT SETNAME
  std::string last_command;  // CLIENT LIST's cmd=: the last command's name, lower case
  /// HELLO 3 switches the connection's replies to RESP3, HELLO 2 and RESET back to RESP2.
  Protocol protocol = Protocol::resp2;
  /// Pub/Sub: where this connection's pushes go (null: it cannot subscribe), and how many
  /// channels and patterns it holds; while any, it runs only the (P)(UN)SUBSCRIBE commands,
  /// PING and QUIT (RESP2's subscribed state).
  Subscriber* subscriber = nullptr;
  std::size_t subscriptions = 0;
  /// False until AUTH (or HELLO AUTH) gives the server's password, when it has one: until
  /// then only AUTH, HELLO and QUIT run (Router::route), and the parser's bounds are Redis's
  /// for strangers (unauthenticated_limits).
  bool authenticated = true;
  bool close = false;  // QUIT: reply, then close
  /// MULTI ... EXEC (the Router's): the commands queued, their keys' class, and whether a
  /// command could not be queued (EXEC then discards the transaction, as Redis does).
  bool in_multi = false;
  bool multi_failed = false;
  std::vector<Request> queued;
  std::size_t queued_bytes = 0;
  std::optional<Consistency> multi_class;
  /// WATCH, by generation: EXEC, DISCARD and UNWATCH end one, and a WATCH's answer goes to
  /// the generation it was sent in (a WATCH pipelined behind an EXEC is the next
  /// transaction's, even when it is answered first).
  struct Watches {
    /// Each linearizable key with its token (its version and presence) when watched.
    std::vector<std::pair<std::string, std::uint64_t>> tokens;
    bool failed = false;  // a WATCH failed: EXEC aborts, as if a watched key changed
  };
  std::uint64_t watch_generation = 0;
  std::map<std::uint64_t, Watches> watches;
  /// The linearizable commands of this turn not yet sent (one log entry, or one read, at the
  /// turn's end: Router::end_turn), the places of their replies, and whether any writes.
  /// Consecutive commands share one place (a run): their replies go out as one piece.
  std::vector<Request> group;
  struct ReplyRun {
    std::function<void(std::string)> reply;
    std::size_t commands = 0;
  };
  std::vector<ReplyRun> group_replies;
  /// The last request this turn was the group's: the next one may join its run.
  bool group_run_open = false;
  /// The protocol the group's replies are built in: a HELLO between two of its commands
  /// sends the group before the second.
  Protocol group_protocol = Protocol::resp2;
  std::size_t group_bytes = 0;
  bool group_writes = false;
  /// The connection's requests to the log, sent one after the other, each once the one before
  /// it is answered, so that they take effect in the connection's order (Router::in_order).
  std::deque<std::function<void(std::function<void()>)>> log_steps;
  /// Requests to the log so far, over the connection's life: each is answered with at most
  /// entry_reply_bytes_max, which the server counts against a turn's replies.
  std::uint64_t log_requests = 0;
  bool log_busy = false;
  bool log_stepping = false;  // in Router::next_step (a trampoline, not a recursion)
  bool log_again = false;
};

/// A connection's type, as CLIENT LIST and KILL name it: `pubsub` while it holds a channel or
/// pattern, else `normal`; `none` stands for the types no calm-kvs connection has (master,
/// replica).
enum class ClientType { normal, pubsub, none };

/// CLIENT KILL's filters (Redis 7.0's): a connection is killed when it matches every one given.
struct ClientKillFilter {
  std::optional<std::uint64_t> id;
  std::optional<std::string> addr;   // ip:port of the client's end
  std::optional<std::string> laddr;  // ip:port of the server's end
  std::optional<ClientType> type;
  bool skip_me = true;  // SKIPME yes (the default): never the connection that asks
};

/// What the server tells the commands about itself.
struct ServerFacts {
  /// INFO's sections beyond Server and Keyspace, as (title, body) pairs: ("Replication",
  /// "replicas:3\r\n..."). Called for each INFO.
  std::function<std::vector<std::pair<std::string, std::string>>()> info_sections;
  /// CONFIG GET's settings, (name, value), names lower case.
  std::vector<std::pair<std::string, std::string>> config;
  /// The wall clock the hybrid clock follows, in ms since the Unix epoch (null: the system
  /// clock). calm-kvs's test-only --clock-offset-ms shifts it.
  std::function<std::uint64_t()> wall_ms;
  /// The password clients must AUTH with (--requirepass-file); empty: none, every connection
  /// is authenticated from the start, as Redis's default user without requirepass.
  std::string password;
  /// CLIENT LIST and CLIENT INFO: a line per connection as Redis formats it ("id=7 addr=...
  /// resp=2\n"): of the ids in `ids`, in their order, when it is not null (as Redis, an id
  /// given twice is listed twice); else of every connection of `type` (any when null), by
  /// id. Null: a processor used alone, which knows of no connection.
  std::function<std::string(const std::vector<std::uint64_t>* ids, std::optional<ClientType> type)>
      client_list;
  /// CLIENT KILL: closes the connections that match (the asking one, `self`, after its reply)
  /// and returns how many.
  std::function<std::size_t(const ClientKillFilter& filter, std::uint64_t self)> kill_clients;
  /// This replica's subscribers (null: Pub/Sub is not served), and how a PUBLISH reaches the
  /// peers' (null: alone).
  PubSub* pubsub = nullptr;
  std::function<void(std::string_view channel, std::string_view message)> publish_to_peers;
  /// CONFIG RESETSTAT: zeroes INFO's statistics (commandstats, errorstats, the stats
  /// section's counters). Null: a processor used alone, which keeps none.
  std::function<void()> reset_stats;
};

/// The largest reply a command builds when its size is set by what the client asks rather than
/// by the data: SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a negative count repeat members,
/// MGET and HMGET may name one large value many times, as may a coordination-free EXEC's queue.
/// Other replies are bounded by the data they read.
inline constexpr std::uint64_t reply_bytes_max = 64u << 20;

/// What a KeyValue delta's encoding adds to the bytes of the key and the one value, member or
/// field (with its value) it carries: the nine fields' tags and lengths, a hybrid timestamp and
/// writer, a dot, and the context it replaces (what SET, SADD or HSET of one item writes).
/// value_test's TheLargestWriteFitsOneMessage checks it.
inline constexpr std::size_t delta_encoding_bytes_max = 1024;

/// The longest value, member, or hash field with its value, that one write may carry so that
/// its delta fits one anti-entropy message of `message_bytes_max` bytes with a key of the
/// longest length.
constexpr std::size_t value_bytes_max_for(std::size_t message_bytes_max) {
  return message_bytes_max - protocols::anti_entropy::delta_header_bytes_max -
         protocols::anti_entropy::entry_overhead_bytes -
         protocols::anti_entropy::default_key_bytes_max - delta_encoding_bytes_max;
}
static_assert(value_bytes_max_for(protocols::anti_entropy::default_message_bytes_max) >= 60 * 1024,
              "a default message carries a value of 60 KiB");

/// What one write may carry. A write's delta must fit in one anti-entropy message (64 KiB by
/// default; calm-kvs's server uses 1 MiB), so longer keys, values, members and fields are
/// refused with an error rather than accepted and then impossible to replicate.
struct WriteLimits {
  std::size_t key_bytes_max = protocols::anti_entropy::default_key_bytes_max;
  /// A string value, a set member, or a hash field and its value together.
  std::size_t value_bytes_max =
      value_bytes_max_for(protocols::anti_entropy::default_message_bytes_max);
};

class CommandProcessor {
 public:
  /// `mode`: coordination_free (the default) refuses the commands that need coordination;
  /// linearizable runs them, for a keyspace whose commands all apply in one order (the Paxos
  /// log's state machine, linear.hpp), with `facts.wall_ms` the log's clock.
  CommandProcessor(Keyspace& keyspace, ReplicaId replica, ServerFacts facts = {},
                   WriteLimits limits = {}, Consistency mode = Consistency::coordination_free)
      : keyspace_(keyspace),
        replica_(replica),
        facts_(std::move(facts)),
        limits_(limits),
        mode_(mode),
        expiring_(
            keyspace, replica, [this] { return wall_ms(); }, [this] { return hlc_now(); }) {}
  // The expiring view holds `this`.
  CommandProcessor(const CommandProcessor&) = delete;
  CommandProcessor& operator=(const CommandProcessor&) = delete;

  void execute(const Request& request, Session& session, std::string& reply);

  /// The request's traits, from the command table (an unknown command: `known` false).
  static CommandTraits describe(const Request& request);
  Consistency mode() const { return mode_; }
  const WriteLimits& limits() const { return limits_; }
  /// The hybrid clock's last timestamp (a linearizable keyspace's snapshot keeps it).
  lattices::HlcTimestamp clock() const { return clock_.last(); }

  /// Takes in a timestamp this replica received (a peer's write, or one restored from disk):
  /// every later write here gets a greater one, so it wins over everything seen here.
  void observe(lattices::HlcTimestamp seen) {
    if (seen > clock_.last()) clock_ = lattices::HybridClock(seen);
  }

  /// The coordination-free keyspace with expiry, as the commands see it: the server notes
  /// peers' keys with it, sweeps it, and reads its counters.
  ExpiringKeyspace& expiring() { return expiring_; }

  /// The names of the commands it knows, lower case (COMMAND, tests).
  static std::vector<std::string> command_names();

  /// One command's view of the processor, for the command functions (commands/handlers.hpp).
  struct Context;

 private:
  Keyspace& keyspace_;
  ReplicaId replica_;
  ServerFacts facts_;
  WriteLimits limits_;
  Consistency mode_;
  lattices::HybridClock clock_;
  ExpiringKeyspace expiring_;
  /// Redis's encoding-tuning settings (hash-max-listpack-entries...): CONFIG SET takes and
  /// keeps them, CONFIG GET reports them, and nothing reads them (calm-kvs's types have one
  /// encoding each). Name, value; in Redis 7.0's defaults until set.
  std::vector<std::pair<std::string, std::string>> tuning_ = default_tuning();
  static std::vector<std::pair<std::string, std::string>> default_tuning();

  /// The commands' keyspace: the expiring view of a coordination-free one; a linearizable
  /// one as it is (LinearKeyspace keeps its own expiry).
  Keyspace& keys() {
    return mode_ == Consistency::coordination_free ? static_cast<Keyspace&>(expiring_) : keyspace_;
  }
  /// The wall clock, read at most once per command (execute), when the command first asks: a
  /// command sees one instant, as in Redis, so a key cannot expire between its read and its
  /// write within one command; and a command that asks for no time (LPUSH on a key without
  /// expiry) reads no clock.
  bool in_command_ = false;
  mutable std::optional<std::uint64_t> command_ms_;
  std::uint64_t wall_ms() const {
    if (command_ms_) return *command_ms_;
    const std::uint64_t now =
        facts_.wall_ms ? facts_.wall_ms() : lattices::HybridClock::system_wall_ms();
    if (in_command_) command_ms_ = now;
    return now;
  }
  /// At the command's instant when there is one: its writes and its expiry checks agree, and
  /// a write reads the clock once, not twice.
  lattices::HlcTimestamp hlc_now() { return clock_.now(wall_ms()); }
  void run(const Request& request, Session& session, std::string& reply);
};

/// Redis's glob matching for KEYS and SCAN MATCH: * ? [abc] [^a] [a-z] and \ escapes.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace calm::apps::kvs
