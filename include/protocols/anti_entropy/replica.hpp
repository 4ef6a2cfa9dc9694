#pragma once
/// Replica<L>: delta-interval anti-entropy with acknowledgements, as a sans-IO state machine.
///
/// A replica holds a map from key to a lattice value `L` and keeps it converging with its
/// peers. It never touches a socket, a disk or a clock: `update`, `step` and `tick` change it
/// and accumulate what the host must do; `ready()` hands that over as one host::Ready (state to
/// persist, then messages to send), which the protocol host (protocols/host/host.hpp) performs
/// once per turn of its event loop, in that order, so that an acknowledgement never leaves
/// before the state it acknowledges is durable.
///
/// Persistence: what a turn changed is persisted as deltas, one RocksDB merge operand per key
/// per turn under "state/" + key: the join of the key's local deltas and of the new parts of
/// received ones (storage::lattice_merge folds them with L's join at read and at compaction).
/// A key's local writes of one turn share one buffered delta too (until a gossip round sends
/// it). A turn whose gossip sends local writes asks for its batch to be synced first: a peer
/// never holds a write of ours that a power cut could take from our disk (we would otherwise
/// make its dots again, for other values, after the restart).
///
/// Rollback: when the host cannot write a turn's batch, `rollback` undoes the turn: its keys
/// are read back from the disk, its buffered deltas and the intervals built from them dropped.
///
/// Algorithm (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", 2018, the causal
/// delta-merging variant with delta intervals):
///   - every change (a local write's delta, or the new part of a received delta) enters a
///     delta buffer under the next sequence number; the buffer holds at most
///     `buffer_entries_max` entries, oldest evicted first;
///   - per peer, `acked` is the highest sequence number the peer confirmed; each gossip round
///     sends `fanout` peers that lack something the interval (acked, last_seq]: the join, per
///     key, of the buffered deltas in that range;
///   - a peer whose `acked` is older than the buffer (evicted entries), or unknown (this
///     replica or the peer restarted, or the peer was just added), gets the full state instead;
///   - an interval is split into chunks of at most `message_bytes_max` bytes, splitting a
///     large value by lattices::decompose (atoms, removed ranges whole); the receiver merges every
///     chunk at once and acknowledges each; `acked` moves when every chunk of the interval is
///     acknowledged; unacknowledged chunks are sent again in later rounds;
///   - buffered deltas every peer acknowledged are garbage-collected.
/// Optimizations (Enes, Almeida, Baquero, Leitão, "Efficient Synchronization of State-based
/// CRDTs", ICDE 2019), and one of ours, all on by default:
///   - BP (avoid back-propagation): a buffered delta remembers the peer it came from and is
///     never sent back to that peer;
///   - BP+ (`skip_what_the_peer_sent`, ours): what a peer sent us in deltas since our last
///     interval to it, whichever peer it reached us from first, is cut from the next one (by
///     delta): the peer has it, durably, since it sent it;
///   - RR (remove redundant state): a received delta enters the buffer as delta(d, state),
///     the atoms of d this replica did not already have, so known state is never forwarded.
///
/// Restarts: each boot has a new `incarnation`; every message carries its sender's, and acks
/// echo the incarnation they acknowledge. A replica that sees a peer's incarnation change
/// forgets what it knew of that peer (its acks) and sends it the full state; an ack for an
/// older incarnation of this replica is ignored. So a peer that lost its disk is re-synced,
/// and a stale ack never vouches for state a previous life sent.
///
/// Rejected input: a frame that does not decode, is too large, names another recipient or a
/// different sender than the transport reports, comes from a node outside the membership,
/// holds a value that does not decode as `L`, or holds a value the host's admission check
/// refuses, changes nothing; its reason is returned in `Ready::rejected` and counted. A
/// value whose join does not exist (`JoinUndefined`) rejects the rest of its frame.
///
/// Admission (`set_admission`): an authenticated peer can still be faulty, so the host may
/// inspect every received (key, decoded value), given the wall time it passes to `step` (the
/// protocol reads no clock), and refuse it with a reason: then the whole frame is refused
/// (nothing merged, no ack; the sender will send it again, and it is refused again). Values
/// that enter the state from outside `update` (admitted frames, and values restored from the
/// disk) are shown to the host's `observe`, before they are merged: a host's hybrid clock
/// takes in their timestamps there.
///
/// Bounds: the delta buffer holds at most `buffer_entries_max` entries; per peer, `heard` holds
/// at most `heard_keys_max` keys (past it, what the peer sends is no longer remembered, and
/// only the BP+ saving is lost); at most `full_states_in_flight_max` peers are sent a full
/// state at once (each such interval holds the whole state encoded); a turn's persisted deltas
/// are one per key written in the turn.
///
/// Requires: `L` decomposable (lattices::Decomposable) with delta; every part of a value
/// encodes within `message_bytes_max - delta_header_bytes_max - key - entry_overhead_bytes`.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "lattices/assert.hpp"
#include "lattices/core.hpp"
#include "lattices/random.hpp"
#include "lattices/serialize.hpp"
#include "protocols/anti_entropy/message.hpp"
#include "protocols/host/host.hpp"

