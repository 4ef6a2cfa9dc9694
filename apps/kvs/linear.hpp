#pragma once
/// The linearizable side of calm-kvs: the keys that the replicated Paxos log owns
/// (docs/kvs.md, "Consistency classes").
///
/// `LinearMachine` is the log's state machine (paxos::SnapshottableStateMachine and
/// QueryableStateMachine): every replica applies the same `LinearOp`s in the same order and
/// reaches the same keyspace and replies. It runs calm-kvs's own commands
/// (CommandProcessor in linearizable mode) on a `LinearKeyspace`, so a command means the same
/// on both sides of the CALM line, and the commands that need coordination (SETNX, SET NX,
/// GETSET, SPOP, RENAME, expiry...) run here with Redis's single-server semantics.
///
/// Determinism: nothing a command sees may differ between replicas. Time is the log's: each
/// op carries the wall clock of the replica that submitted it, and the machine's clock is the
/// largest seen so far (it never goes back), so an expiry is decided by the log's order, not
/// by any replica's clock. SPOP's choice is seeded by the key and that clock.
///
/// Bounds: an op is at most the log's command bound (DecodeLimits::command_bytes_max); a
/// transaction holds at most `transaction_commands_max` commands. An op that does not decode
/// (only a member that breaks the protocol sends one) is answered with an error and changes
/// nothing, on every replica alike.
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvs/commands.hpp"
#include "kvs/value.hpp"

namespace calm::apps::kvs {

inline constexpr std::size_t transaction_commands_max = 65536;
/// The longest reply of one log entry (a transaction's replies together): past it the entry's
/// commands still run, and its reply is an error. It bounds what every replica builds for an
/// entry, and keeps a forwarded answer within one frame.
inline constexpr std::size_t entry_reply_bytes_max = 8u << 20;

/// One entry of the log, or one read.
struct LinearOp {
  enum class Kind : std::uint8_t {
    command,      // commands[0], alone
    transaction,  // MULTI ... EXEC: every command, atomically, unless a watched key changed
    watch,        // a read: the tokens of commands[0]'s arguments (WATCH's keys)
    clock,        // no command: the log's clock moves (expiry decided without a write)
    pipeline,     // a connection's commands of one turn, in order: their replies, encoded as a
                  // vector<string> (not atomic in Redis's pipelines; here one entry, so it is)
  };
  Kind kind = Kind::command;
  std::uint64_t wall_ms = 0;
  std::vector<Request> commands;
  /// transaction: the watched keys and their tokens at WATCH.
  std::vector<std::pair<std::string, std::uint64_t>> watched;
  /// The protocol of the connection that sent it: its replies are built in it.
  Protocol protocol = Protocol::resp2;

  /// The kind's byte carries RESP3 as its top bit, so that an op of RESP2 (every op written
  /// before RESP3 existed) encodes as it always did. wall_ms is the encoding's fixed prefix
  /// (encode).
  static constexpr std::uint8_t resp3_bit = 0x80;
  template <class Archive>
  void save(Archive& ar) const {
    const auto kind_byte = static_cast<std::uint8_t>(static_cast<std::uint8_t>(kind) |
                                                     (protocol == Protocol::resp3 ? resp3_bit : 0));
    ar(kind_byte, commands, watched);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t kind_byte = 0;
    ar(kind_byte, commands, watched);
    protocol = (kind_byte & resp3_bit) != 0 ? Protocol::resp3 : Protocol::resp2;
    kind = static_cast<Kind>(kind_byte & ~resp3_bit);  // decode_linear_op checks it
  }
};

/// wall_ms as 8 little-endian bytes, then the rest: a leader stamps an encoded op in place
/// (stamp) without decoding it.
std::string encode(const LinearOp& op);
/// Throws lattices::DecodeError.
LinearOp decode_linear_op(std::string_view bytes);
/// Sets an encoded op's wall_ms; false (and nothing changed) when it is too short to be one.
bool stamp(std::string& encoded, std::uint64_t wall_ms);

/// A key's WATCH token: the index of the op that last changed it, and whether it is there
/// now (so an expiry counts as a change).
std::uint64_t watch_token(std::uint64_t version, bool present);

/// The keyspace of the linearizable keys: plain values, changed by one command at a time. A
/// key whose value becomes empty (DEL, SPOP of the last member) or whose expiry has passed in
/// the log's clock is gone. CRDT metadata is kept (the command implementations are shared)
/// but never merged: one writer.
class LinearKeyspace final : public Keyspace {
 public:
  const KeyValue* find(const std::string& key) const override;
  void write(const std::string& key, const std::function<KeyValue(KeyValue&)>& mutate) override;
  void for_each(const std::function<void(const std::string&, const KeyValue&)>& f) override;
  std::optional<std::uint64_t> expiry_ms(const std::string& key) const override;
  void set_expiry(const std::string& key, std::optional<std::uint64_t> at_ms) override;

  /// Before each op: the log's clock and the op's index (the version of what it changes).
  void begin(std::uint64_t now_ms, std::uint64_t op_index) {
    now_ms_ = now_ms;
    op_index_ = op_index;
  }
  /// After each command: keys left empty, or expired, go.
  void collect();
  /// WATCH's token: a present key's version, or for an absent key the last op that erased
  /// any key (so versions are kept for present keys only; a WATCH of an absent key may abort
  /// when another key went meanwhile, never wrongly succeed).
  std::uint64_t token(const std::string& key) const;
  std::uint64_t now_ms() const { return now_ms_; }
  bool has_expiring_keys() const { return !expiries_.empty(); }
  /// The earliest expiry, in the log's clock (nothing: no key expires).
  std::optional<std::uint64_t> next_expiry_ms() const {
    if (by_expiry_.empty()) return std::nullopt;
    return by_expiry_.begin()->first;
  }
  std::size_t size() const { return values_.size(); }

  struct State {
    std::map<std::string, KeyValue> values;
    std::map<std::string, std::uint64_t> expiries;
    std::map<std::string, std::uint64_t> versions;
    std::uint64_t last_erase = 0;
    // As sorted vectors: cereal's std::map support would also match the lattices' own maps.
    template <class Archive>
    void save(Archive& ar) const {
      ar(as_vector(values), as_vector(expiries), as_vector(versions), last_erase);
    }
    template <class Archive>
    void load(Archive& ar) {
      std::vector<std::pair<std::string, KeyValue>> v;
      std::vector<std::pair<std::string, std::uint64_t>> e, r;
      ar(v, e, r, last_erase);
      values = std::map<std::string, KeyValue>(std::make_move_iterator(v.begin()),
                                               std::make_move_iterator(v.end()));
      expiries = std::map<std::string, std::uint64_t>(e.begin(), e.end());
      versions = std::map<std::string, std::uint64_t>(r.begin(), r.end());
    }
    template <class V>
    static std::vector<std::pair<std::string, V>> as_vector(const std::map<std::string, V>& m) {
      return {m.begin(), m.end()};
    }
  };
  State take_state() const;
  void replace(State state);

 private:
  bool expired(const std::string& key) const;
  void touch(const std::string& key) { versions_[key] = op_index_; }
  /// Removes the key's value and expiry.
  void erase(const std::string& key);

  // std::map: a command's pointers into it stay valid while it writes other keys.
  std::map<std::string, KeyValue> values_;
  std::map<std::string, std::uint64_t> expiries_;
  std::set<std::pair<std::uint64_t, std::string>> by_expiry_;  // expiries_, by time
  /// The op that last changed each present key, and the last op that erased a key.
  std::map<std::string, std::uint64_t> versions_;
  std::uint64_t last_erase_ = 0;
  std::vector<std::string> emptied_;
  std::uint64_t now_ms_ = 0;
  std::uint64_t op_index_ = 0;
};

/// The Paxos log's state machine for the linearizable keys.
class LinearMachine {
 public:
  /// `limits`: what one write may carry, as on the coordination-free side.
  explicit LinearMachine(WriteLimits limits = {});
  LinearMachine(LinearMachine&&) noexcept;
  LinearMachine& operator=(LinearMachine&&) noexcept;
  ~LinearMachine();

  /// Applies one log entry (an encoded LinearOp); returns its RESP reply.
  std::string apply(const std::string& op);
  /// A read (read-index): a read-only command, or WATCH's tokens (encoded vector<uint64_t>).
  std::string query(const std::string& op) const;
  std::string snapshot() const;
  /// Throws lattices::DecodeError and changes nothing when `bytes` is no snapshot.
  void restore(std::string_view bytes);

  std::uint64_t now_ms() const;
  std::uint64_t ops_applied() const;
  bool has_expiring_keys() const;
  std::optional<std::uint64_t> next_expiry_ms() const;
  std::size_t keys() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calm::apps::kvs