namespace calm::protocols::anti_entropy {

struct Config {
  NodeId self = 0;
  std::uint64_t incarnation = 0;
  std::vector<NodeId> peers;
  /// Peers sent to per gossip round (fewer when fewer lack anything).
  std::size_t fanout = 2;
  std::uint64_t gossip_interval_ms = 50;
  /// The largest frame sent or accepted.
  std::size_t message_bytes_max = default_message_bytes_max;
  std::size_t key_bytes_max = default_key_bytes_max;
  /// Bound on the delta buffer; peers that fall behind it get the full state.
  std::size_t buffer_entries_max = 4096;
  /// Bound on the chunks sent to one peer per round (a full state is spread over rounds).
  std::size_t chunks_per_peer_per_round_max = 64;
  /// The longest a peer's retransmission timeout grows to (see `Peer::resend_timeout_ms`).
  /// The shortest is one gossip interval.
  std::uint64_t resend_timeout_max_ms = 10'000;
  bool avoid_back_propagation = true;  // BP
  bool remove_redundant = true;        // RR
  /// BP+: what a peer sent us since our last interval to it, whoever it first came from, is
  /// not sent back to it.
  bool skip_what_the_peer_sent = true;
  /// A gossip round that sends local writes not synced yet asks for the turn's batch to be
  /// synced first: a power cut then cannot take from this replica a write a peer holds (its
  /// dots would be made again, for other values, after the restart). A host that takes a
  /// fresh writer id after every stop that was not clean (calm-kvs) may turn it off.
  bool sync_before_gossip = true;
  /// Bound on the keys remembered per peer for BP+ (`heard`).
  std::size_t heard_keys_max = 1u << 16;
  /// Bound on the peers that are sent a full state at once.
  std::size_t full_states_in_flight_max = 2;
  /// Seeds the choice of gossip targets.
  std::uint64_t seed = 0;
};

using host::Outgoing;

/// The host's rules for received values (see "Admission" above); either may be empty.
template <class L>
struct Admission {
  /// Nothing to admit the value, else the reason it is refused. `wall_ms` is the host's wall
  /// time as passed to Replica::step.
  std::function<std::optional<std::string>(const std::string& key, const L& value,
                                           std::uint64_t wall_ms)>
      check;
  /// Sees each value of an admitted frame, and each restored one, before it is merged.
  std::function<void(const std::string& key, const L& value)> observe;
};

struct ReplicaStats {
  std::uint64_t delta_messages_sent = 0;
  std::uint64_t delta_bytes_sent = 0;
  std::uint64_t ack_messages_sent = 0;
  std::uint64_t ack_bytes_sent = 0;
  std::uint64_t intervals_started = 0;
  std::uint64_t full_state_intervals = 0;
  std::uint64_t chunks_resent = 0;
  /// Buffered entries not sent to a peer because they came from it (BP).
  std::uint64_t back_propagations_avoided = 0;
  /// Received deltas that held something this replica already had (RR stripped it).
  std::uint64_t redundant_deltas_stripped = 0;
  /// Keys left out of, or cut down in, an interval because the peer had sent them to us.
  std::uint64_t heard_entries_stripped = 0;
  std::uint64_t rejected = 0;
  /// Frames refused because the admission check refused one of their values (also counted in
  /// `rejected`).
  std::uint64_t refused_by_admission = 0;
  std::uint64_t oversized_atoms = 0;
  std::uint64_t peer_resets = 0;
};

template <class L>
requires lattices::Decomposable<L> && lattices::DeltaLattice<L>
class Replica {
 public:
  /// The most keys `expect_keys` sizes the table for (64 MiB of buckets); past it the table
  /// grows as keys arrive.
  static constexpr std::uint64_t restore_reserve_max = std::uint64_t{1} << 23;

  using Final = host::NoFinal;
  using Ready = host::Ready<Final>;
  /// Every key it persists starts with this (then the key).
  static constexpr std::string_view disk_prefix = "state/";

  explicit Replica(Config config) : config_(std::move(config)), random_(config_.seed) {
    for (NodeId p : config_.peers) add_peer(p);
  }

  /// Sets the host's rules for received values; takes effect from the next frame (and the
  /// next restore).
  void set_admission(Admission<L> admission) { admission_ = std::move(admission); }

  /// Before the restores of a boot: about how many keys the disk holds, so that the table of
  /// keys is sized once (at most `restore_reserve_max` of them: the estimate is the disk's).
  void expect_keys(std::uint64_t keys) {
    state_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(keys, restore_reserve_max)));
  }

  /// Loads a key's value from the disk at boot. Throws DecodeError on corrupt bytes.
  void restore(const std::string& key, std::string_view bytes) {
    L value = lattices::from_bytes<L>(bytes);
    if (lattices::is_bot(value)) return;
    if (admission_.observe) admission_.observe(key, value);
    state_[key] = std::move(value);
  }

  /// Runs `mutate(L&)` on the key's value, in place; it returns the delta (as every calm CRDT
  /// mutator does). Returns the write's sequence number in this incarnation (0 if it changed
  /// nothing); a key's writes of one turn share one. Throws std::length_error for a key above
  /// `key_bytes_max` (then nothing changed) or a delta with an atom that cannot fit in one
  /// message (a caller's bug). When the mutator or that check throws, the key's value may be
  /// half changed: the key is marked, and the host's `rollback` reads it back from the disk
  /// (Host::apply does so before the exception reaches its caller), so that, seen through the
  /// host, a write that throws changes nothing. In place, so that a small write to a large
  /// value costs its delta, not a copy of the value.
  template <class Mutator>
  std::uint64_t update(const std::string& key, Mutator&& mutate) {
    if (key.size() > config_.key_bytes_max) throw std::length_error("anti-entropy: key too long");
    auto [it, fresh] = state_.try_emplace(key);
    L delta;
    bool changed_nothing = false;  // a lawful mutator's bottom delta
    try {
      delta = mutate(it->second);
      changed_nothing = lattices::is_bot(delta);
      if (!changed_nothing) check_sendable(key, delta);
    } catch (...) {
      if (fresh && lattices::is_bot(it->second)) {
        state_.erase(it);
      } else {
        suspect_.insert(key);
      }
      throw;
    }
    if (changed_nothing) {
      if (fresh) state_.erase(it);
      return 0;
    }
    unsynced_local_ = true;
    const auto [changed_at, first_change] = changed_.try_emplace(key);
    Changed& changed = changed_at->second;
    if (peers_.empty()) {  // nothing to buffer: only the disk needs the delta
      lattices::merge(changed.delta, std::move(delta));
      dropped_through_ = ++last_seq_;
      return last_seq_;
    }
    lattices::merge(changed.delta, delta);
    if (changed.open_seq != 0) {
      if (Buffered* b = buffered(changed.open_seq)) {
        CALM_ASSERT(b->bytes.empty(), "an open entry has no bytes yet: only sealed ones get them");
        lattices::merge(b->delta, std::move(delta));
        return b->seq;
      }
    }
    changed.open_seq = buffer_push(key, std::move(delta), config_.self);
    changed.mirrors_open = first_change;
    return changed.open_seq;
  }

  /// Whether the key changed since the last `ready()` (a write, or a peer's delta): what is
  /// read of it is not on disk yet.
  bool changed_this_turn(const std::string& key) const { return changed_.contains(key); }

  /// The join of the key's local writes that no gossip has sent and no batch has persisted yet
  /// (null when none): nobody outside this process has seen them. Valid until the next
  /// `tick`, `ready` or write to the key.
  const L* unsent_local_delta(const std::string& key) const {
    const auto it = changed_.find(key);
    if (it == changed_.end() || it->second.open_seq == 0) return nullptr;
    const Buffered* b = buffered(it->second.open_seq);
    return b == nullptr ? nullptr : &b->delta;
  }

  /// Handles one frame from `from`. `input.wall_ms` is the host's wall time, for its
  /// admission check. `input.proven_incarnation` is the incarnation the sender proved to the
  /// transport (an authenticating transport knows it): a frame that claims another is refused,
  /// so a peer cannot forge a restart (which costs a full state).
  void step(NodeId from, std::string_view bytes, const host::Input& input = {}) {
    Message message;
    try {
      message = decode_message(bytes, limits());
    } catch (const lattices::DecodeError& e) {
      reject(e.what());
      return;
    }
    const bool forged = std::visit(
        [&](const auto& m) {
          return input.proven_incarnation && m.incarnation != *input.proven_incarnation;
        },
        message);
    if (forged) {
      reject("anti-entropy: incarnation differs from the one the sender proved");
      return;
    }
    now_ms_ = std::max(now_ms_, input.now_ms);
    std::visit([&](auto& m) { receive(from, m, input.wall_ms); }, message);
  }

  /// The first gossip round is spread over one interval, so that replicas booted together do
  /// not gossip in lockstep.
  std::uint64_t tick_delay_ms(bool first) const {
    const std::uint64_t interval = config_.gossip_interval_ms;
    if (!first) return interval;
    return interval == 0 ? 0 : config_.incarnation % interval;
  }

  /// Runs a gossip round when one is due.
  void tick(const host::Input& input) {
    const std::uint64_t now_ms = input.now_ms;
    now_ms_ = std::max(now_ms_, now_ms);
    if (now_ms < next_gossip_ms_) return;
    next_gossip_ms_ = now_ms + config_.gossip_interval_ms;
    std::vector<NodeId> needy;
    for (const auto& [id, peer] : peers_) {
      if (peer.in_flight || !peer.acked || *peer.acked < last_seq_) needy.push_back(id);
    }
    // A partial Fisher-Yates shuffle picks them in random order until `fanout` got frames: a
    // peer that turns out to lack nothing (BP, BP+) does not use up a slot.
    std::size_t sent_to = 0;
    SharedInterval shared;
    for (std::size_t i = 0; i < needy.size() && sent_to < config_.fanout; ++i) {
      std::swap(needy[i], needy[i + random_.below(needy.size() - i)]);
      sent_to += gossip_to(needy[i], shared) ? 1 : 0;
    }
  }

  /// What the host must do for everything since the last call (ready.hpp): the turn's deltas
  /// to persist (one merge per key), then the messages to send.
  Ready ready() {
    Ready out = std::move(pending_);
    pending_ = Ready{};
    out.persist.reserve(changed_.size());
    for (const auto& [key, changed] : changed_) {
      std::string disk_key = std::string(disk_prefix) + key;
      const auto it = state_.find(key);
      // A delta that is the key's whole value (a new key, a value replaced whole, a counter
      // one replica writes) is put: the disk then needs no merge, now or later, and drops
      // the operands below it. Otherwise the delta is a merge operand, so that a small
      // change to a large value costs its size. (Equality fails fast on a large value.)
      CALM_ASSERT(it != state_.end(), "a key changed this turn has a value");
      std::string bytes = lattices::to_bytes(changed.delta);
      if (changed.mirrors_open) {  // the peers' intervals send these very bytes
        if (Buffered* b = buffered(changed.open_seq)) b->bytes = bytes;
      }
      if (it->second == changed.delta) {
        out.persist.push_back(storage::Write::put(std::move(disk_key), std::move(bytes)));
      } else {
        out.persist.push_back(storage::Write::merge(std::move(disk_key), std::move(bytes)));
      }
    }
    changed_.clear();
    if (sync_before_send_) {
      out.sync = true;
      sync_before_send_ = false;
      unsynced_local_ = false;
    }
    return out;
  }

  /// The sequence number of the last change: `rollback` returns to a checkpoint.
  std::uint64_t checkpoint() const { return last_seq_; }

  /// The host could not write `failed` (the batch of the turn since `checkpoint`), or a
  /// request threw (`failed` empty): goes back to what the disk holds. The keys of `failed`,
  /// and those a throwing mutator may have half changed, are read back with `read` (disk
  /// keys); the deltas buffered since the checkpoint, and any interval built from them, are
  /// dropped. Throws DecodeError when the disk's value does not decode.
  void rollback(std::uint64_t checkpoint, std::span<const storage::Write> failed,
                const host::DurableRead& read) {
    while (!buffer_.empty() && buffer_.back().seq > checkpoint) buffer_.pop_back();
    for (auto& entry : peers_) {
      Peer& peer = entry.second;
      if (peer.in_flight && peer.in_flight->interval_end > checkpoint) peer.in_flight.reset();
      // The failed turn's sends never left: a surviving interval's unacknowledged chunks count
      // as not sent, and go at the next round rather than after a timeout.
      if (peer.in_flight) peer.in_flight->sent = 0;
    }
    for (const storage::Write& w : failed) {
      if (w.key.starts_with(disk_prefix)) suspect_.insert(w.key.substr(disk_prefix.size()));
    }
    for (const std::string& key : suspect_) {
      std::optional<std::string> bytes = read(std::string(disk_prefix) + key);
      L value = bytes ? lattices::from_bytes<L>(*bytes) : L{};
      if (lattices::is_bot(value)) {
        state_.erase(key);
      } else {
        state_.insert_or_assign(key, std::move(value));
      }
    }
    suspect_.clear();
    changed_.clear();
    pending_ = Ready{};
    unsynced_local_ = true;  // whatever was not synced may still be lost
    // The failed turn may have let a peer vouch for unsynced local writes (the BP+ case in
    // start_interval) and asked for a sync that never happened: the next batch syncs.
    sync_before_send_ = config_.sync_before_gossip;
  }

  void add_peer(NodeId id) {
    if (id != config_.self) peers_.try_emplace(id);
  }
  void remove_peer(NodeId id) {
    peers_.erase(id);
    collect_garbage();
  }
  std::vector<NodeId> peers() const {
    std::vector<NodeId> out;
    for (const auto& entry : peers_) out.push_back(entry.first);
    return out;
  }

  /// The key's value (bottom when absent).
  L get(const std::string& key) const {
    auto it = state_.find(key);
    return it == state_.end() ? L{} : it->second;
  }
  /// Every key's value, in no particular order (a hash index: a key's lookup is O(1)).
  const std::unordered_map<std::string, L>& state() const { return state_; }
  /// How many peers acknowledged everything up to `seq` (in this incarnation).
  std::size_t peers_holding(std::uint64_t seq) const {
    std::size_t n = 0;
    for (const auto& entry : peers_) n += entry.second.acked && *entry.second.acked >= seq;
    return n;
  }
  std::uint64_t last_seq() const { return last_seq_; }
  std::size_t buffered_entries() const { return buffer_.size(); }
  const ReplicaStats& stats() const { return stats_; }
  const Config& config() const { return config_; }

 private:
  struct Buffered {
    std::uint64_t seq;
    std::string key;
    L delta;
    NodeId origin;
    /// to_bytes(delta), made once the entry is sealed (by ready(), which persists the same
    /// bytes, or by the first interval that sends it) and shared by every peer's interval;
    /// empty until then (no encoding is empty).
    std::string bytes;
  };
  /// The entries of one round's interval, shared by the peers that need the same one.
  struct SharedInterval {
    bool built = false;
    std::uint64_t acked = 0;
    std::vector<std::vector<Entry>> chunks;
  };
  struct InFlight {
    std::uint64_t interval_end = 0;
    bool full_state = false;
    std::vector<std::string> chunks;  // encoded frames
    std::vector<bool> acked;
    std::size_t remaining = 0;
    /// Chunks [0, sent) went out at least once; the rest wait for a later round's budget.
    std::size_t sent = 0;
    std::uint64_t started_ms = 0;
    /// When the unacknowledged chunks among the sent go out again.
    std::uint64_t resend_at_ms = 0;
    /// A chunk went out twice: the interval's round trip is no sample (Karn).
    bool resent = false;
  };
  struct Peer {
    std::optional<std::uint64_t> acked;
    std::optional<InFlight> in_flight;
    std::uint64_t incarnation = 0;  // 0: not heard from yet
    /// How long a sent chunk waits for its ack before it is sent again: twice the smoothed
    /// time a whole interval took to be acknowledged, at least one gossip interval, doubled
    /// after each resend up to Config::resend_timeout_max_ms. Resending every round instead
    /// floods a peer that is merely slow (a large interval takes it longer than a round to
    /// apply) with copies it must decode and discard, which slows it further.
    std::uint64_t resend_timeout_ms = 0;
    std::uint64_t round_trip_ms = 0;  // smoothed; 0: no sample yet
    /// What the peer sent us in deltas (not full states) since our last interval to it
    /// started: it has all of it, durably, so the next interval need not carry it.
    std::map<std::string, L> heard;
  };

  DecodeLimits limits() const {
    DecodeLimits l;
    l.message_bytes_max = config_.message_bytes_max;
    l.key_bytes_max = config_.key_bytes_max;
    return l;
  }
  std::size_t payload_bytes_max() const {
    return config_.message_bytes_max - delta_header_bytes_max;
  }
  static std::size_t entry_bytes(const std::string& key, const std::string& value) {
    return entry_bytes(key, value.size());
  }
  static std::size_t entry_bytes(const std::string& key, std::size_t value_bytes) {
    return key.size() + value_bytes + entry_overhead_bytes;
  }

  /// A key as a rejection reason quotes it: at most 64 bytes, control bytes as '?'.
  static std::string printable(const std::string& key) {
    constexpr std::size_t quoted_bytes_max = 64;
    std::string out = key.substr(0, quoted_bytes_max);
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    if (key.size() > quoted_bytes_max) out += "...";
    return out;
  }

  void reject(std::string reason) {
    ++stats_.rejected;
    pending_.rejected.push_back(std::move(reason));
  }

  void check_sendable(const std::string& key, const L& delta) {
    // Sizes only: every write passes here, and the bytes are made again when they are sent.
    if (entry_bytes(key, lattices::encoded_size(delta)) <= payload_bytes_max()) return;
    for (const L& atom : lattices::decompose(delta)) {
      if (entry_bytes(key, lattices::encoded_size(atom)) > payload_bytes_max()) {
        throw std::length_error("anti-entropy: an atom does not fit in one message");
      }
    }
  }

  /// The buffered entry with sequence number `seq`, or null when it was dropped. Entries are in
  /// sequence order (with gaps where a rollback dropped some).
  const Buffered* buffered(std::uint64_t seq) const {
    const auto it = std::lower_bound(buffer_.begin(), buffer_.end(), seq,
                                     [](const Buffered& b, std::uint64_t s) { return b.seq < s; });
    return it == buffer_.end() || it->seq != seq ? nullptr : &*it;
  }
  Buffered* buffered(std::uint64_t seq) {
    return const_cast<Buffered*>(std::as_const(*this).buffered(seq));
  }

  std::uint64_t buffer_push(const std::string& key, L delta, NodeId origin) {
    if (peers_.empty()) {  // nobody to send it to; a peer added later gets the full state
      dropped_through_ = ++last_seq_;
      return last_seq_;
    }
    CALM_ASSERT(buffer_.empty() || buffer_.back().seq <= last_seq_,
                "the buffer is in sequence order, below the last sequence number");
    buffer_.push_back(Buffered{++last_seq_, key, std::move(delta), origin, {}});
    while (buffer_.size() > config_.buffer_entries_max) {
      dropped_through_ = buffer_.front().seq;
      buffer_.pop_front();
    }
    CALM_ASSERT(buffer_.size() <= config_.buffer_entries_max,
                "the delta buffer stays within buffer_entries_max");
    return last_seq_;
  }

  /// Forgets what we knew of a peer that restarted: it gets the full state.
  void reset_peer(Peer& peer, std::uint64_t incarnation) {
    ++stats_.peer_resets;
    peer.incarnation = incarnation;
    peer.acked.reset();
    peer.in_flight.reset();
    peer.resend_timeout_ms = 0;  // a new process: what we learned of the last one's pace goes
    peer.round_trip_ms = 0;
    peer.heard.clear();
  }

  /// Checks the envelope; returns the peer, or nullptr after rejecting.
  template <class M>
  Peer* admit(NodeId from, const M& m) {
    if (m.from != from) {
      reject("anti-entropy: sender field differs from the transport's sender");
      return nullptr;
    }
    if (m.to != config_.self) {
      reject("anti-entropy: message addressed to another node");
      return nullptr;
    }
    auto it = peers_.find(from);
    if (it == peers_.end()) {
      reject("anti-entropy: sender is not a member");
      return nullptr;
    }
    // The first message from a peer only tells us its incarnation: what we know of it (acks)
    // was learned from this incarnation already. A later change means it restarted.
    if (it->second.incarnation == 0) {
      it->second.incarnation = m.incarnation;
    } else if (it->second.incarnation != m.incarnation) {
      reset_peer(it->second, m.incarnation);
    }
    return &it->second;
  }

  void receive(NodeId from, const DeltaMessage& m, std::uint64_t wall_ms) {
    Peer* peer = admit(from, m);
    if (peer == nullptr) return;
    // Decode and check every value before merging any, so a bad message changes nothing.
    std::vector<L> values;
    values.reserve(m.entries.size());
    try {
      for (const Entry& e : m.entries) values.push_back(lattices::from_bytes<L>(e.value));
    } catch (const lattices::DecodeError& e) {  // malformed, or a lattice's own value check
      reject(std::string("anti-entropy: bad value: ") + e.what());
      return;
    }
    if (admission_.check) {
      for (std::size_t i = 0; i < values.size(); ++i) {
        std::optional<std::string> refusal = admission_.check(m.entries[i].key, values[i], wall_ms);
        if (!refusal) continue;
        ++stats_.refused_by_admission;
        reject("anti-entropy: value for key '" + printable(m.entries[i].key) +
               "' refused: " + *refusal);
        return;
      }
    }
    if (admission_.observe) {
      for (std::size_t i = 0; i < values.size(); ++i) {
        admission_.observe(m.entries[i].key, values[i]);
      }
    }
    if (config_.skip_what_the_peer_sent && !m.full_state) {
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::string& key = m.entries[i].key;
        // Past the bound the peer's keys are no longer remembered: only BP+'s saving is lost.
        if (peer->heard.size() >= config_.heard_keys_max && !peer->heard.contains(key)) continue;
        try {
          lattices::merge(peer->heard[key], values[i]);
        } catch (const lattices::JoinUndefined&) {
          peer->heard.erase(key);  // no join: the merge below rejects the frame
        }
      }
    }
    bool joined_all = true;
    for (std::size_t i = 0; i < values.size() && joined_all; ++i) {
      try {
        merge_entry(from, m.entries[i].key, std::move(values[i]));
      } catch (const lattices::JoinUndefined& e) {
        // A partial lattice (e.g. Point) whose join does not exist: the frame is refused from
        // here on; the entries before it were lawful joins and stay.
        reject(std::string("anti-entropy: value cannot be joined: ") + e.what());
        joined_all = false;
      }
    }
    if (!joined_all) return;
    AckMessage ack;
    ack.from = config_.self;
    ack.to = from;
    ack.incarnation = config_.incarnation;
    ack.acked_incarnation = m.incarnation;
    ack.interval_end = m.interval_end;
    ack.chunk_index = m.chunk_index;
    ack.chunk_count = m.chunk_count;
    std::string bytes = encode_message(ack);
    ++stats_.ack_messages_sent;
    stats_.ack_bytes_sent += bytes.size();
    pending_.send.push_back({from, std::move(bytes)});
  }

  /// Joins one received entry into the state, the buffer and the turn's deltas to persist
  /// (RR: only its new atoms).
  void merge_entry(NodeId from, const std::string& key, L value) {
    auto it = state_.find(key);
    const L& current = it == state_.end() ? bottom_ : it->second;
    L fresh;
    if (config_.remove_redundant) {
      fresh = lattices::delta(value, current);
      if (!(fresh == value)) ++stats_.redundant_deltas_stripped;
      if (lattices::is_bot(fresh)) return;
    } else {
      L probe = current;
      if (!lattices::merge(probe, value)) return;
      fresh = std::move(value);
    }
    if (it == state_.end()) it = state_.emplace(key, L{}).first;
    lattices::merge(it->second, fresh);
    Changed& changed = changed_[key];
    lattices::merge(changed.delta, fresh);
    changed.mirrors_open = false;
    buffer_push(key, std::move(fresh), from);
  }

  void receive(NodeId from, const AckMessage& m, std::uint64_t) {
    Peer* peer = admit(from, m);
    if (peer == nullptr) return;
    if (m.acked_incarnation != config_.incarnation) return;  // for a previous life of ours
    if (!peer->in_flight) return;
    InFlight& flight = *peer->in_flight;
    if (flight.interval_end != m.interval_end || flight.chunks.size() != m.chunk_count) return;
    CALM_ASSERT(m.chunk_index < flight.acked.size(), "decode_message bounds the chunk index");
    if (flight.acked[m.chunk_index]) return;
    flight.acked[m.chunk_index] = true;
    // The peer is working through the interval: the rest of it is not late yet.
    flight.resend_at_ms = now_ms_ + resend_timeout(*peer);
    if (--flight.remaining > 0) return;
    if (!flight.resent) {
      const std::uint64_t sample = now_ms_ - flight.started_ms;
      peer->round_trip_ms =
          peer->round_trip_ms == 0 ? sample : (7 * peer->round_trip_ms + sample) / 8;
      peer->resend_timeout_ms = 2 * peer->round_trip_ms;
    }
    peer->acked = std::max(peer->acked.value_or(0), flight.interval_end);
    peer->in_flight.reset();
    collect_garbage();
  }

  void collect_garbage() {
    std::uint64_t floor = last_seq_;
    for (const auto& entry : peers_) {
      const Peer& p = entry.second;
      if (p.acked) floor = std::min(floor, *p.acked);
      if (p.in_flight) floor = std::min(floor, p.in_flight->interval_end);
    }
    while (!buffer_.empty() && buffer_.front().seq <= floor) {
      dropped_through_ = buffer_.front().seq;
      buffer_.pop_front();
    }
  }

  /// At least one gossip interval (1 ms when gossip runs every turn, so that doubling backs
  /// off), at most the configured bound, itself held below 2^40 ms so that doubling a timeout
  /// or adding it to the clock cannot wrap.
  std::uint64_t resend_timeout(const Peer& peer) const {
    constexpr std::uint64_t ceiling = std::uint64_t{1} << 40;
    const std::uint64_t floor = std::clamp<std::uint64_t>(config_.gossip_interval_ms, 1, ceiling);
    const std::uint64_t cap = std::clamp(config_.resend_timeout_max_ms, floor, ceiling);
    return std::clamp(peer.resend_timeout_ms, floor, cap);
  }

  /// Sends the peer what its interval is due: the chunks not sent yet, and once the resend
  /// timeout has passed, the sent ones still unacknowledged. False when nothing was sent.
  bool gossip_to(NodeId to, SharedInterval& shared) {
    Peer& peer = peers_.at(to);
    if (!peer.in_flight && !start_interval(to, peer, shared)) return false;
    InFlight& flight = *peer.in_flight;
    std::size_t budget = config_.chunks_per_peer_per_round_max;
    std::size_t sent = 0;
    const auto send = [&](std::size_t i) {
      ++stats_.delta_messages_sent;
      stats_.delta_bytes_sent += flight.chunks[i].size();
      pending_.send.push_back({to, flight.chunks[i]});
      ++sent;
      --budget;
    };
    if (flight.sent > 0 && now_ms_ >= flight.resend_at_ms) {
      for (std::size_t i = 0; i < flight.sent && budget > 0; ++i) {
        if (flight.acked[i]) continue;
        ++stats_.chunks_resent;
        send(i);
      }
      if (sent > 0) {
        flight.resent = true;
        peer.resend_timeout_ms = 2 * resend_timeout(peer);  // back off; capped when read
      }
    }
    while (flight.sent < flight.chunks.size() && budget > 0) {
      const std::size_t i = flight.sent++;
      if (!flight.acked[i]) send(i);
    }
    if (sent == 0) return false;
    flight.resend_at_ms = now_ms_ + resend_timeout(peer);
    // A chunk may carry local writes not synced yet: the batch is synced before it leaves.
    if (unsynced_local_ && config_.sync_before_gossip) sync_before_send_ = true;
    return true;
  }

  /// Builds the next interval for a peer; false when it turns out to need nothing. Peers of one
  /// round that acknowledged the same point, and to which neither BP nor BP+ takes anything
  /// away, get the same entries: built once, in `shared`.
  bool start_interval(NodeId to, Peer& peer, SharedInterval& shared) {
    const bool full = !peer.acked || *peer.acked < dropped_through_;
    if (!full && shared.built && shared.acked == *peer.acked && peer.heard.empty() &&
        !sent_by(to, *peer.acked)) {
      begin_interval(to, peer, false, shared.chunks);
      return true;
    }
    // The turn's open local entries go into this interval: later writes get entries of
    // their own, or the peer's ack would vouch for what it was never sent.
    for (auto& entry : changed_) entry.second.open_seq = 0;
    // The interval's keys, each with the join of what it sends: a key with one buffered delta
    // (or a full state's value) is read where it lies, and only a key written twice is copied.
    struct Part {
      const std::string* key;
      const L* only;                 // the value, when no join was needed; else `joined`
      Buffered* buffered = nullptr;  // the entry `only` is, whose bytes every peer shares
      L joined{};
      bool dropped = false;
      const L& value() const { return only != nullptr ? *only : joined; }
    };
    std::vector<Part> payload;
    bool whole = false;  // a delta interval as every peer would get it: nothing left out
    if (full) {
      std::size_t full_in_flight = 0;
      for (const auto& entry : peers_) {
        full_in_flight += entry.second.in_flight && entry.second.in_flight->full_state;
      }
      if (full_in_flight >= config_.full_states_in_flight_max) return false;  // a later round
      payload.reserve(state_.size());
      for (const auto& [key, value] : state_) payload.push_back({&key, &value});
      peer.heard.clear();
    } else {
      std::unordered_map<std::string_view, std::size_t> position;
      whole = peer.heard.empty();
      for (Buffered& b : buffer_) {
        if (b.seq <= *peer.acked) continue;
        if (config_.avoid_back_propagation && b.origin == to) {
          ++stats_.back_propagations_avoided;
          whole = false;
          continue;
        }
        const auto [at, fresh] = position.try_emplace(b.key, payload.size());
        if (fresh) {
          payload.push_back({&b.key, &b.delta, &b});
          continue;
        }
        Part& part = payload[at->second];
        if (part.only != nullptr) {
          part.joined = *part.only;
          part.only = nullptr;
          part.buffered = nullptr;
        }
        lattices::merge(part.joined, b.delta);
      }
      // BP+: leave out what the peer itself sent us, whoever we got it from first.
      // Safe to forget afterwards: what enters the buffer from now on was new to this replica
      // when it arrived, so the peer cannot have sent it to us before.
      std::size_t dropped = 0;
      for (auto& [key, heard] : peer.heard) {
        const auto at = position.find(key);
        if (at == position.end()) continue;
        Part& part = payload[at->second];
        L rest = lattices::delta(part.value(), heard);
        if (rest == part.value()) continue;
        ++stats_.heard_entries_stripped;
        part.only = nullptr;
        part.buffered = nullptr;
        part.dropped = lattices::is_bot(rest);
        dropped += part.dropped ? 1 : 0;
        part.joined = std::move(rest);
      }
      peer.heard.clear();
      if (dropped == payload.size()) {
        peer.acked = last_seq_;  // everything it lacks came from it
        // The peer now vouches for our local writes too, some never sent: BP+ cut them as
        // below what it sent us (an LWW write it overwrote). Sync them, as if sent, so that
        // peers_holding never counts a write a power cut can take back.
        if (unsynced_local_ && config_.sync_before_gossip) sync_before_send_ = true;
        collect_garbage();
        return false;
      }
    }
    // A delta interval lists its keys in the order of their first buffered entries; a full
    // state, in key order (the table's own order would differ between standard libraries,
    // and the simulator's runs are to repeat exactly).
    std::vector<const Part*> in_order;
    in_order.reserve(payload.size());
    for (const Part& part : payload) {
      if (!part.dropped) in_order.push_back(&part);
    }
    if (full) {
      std::sort(in_order.begin(), in_order.end(),
                [](const Part* a, const Part* b) { return *a->key < *b->key; });
    }
    std::vector<Entry> entries;
    for (const Part* part : in_order) {
      if (part->buffered == nullptr) {
        split(*part->key, part->value(), entries);
        continue;
      }
      std::string& bytes = part->buffered->bytes;  // sealed above: safe to keep
      if (bytes.empty()) bytes = lattices::to_bytes(part->buffered->delta);
      split(*part->key, part->value(), std::string(bytes), entries);
    }
    std::vector<std::vector<Entry>> chunks(1);
    std::size_t chunk_bytes = 0;
    for (Entry& e : entries) {
      const std::size_t bytes = entry_bytes(e.key, e.value);
      if (chunk_bytes + bytes > payload_bytes_max() && !chunks.back().empty()) {
        chunks.emplace_back();
        chunk_bytes = 0;
      }
      chunk_bytes += bytes;
      chunks.back().push_back(std::move(e));
    }
    if (!full && whole && peers_.size() > 1) {  // another peer may need the same interval
      shared.built = true;
      shared.acked = *peer.acked;
      shared.chunks = chunks;
    }
    begin_interval(to, peer, full, std::move(chunks));
    return true;
  }

  /// Whether a buffered entry after `acked` came from `peer` (BP would leave it out).
  bool sent_by(NodeId peer, std::uint64_t acked) const {
    if (!config_.avoid_back_propagation) return false;
    return std::any_of(buffer_.begin(), buffer_.end(),
                       [&](const Buffered& b) { return b.seq > acked && b.origin == peer; });
  }

  /// Starts the peer's interval from its chunks' entries.
  void begin_interval(NodeId to, Peer& peer, bool full, std::vector<std::vector<Entry>> chunks) {
    InFlight flight;
    flight.interval_end = last_seq_;
    flight.full_state = full;
    flight.started_ms = now_ms_;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      DeltaMessage m;
      m.from = config_.self;
      m.to = to;
      m.incarnation = config_.incarnation;
      m.interval_end = last_seq_;
      m.chunk_index = static_cast<std::uint32_t>(i);
      m.chunk_count = static_cast<std::uint32_t>(chunks.size());
      m.full_state = full;
      m.entries = std::move(chunks[i]);
      flight.chunks.push_back(encode_message(m));
    }
    flight.acked.assign(flight.chunks.size(), false);
    flight.remaining = flight.chunks.size();
    peer.in_flight = std::move(flight);
    ++stats_.intervals_started;
    if (full) ++stats_.full_state_intervals;
  }

  /// Appends (key, value) as entries that each fit in a chunk, splitting by decompose (atoms,
  /// but removed-dot ranges whole: as many parts as the encoding has entries, never one per
  /// dot a context claims). Parts are grouped by their own encoded sizes (one pass, small
  /// joins), and a group whose join still does not fit is halved.
  void split(const std::string& key, const L& value, std::vector<Entry>& out) {
    split(key, value, lattices::to_bytes(value), out);
  }
  /// The same, given the value's bytes.
  void split(const std::string& key, const L& value, std::string bytes, std::vector<Entry>& out) {
    if (entry_bytes(key, bytes) <= payload_bytes_max()) {
      out.push_back({key, std::move(bytes)});
      return;
    }
    const std::size_t budget = payload_bytes_max() - entry_bytes(key, std::size_t{0});
    std::vector<L> group;
    std::size_t group_bytes = 0;
    for (L& atom : lattices::decompose(value)) {
      const std::size_t atom_bytes = lattices::encoded_size(atom);
      if (!group.empty() && group_bytes + atom_bytes > budget) {
        split_atoms(key, group, 0, group.size(), out);
        group.clear();
        group_bytes = 0;
      }
      group_bytes += atom_bytes;
      group.push_back(std::move(atom));
    }
    if (!group.empty()) split_atoms(key, group, 0, group.size(), out);
  }

  void split_atoms(const std::string& key, const std::vector<L>& atoms, std::size_t first,
                   std::size_t last, std::vector<Entry>& out) {
    L part;
    for (std::size_t i = first; i < last; ++i) lattices::merge(part, atoms[i]);
    std::string bytes = lattices::to_bytes(part);
    if (entry_bytes(key, bytes) <= payload_bytes_max()) {
      out.push_back({key, std::move(bytes)});
    } else if (last - first == 1) {
      ++stats_.oversized_atoms;  // update() refuses these; a restored value may hold one
    } else {
      const std::size_t middle = first + (last - first) / 2;
      split_atoms(key, atoms, first, middle, out);
      split_atoms(key, atoms, middle, last, out);
    }
  }

  Config config_;
  calm::SplitMix64 random_;
  std::unordered_map<std::string, L> state_;
  struct Changed {
    /// The join of the key's changes this turn: what ready() persists.
    L delta;
    /// The buffered entry the key's local writes of this turn share (0: none), until a
    /// gossip round or ready() seals it.
    std::uint64_t open_seq = 0;
    /// Whether `delta` is that entry's delta: every change of the turn went into it.
    bool mirrors_open = false;
  };
  std::unordered_map<std::string, Changed> changed_;
  /// Keys a throwing mutator may have half changed, read back from the disk by `rollback`.
  std::unordered_set<std::string> suspect_;
  Ready pending_;
  /// A local write since the last synced batch; a gossip round that sends while it is set
  /// asks for the next batch to be synced first.
  bool unsynced_local_ = false;
  bool sync_before_send_ = false;
  const L bottom_{};
  std::deque<Buffered> buffer_;
  std::uint64_t last_seq_ = 0;
  /// Every buffered delta with a sequence number up to this one has been dropped.
  std::uint64_t dropped_through_ = 0;
  std::map<NodeId, Peer> peers_;
  std::uint64_t next_gossip_ms_ = 0;
  /// The latest input's monotonic clock (step and tick carry it).
  std::uint64_t now_ms_ = 0;
  ReplicaStats stats_;
  Admission<L> admission_;
};

}  // namespace calm::protocols::anti_entropy
