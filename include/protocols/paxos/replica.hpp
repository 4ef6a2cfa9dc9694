#pragma once
/// paxos::Replica<SM>: Multi-Paxos as a sans-IO state machine for the protocol host
/// (host/host.hpp). Every replica is an acceptor, a learner, and a proposer that campaigns
/// when it stops hearing from a leader; the state machine `SM` (the `StateMachine` concept)
/// applies the chosen commands in slot order on every replica.
///
/// Protocol (Lamport's "Paxos Made Simple", section 3, with a stable leader):
///   - Election: a replica that hears no leader for its election timeout (randomized in
///     [election_timeout_ms, 2 x election_timeout_ms)) picks a ballot above every ballot it
///     has seen and sends Prepare for every slot from its commit index on (phase 1, once for
///     all open slots). With promises from a majority it is leader: it re-proposes, in each
///     open slot, the value accepted there at the highest ballot, fills the holes with no-ops,
///     then takes new commands. A leader that hears from no majority for an election timeout
///     steps down (check quorum); a replica that heard from a live leader within one refuses
///     other candidates (so a replica behind a one-way link cannot depose it over and over).
///   - Replication: each turn the leader puts the commands submitted to it in one new slot (at
///     most `batch_commands_max`), with at most `slots_in_flight_max` slots proposed and not
///     yet chosen; Accept goes to every acceptor, itself included. A slot is chosen when a
///     majority accepted it at the leader's ballot; the leader's commit index (every slot
///     below it chosen) rides on Accepts and Heartbeats, and a follower that accepted a slot
///     at the leader's ballot learns it from that. Anything else it learns with Learn. A
///     leader itself learns only what its ballot chose: its commit index vouches for the
///     values it proposed.
///   - Durability: a promise and an accepted value are written, and synced, in the turn's
///     batch before any reply that depends on them leaves (the host's order: persist, sync,
///     then send). A restarted acceptor reloads them: it never goes back on a promise.
///     Chosen values are not written: a restarted replica restores its last snapshot, then
///     learns the later ones again from its peers and applies them.
///   - Exactly once: commands carry (client, seq); the replicated client table in front of
///     `SM` applies each (client, seq) once and answers a retry with the first result.
///   - Replies: the replica a command was submitted to reports it (Final) once it has applied
///     it; a replica that is not leader answers at once with a redirect (and the leader it
///     last heard from, if any).
///   - Reads: `read` answers from the leader's state machine without writing the log
///     (read-index: see `read`).
///
///   - Snapshots (a SnapshottableStateMachine): every `snapshot_every_slots` applied slots the
///     replica writes a snapshot (the machine's bytes and the client table) and forgets the
///     accepted and chosen values below it; a replica that needs slots a peer has forgotten
///     receives the peer's snapshot in chunks of at most half a frame, one at a time.
///
/// Not built yet: leases.
///
/// Bounds: a Promise chunk carries at most `promise_entries_max` slots, Chosen at most
/// `learn_entries_max`, a slot at most `batch_commands_max` commands, and each at most half a
/// frame of bytes; at most `slots_in_flight_max` new slots are proposed and not chosen; a
/// command past `command_bytes_max` is refused at submit; rounds and slots stay below
/// `number_max`. Messages that do not decode, or come from outside the membership, are
/// rejected and counted and change nothing, as is a Prepare, Accept or Heartbeat whose ballot
/// is not its sender's. Beyond that, members are trusted to follow the protocol (crash faults,
/// not Byzantine ones: docs/paxos.md).
#include <algorithm>
#include <concepts>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"
#include "lattices/core.hpp"
#include "lattices/random.hpp"
#include "protocols/host/host.hpp"
#include "protocols/net/frame_codec.hpp"
#include "protocols/paxos/message.hpp"

namespace calm::protocols::paxos {

// Planted bugs, for the test that shows the simulation catches each one
// (tests/protocols/paxos_mutants_test.cpp). They exist only where CALM_PAXOS_MUTANTS is
// defined, which no library or application target does: elsewhere CALM_PAXOS_MUTANT(m) is
// `false` and the compiler removes the branch.
#ifdef CALM_PAXOS_MUTANTS
enum class Mutant {
  none,
  quorum_of_half,                 // a "majority" of n/2
  phase1_values_ignored,          // a new leader proposes no-ops where values were accepted
  lowest_ballot_adopted,          // ... or the value of the lowest ballot, not the highest
  promise_not_persisted,          // the promise is not written
  accept_not_persisted,           // an accepted value is not written
  reply_before_sync,              // replies leave before the batch is synced
  accept_below_promise,           // an Accept below the promise is accepted
  promise_lowered,                // a Prepare below the promise is promised, the promise lowered
  learn_from_any_ballot,          // a follower takes its accepted value as chosen, whatever ballot
  holes_not_filled,               // a new leader leaves slots nobody accepted empty
  no_client_table,                // a retried command is applied again
  campaign_skips_a_slot,          // phase 1 starts one slot past the commit index
  local_read,                     // the leader answers a read from its state at once
  read_index_is_commit,           // a read waits for the commit index, not every slot proposed
  snapshot_without_client_table,  // a snapshot keeps the machine but not the client table
  own_vote_before_durable,        // the leader counts its acceptance before its batch is synced
};
inline Mutant mutant = Mutant::none;
#define CALM_PAXOS_MUTANT(m) \
  (::calm::protocols::paxos::mutant == ::calm::protocols::paxos::Mutant::m)
#else
#define CALM_PAXOS_MUTANT(m) false
#endif

/// The application's deterministic state machine: every replica applies the same commands in
/// the same order and must reach the same state and results.
template <class SM>
concept StateMachine = requires(SM sm, const std::string& op) {
  { sm.apply(op) } -> std::convertible_to<std::string>;
};
/// One that can be saved and restored, for snapshots and log truncation: `restore` replaces the
/// whole state with what `snapshot` returned (on any replica), or throws DecodeError and
/// changes nothing.
template <class SM>
concept SnapshottableStateMachine = StateMachine<SM> &&
    requires(SM sm, const SM csm, std::string_view bytes) {
  { csm.snapshot() } -> std::convertible_to<std::string>;
  sm.restore(bytes);
};
/// One that also answers read-only queries, for `Replica::read`.
template <class SM>
concept QueryableStateMachine = StateMachine<SM> && requires(const SM sm, const std::string& op) {
  { sm.query(op) } -> std::convertible_to<std::string>;
};

struct Config {
  NodeId self = 0;
  std::vector<NodeId> members;  // every replica, self included
  std::uint64_t tick_ms = 5;
  std::uint64_t heartbeat_ms = 20;
  std::uint64_t election_timeout_ms = 100;
  /// A proposal not chosen after this long goes again (lost Accepts or Accepteds).
  std::uint64_t resend_ms = 40;
  std::size_t batch_commands_max = 1024;
  std::size_t slots_in_flight_max = 64;
  std::size_t promise_entries_max = 256;
  std::size_t learn_entries_max = 256;
  /// Commands waiting for a slot at the leader, and reads waiting for their round; past it a
  /// submit or read is refused (busy).
  std::size_t queue_commands_max = 65536;
  /// A snapshot every this many applied slots (0: never); only for a
  /// SnapshottableStateMachine. Until one, the log and the client table grow.
  std::uint64_t snapshot_every_slots = 10000;
  /// Also a snapshot once the commands applied since the last one hold this many bytes and
  /// at least as many as that snapshot (0: by slots only). Big batches then do not keep a
  /// long log (on disk, written and compacted before it is forgotten), and this rule never
  /// writes a big state more often than the log it replaces (`snapshot_every_slots` still
  /// takes one on its own). A peer that lags gets the snapshot; it catches up under load only
  /// if a snapshot's transfer (a chunk per round trip) outpaces the log filling again.
  std::uint64_t snapshot_every_log_bytes = 0;
  std::uint64_t seed = 1;  // the election timeouts' randomness
  DecodeLimits limits;
  /// A result longer than this is not kept in the client table: a retry of its command is
  /// answered with `result_not_kept` instead. The table keeps one result per client, so this
  /// bounds its memory (and the snapshots') to clients x this.
  std::size_t result_bytes_kept_max = SIZE_MAX;
  std::string result_not_kept = "the result was too large to keep for a retry";
};

struct Stats {
  std::uint64_t rejected_messages = 0;  // did not decode, or from outside the membership
  std::uint64_t elections_started = 0;
  std::uint64_t elections_won = 0;
  std::uint64_t slots_chosen = 0;  // learned, by any path
  std::uint64_t commands_applied = 0;
  std::uint64_t duplicates_ignored = 0;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshots_installed = 0;  // received from a peer
};

/// What the replica hands its application.
struct Reply {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  /// too_large: longer than DecodeLimits::command_bytes_max (no peer would accept it).
  enum class Kind { applied, not_leader, busy, too_large } kind = Kind::applied;
  std::string result;            // applied: the state machine's result
  std::optional<NodeId> leader;  // not_leader: the leader this replica last heard from
  friend bool operator==(const Reply&, const Reply&) = default;
};

template <StateMachine SM>
class Replica {
 public:
  using Final = Reply;
  static constexpr std::string_view disk_prefix = "paxos/";

  Replica(Config config, SM machine)
      : config_(std::move(config)), machine_(std::move(machine)), random_(config_.seed) {
    CALM_ASSERT(std::find(config_.members.begin(), config_.members.end(), config_.self) !=
                    config_.members.end(),
                "a replica is a member of its own cluster");
    CALM_ASSERT(config_.batch_commands_max > 0 && config_.slots_in_flight_max > 0 &&
                    config_.promise_entries_max > 0 && config_.learn_entries_max > 0,
                "every bound allows at least one");
  }

  // ---- the application ----

  /// Submits a command. Its reply (Final) comes once it is applied here, or at once when this
  /// replica is not leader or its queue is full.
  void submit(std::uint64_t client, std::uint64_t seq, std::string op) {
    if (refused(client, seq, queue_.size())) return;
    if (op.size() > config_.limits.command_bytes_max) {
      ready_.final.push_back({client, seq, Reply::Kind::too_large, {}, {}});
      return;
    }
    waiting_.insert({client, seq});
    queue_.push_back({client, seq, std::move(op)});
  }

  /// A linearizable read that writes nothing to the log (read-index): the leader notes every
  /// slot it has proposed so far, confirms with a majority that it is still leader (a round
  /// of Heartbeats sent after the read arrived), waits until it has applied those slots, then
  /// answers `query(op)`. Reads of one turn share one round. The reply comes as for submit
  /// (`seq` only identifies it: reads are not in the client table).
  void read(std::uint64_t client, std::uint64_t seq,
            std::string op) requires QueryableStateMachine<SM> {
    if (refused(client, seq, reads_.size())) return;
    std::uint64_t index = CALM_PAXOS_MUTANT(read_index_is_commit) ? commit_ : next_slot_;
    if (CALM_PAXOS_MUTANT(local_read)) index = applied_;
    reads_.push_back({client, seq, std::move(op), read_round_ + 1, index});
  }

  // ---- the host's protocol ----

  void restore(const std::string& key, std::string_view bytes) {
    // The disk's numbers are held to the wire's bounds (number_max), so that nothing read
    // back wraps either (a round at UINT64_MAX would make every campaign's round 0).
    const auto bounded = [&](std::uint64_t n) {
      if (n >= config_.limits.number_max) {
        throw lattices::DecodeError("paxos: a round or slot on disk above number_max");
      }
      return n;
    };
    if (key == "promised") {
      net::codec::Reader in(bytes, "paxos disk");
      const std::uint64_t round = bounded(in.varint());
      promised_ = {round, in.varint()};
      in.expect_end();
      max_round_seen_ = std::max(max_round_seen_, promised_.round);
    } else if (key.size() == 2 + 16 && key.starts_with("a/")) {
      const std::uint64_t slot = bounded(parse_slot(key.substr(2)));
      net::codec::Reader in(bytes, "paxos disk");
      const std::uint64_t round = bounded(in.varint());
      Ballot b{round, in.varint()};
      const std::string rest(bytes.substr(bytes.size() - in.remaining()));
      accepted_[slot] = {b, decode_batch(rest, config_.limits)};
      max_round_seen_ = std::max(max_round_seen_, b.round);
    } else if (key == "snapshot") {
      if constexpr (SnapshottableStateMachine<SM>) {
        install(decode_snapshot(bytes, own_disk_limits()), std::string(bytes), /*persist=*/false);
      } else {
        throw lattices::DecodeError("paxos: a snapshot on disk, and a machine without them");
      }
    } else {
      throw lattices::DecodeError("paxos: unknown key on disk");
    }
  }

  void step(NodeId from, std::string_view bytes, const host::Input& input) {
    now_ms_ = input.now_ms;
    if (!is_member(from) || from == config_.self) {
      reject("a message from outside the membership");
      return;
    }
    Message message;
    try {
      message = decode_message(bytes, config_.limits);
    } catch (const lattices::DecodeError& e) {
      reject(e.what());
      return;
    }
    // A Prepare, Accept or Heartbeat carries its sender's own ballot: one naming another
    // member (a leader's, to pass as it) is refused, so no member can speak for another.
    const bool forged = std::visit(
        [&](const auto& m) {
          using M = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<M, Prepare> || std::is_same_v<M, Accept> ||
                        std::is_same_v<M, Heartbeat>) {
            return m.ballot.node != from;
          } else {
            return false;
          }
        },
        message);
    if (forged) {
      reject("a ballot that is not its sender's");
      return;
    }
    std::visit([&](auto& m) { on(from, m); }, message);
  }

  void tick(const host::Input& input) {
    now_ms_ = input.now_ms;
    if (!started_) {
      started_ = true;
      heard_at_ms_ = now_ms_;
      draw_election_timeout();
    }
    if (role_ == Role::leader) {
      // Check quorum: a leader that has heard from no majority for an election timeout steps
      // down, so that a majority it can reach but not hear from (one-way links) elects
      // another instead of following it forever.
      if (!has_quorum_contact()) {
        step_down();
        heard_at_ms_ = now_ms_;
        return;
      }
      if (now_ms_ >= heartbeat_at_ms_) {
        // An unconfirmed read round goes again with it (its Heartbeats may have been lost).
        const bool waiting = !reads_.empty() && reads_.front().round <= read_round_;
        broadcast(Heartbeat{ballot_, commit_, waiting ? read_round_ : 0});
        heartbeat_at_ms_ = now_ms_ + config_.heartbeat_ms;
      }
      for (auto& [slot, p] : proposals_) {
        if (now_ms_ >= p.resend_at_ms) {
          send_accept(slot, p, /*all=*/false);
          p.resend_at_ms = now_ms_ + config_.resend_ms;
        }
      }
      return;
    }
    if (now_ms_ - heard_at_ms_ >= election_timeout_ms_) campaign();
    // A follower behind the leader's commit index asks for what it missed.
    // (from the peer whose snapshot it is receiving, or that it stepped down for, first).
    if (role_ == Role::follower && commit_ < leader_commit_ && now_ms_ >= learn_at_ms_) {
      // A transfer that made no progress for an election timeout (its donor down) is
      // dropped: the next one starts over, from the leader.
      if (!incoming_.bytes.empty() &&
          now_ms_ - incoming_.heard_at_ms >= config_.election_timeout_ms) {
        incoming_ = {};
      }
      std::optional<NodeId> to = leader_heard_ ? leader_heard_ : catch_up_from_;
      if (!incoming_.bytes.empty()) to = incoming_.from;
      if (to) {
        send(*to, Learn{commit_, incoming_.index, incoming_.bytes.size()});
        learn_at_ms_ = now_ms_ + config_.resend_ms;
      }
    }
  }

  std::uint64_t tick_delay_ms(bool) const { return config_.tick_ms; }

  host::Ready<Final> ready() {
    ++ready_calls_;
    if (role_ == Role::leader) {
      propose_queued();
      // One confirmation round for the reads that arrived this turn.
      if (!reads_.empty() && reads_.back().round > read_round_) {
        ++read_round_;
        broadcast(Heartbeat{ballot_, commit_, read_round_});
        heartbeat_at_ms_ = now_ms_ + config_.heartbeat_ms;
      }
      serve_reads();
    }
    // This turn's own acceptances go to disk with the batch handed out now: they count as
    // votes once the host says it is durable (durable()).
    if (CALM_PAXOS_MUTANT(own_vote_before_durable)) {
      for (std::uint64_t slot : own_votes_pending_) count_vote(slot, config_.self);
      own_votes_pending_.clear();
    }
    if (!own_votes_pending_.empty()) {
      own_votes_unsynced_.emplace_back(ready_calls_, std::move(own_votes_pending_));
      own_votes_pending_.clear();
    }
    host::Ready<Final> out = std::move(ready_);
    ready_ = {};
    return out;
  }

  /// The host wrote (and synced) the batches of ready() calls up to `flush`: the leader's own
  /// acceptances in them count as votes. A failed batch's never do (rollback steps down and
  /// forgets them). True when a vote was counted (the host flushes what it chose).
  bool durable(std::uint64_t flush) {
    bool counted = false;
    while (!own_votes_unsynced_.empty() && own_votes_unsynced_.front().first <= flush) {
      const std::vector<std::uint64_t> slots = std::move(own_votes_unsynced_.front().second);
      own_votes_unsynced_.pop_front();
      for (std::uint64_t slot : slots) count_vote(slot, config_.self);
      counted = counted || !slots.empty();
    }
    return counted;
  }

  std::uint64_t checkpoint() const { return 0; }

  /// A batch failed: what it held (a promise, accepted values) is reloaded from the disk, and
  /// the replica steps down; chosen values and the state machine are facts and stay.
  void rollback(std::uint64_t, std::span<const storage::Write> failed,
                const host::DurableRead& read) {
    for (const storage::Write& w : failed) {
      const std::string_view key = w.key;
      if (!key.starts_with(disk_prefix)) continue;
      const std::string rest(key.substr(disk_prefix.size()));
      if (rest == "snapshot") {
        // The snapshot is a fact (the machine and the forgotten slots with it): written again
        // with the next batch.
        if (!snapshot_->empty()) persist_snapshot();
        continue;
      }
      if (rest == "promised") promised_ = {};
      if (rest.starts_with("a/")) {
        const std::uint64_t slot = parse_slot(rest.substr(2));
        accepted_.erase(slot);
        if (slot < snapshot_index_) continue;  // forgotten: stays forgotten
      }
      if (const auto bytes = read(key)) restore(rest, *bytes);
    }
    step_down();
  }

  // ---- inspection (tests, INFO) ----

  bool is_leader() const { return role_ == Role::leader; }
  /// The leader as this replica knows it: itself, or the one it last heard from (nothing
  /// before it heard of any).
  std::optional<NodeId> leader() const {
    return role_ == Role::leader ? std::optional<NodeId>(config_.self) : leader_heard_;
  }
  const Ballot& promised() const { return promised_; }
  std::uint64_t commit_index() const { return commit_; }
  std::uint64_t applied_index() const { return applied_; }
  /// Slots below it are in the snapshot (0: none): their values are forgotten here.
  std::uint64_t snapshot_index() const { return snapshot_index_; }
  /// Chosen values this replica knows, by slot.
  const std::map<std::uint64_t, Batch>& chosen() const { return chosen_; }
  const SM& machine() const { return machine_; }
  const Stats& stats() const { return stats_; }

 private:
  enum class Role { follower, candidate, leader };
  struct Acceptance {
    Ballot ballot;
    Batch value;
  };
  struct Proposal {
    Batch value;
    std::set<NodeId> accepted_by;
    std::uint64_t resend_at_ms = 0;
  };
  struct PendingRead {
    std::uint64_t client = 0;
    std::uint64_t seq = 0;
    std::string op;
    std::uint64_t round = 0;  // the confirmation round it waits for
    std::uint64_t index = 0;  // every slot below it applied first
  };
  struct ClientEntry {
    std::uint64_t seq = 0;
    std::string result;
  };

  /// Replies at once, and says so, when this replica cannot take a request: it is not leader
  /// (the reply names the leader it last heard from), or `queued` requests already wait.
  bool refused(std::uint64_t client, std::uint64_t seq, std::size_t queued) {
    if (role_ != Role::leader) {
      std::optional<NodeId> hint;
      if (leader_heard_) hint = leader_heard_;
      ready_.final.push_back({client, seq, Reply::Kind::not_leader, {}, hint});
      return true;
    }
    if (queued >= config_.queue_commands_max) {
      ready_.final.push_back({client, seq, Reply::Kind::busy, {}, {}});
      return true;
    }
    return false;
  }

  // -- messages --

  void on(NodeId from, const Prepare& m) {
    if (CALM_PAXOS_MUTANT(promise_lowered) && m.ballot < promised_) promised_ = {};
    if (m.ballot < promised_ || leader_is_live(from)) {
      see(m.ballot);
      send(from, Reject{m.ballot, promised_});
      return;
    }
    promise(m.ballot);
    see(m.ballot);
    heard_at_ms_ = now_ms_;  // a candidate is alive: give it time to win
    if (role_ != Role::follower && m.ballot > ballot_) step_down();
    // Everything accepted from first_slot on, in chunks.
    std::vector<SlotValue> all;
    for (auto it = accepted_.lower_bound(m.first_slot); it != accepted_.end(); ++it) {
      all.push_back({it->first, it->second.ballot, it->second.value});
    }
    // Chunks of at most promise_entries_max slots and one frame's bytes each.
    std::vector<std::size_t> starts{0};
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const std::size_t b = batch_bytes(all[i].value);
      if (i > starts.back() &&
          (i - starts.back() >= config_.promise_entries_max || bytes + b > batch_bytes_max())) {
        starts.push_back(i);
        bytes = 0;
      }
      bytes += b;
    }
    if (starts.size() > config_.limits.chunks_max) {
      reject("a promise would take more chunks than chunks_max");
      return;
    }
    for (std::size_t c = 0; c < starts.size(); ++c) {
      Promise p{m.ballot,
                m.first_slot,
                static_cast<std::uint32_t>(c),
                static_cast<std::uint32_t>(starts.size()),
                snapshot_index_,
                {}};
      const std::size_t end = c + 1 < starts.size() ? starts[c + 1] : all.size();
      p.accepted.assign(all.begin() + static_cast<std::ptrdiff_t>(starts[c]),
                        all.begin() + static_cast<std::ptrdiff_t>(end));
      send(from, p);
    }
  }

  void on(NodeId from, const Promise& m) {
    if (role_ != Role::candidate || m.ballot != ballot_ || m.first_slot != campaign_first_slot_) {
      return;  // late, or for another campaign
    }
    if (m.snapshot_index > commit_) {
      // It forgot slots this candidate does not know: phase 1 cannot tell their values, so
      // this replica may not lead. It catches up from that acceptor instead.
      step_down();
      heard_at_ms_ = now_ms_;
      catch_up_from_ = from;
      leader_commit_ = std::max(leader_commit_, m.snapshot_index);  // the tick asks again
      send(from, Learn{commit_, incoming_.index, incoming_.bytes.size()});
      learn_at_ms_ = now_ms_ + config_.resend_ms;
      return;
    }
    auto& got = promises_[from];
    if (got.chunks == 0) got.chunks = m.chunks;
    if (got.chunks != m.chunks || !got.chunk_seen.insert(m.chunk).second) return;
    for (const SlotValue& v : m.accepted) adopt(v.slot, v.ballot, v.value);
    if (got.chunk_seen.size() == got.chunks) ++promised_by_;
    if (promised_by_ >= majority()) become_leader();
  }

  void on(NodeId from, const Accept& m) {
    if (m.ballot < promised_ && !CALM_PAXOS_MUTANT(accept_below_promise)) {
      send(from, Reject{m.ballot, promised_});
      return;
    }
    follow(from, m.ballot);
    promise(m.ballot);
    // A slot in this replica's snapshot is chosen, and a leader proposes there only the
    // chosen value (phase 1 showed it that value: no member of its quorum had forgotten it),
    // so the vote only repeats the decision; the value is not kept again.
    if (m.slot >= snapshot_index_) accept(m.slot, m.ballot, m.value);
    send(from, Accepted{m.ballot, m.slot});
    learn_commit(m.commit);
  }

  void on(NodeId from, const Accepted& m) {
    if (role_ != Role::leader || m.ballot != ballot_) return;
    peer_heard_at_ms_[from] = now_ms_;
    count_vote(m.slot, from);
  }

  void on(NodeId, const Reject& m) {
    see(m.promised);
    if (role_ != Role::follower && m.refused == ballot_ && m.promised > ballot_) {
      step_down();
      heard_at_ms_ = now_ms_;
    }
  }

  void on(NodeId from, const Heartbeat& m) {
    if (m.ballot < promised_) {
      send(from, Reject{m.ballot, promised_});
      return;
    }
    follow(from, m.ballot);
    learn_commit(m.commit);
    send(from, HeartbeatAck{m.ballot, m.read_round});  // liveness, and the read round if any
  }

  void on(NodeId from, const HeartbeatAck& m) {
    if (role_ != Role::leader || m.ballot != ballot_) return;
    peer_heard_at_ms_[from] = now_ms_;
    auto& acked = acked_round_[from];
    acked = std::max(acked, m.read_round);
    serve_reads();
  }

  void on(NodeId from, const Learn& m) {
    if (m.first_slot < snapshot_index_) {
      // Forgotten here: a snapshot instead, the chunk asked for; of the one being received
      // if this replica still has it (the one before the current is kept while a peer is
      // asking for it: keep_for_transfers), else from the start of the current one.
      const bool previous = m.snapshot_index != 0 && m.snapshot_index == previous_index_;
      const std::uint64_t index = previous ? previous_index_ : snapshot_index_;
      const std::string& bytes = previous ? *previous_ : *snapshot_;
      const std::uint64_t offset =
          previous || m.snapshot_index == snapshot_index_ ? m.snapshot_offset : 0;
      (previous ? previous_requested_ms_ : snapshot_requested_ms_) =
          std::max<std::uint64_t>(now_ms_, 1);
      if (offset >= bytes.size()) return;
      const std::size_t n = std::min<std::size_t>(bytes.size() - offset, batch_bytes_max());
      send(from, Snapshot{index, bytes.size(), offset,
                          bytes.substr(static_cast<std::size_t>(offset), n)});
      return;
    }
    Chosen out;
    std::size_t bytes = 0;
    for (auto it = chosen_.lower_bound(m.first_slot);
         it != chosen_.end() && out.chosen.size() < config_.learn_entries_max; ++it) {
      const std::size_t b = batch_bytes(it->second);
      if (!out.chosen.empty() && bytes + b > batch_bytes_max()) break;  // one frame
      bytes += b;
      out.chosen.push_back({it->first, {}, it->second});
    }
    if (!out.chosen.empty()) send(from, out);
  }

  void on(NodeId, const Chosen& m) {
    // A leader learns only what its own ballot chose: its commit index vouches, to followers,
    // for the values it proposed (learn_commit), so a slot chosen elsewhere at another
    // ballot while it was cut off must not enter it. (It re-proposed every open slot when it
    // was elected; one chosen since by a newer leader is not its to count.)
    if (role_ == Role::leader) return;
    for (const SlotValue& v : m.chosen) {
      if (v.slot < commit_ || chosen_.contains(v.slot)) continue;
      choose(v.slot, v.value);
      proposals_.erase(v.slot);
    }
    advance_commit();
  }
  void on(NodeId from, const Snapshot& m) {
    if (role_ == Role::leader || m.index <= commit_) return;  // nothing it lacks
    // One snapshot from one peer at a time (two replicas' snapshots at one index need not
    // be the same bytes); a first chunk of a newer one starts over.
    if (m.offset == 0 && (m.index > incoming_.index || incoming_.bytes.empty())) {
      incoming_ = {m.index, m.total, from, now_ms_, {}};
    }
    if (m.index != incoming_.index || m.total != incoming_.total || from != incoming_.from ||
        m.offset != incoming_.bytes.size()) {
      return;  // a chunk of another snapshot, or not the next one
    }
    incoming_.heard_at_ms = now_ms_;
    incoming_.bytes += m.bytes;  // at most `total`, which the decoder bounded
    if (incoming_.bytes.size() < incoming_.total) {
      send(from, Learn{commit_, incoming_.index, incoming_.bytes.size()});
      learn_at_ms_ = now_ms_ + config_.resend_ms;
      return;
    }
    Incoming whole = std::move(incoming_);
    incoming_ = {};
    if constexpr (SnapshottableStateMachine<SM>) {
      // A candidate's campaign started below the snapshot: it cannot finish it.
      if (role_ == Role::candidate) step_down();
      try {
        SnapshotState state = decode_snapshot(whole.bytes, config_.limits);
        catch_up_from_.reset();
        if (state.index != whole.index)
          throw lattices::DecodeError("paxos: snapshot index differs");
        install(std::move(state), std::move(whole.bytes), /*persist=*/true);
        ++stats_.snapshots_installed;
      } catch (const lattices::DecodeError& e) {
        reject(std::string("a snapshot that does not restore: ") + e.what());
        return;
      }
      // The rest from the same peer.
      send(from, Learn{commit_, 0, 0});
      learn_at_ms_ = now_ms_ + config_.resend_ms;
    } else {
      static_cast<void>(from);
      reject("a snapshot, and a machine without them");
    }
  }

  // -- acceptor --

  void promise(const Ballot& b) {
    if (b <= promised_) return;
    promised_ = b;
    if (CALM_PAXOS_MUTANT(promise_not_persisted)) return;
    std::string bytes;
    net::codec::put_varint(bytes, b.round);
    net::codec::put_varint(bytes, b.node);
    persist(std::string(disk_prefix) + "promised", std::move(bytes));
  }

  void accept(std::uint64_t slot, const Ballot& b, const Batch& value) {
    if (chosen_.contains(slot)) return;  // already decided: nothing to remember
    accepted_[slot] = {b, value};
    if (CALM_PAXOS_MUTANT(accept_not_persisted)) return;
    std::string bytes;
    net::codec::put_varint(bytes, b.round);
    net::codec::put_varint(bytes, b.node);
    bytes += encode_batch(value);
    persist(std::string(disk_prefix) + "a/" + slot_key(slot), std::move(bytes));
  }

  void persist(std::string key, std::string value) {
    ready_.persist.push_back(storage::Write::put(std::move(key), std::move(value)));
    ready_.sync = !CALM_PAXOS_MUTANT(reply_before_sync);  // a reply depends on it
  }

  // -- proposer --

  void campaign() {
    ++stats_.elections_started;
    role_ = Role::candidate;
    proposals_.clear();
    ballot_ = {max_round_seen_ + 1, config_.self};
    see(ballot_);
    campaign_first_slot_ = commit_ + (CALM_PAXOS_MUTANT(campaign_skips_a_slot) ? 1 : 0);
    promises_.clear();
    promised_by_ = 0;
    adopted_.clear();
    heard_at_ms_ = now_ms_;
    draw_election_timeout();
    // Its own promise, as an acceptor: the same path as a peer's.
    promise(ballot_);
    for (auto it = accepted_.lower_bound(campaign_first_slot_); it != accepted_.end(); ++it) {
      adopt(it->first, it->second.ballot, it->second.value);
    }
    promised_by_ = 1;
    if (promised_by_ >= majority()) {
      become_leader();
      return;
    }
    broadcast(Prepare{ballot_, campaign_first_slot_});
  }

  void adopt(std::uint64_t slot, const Ballot& b, const Batch& value) {
    auto [it, fresh] = adopted_.try_emplace(slot, Acceptance{b, value});
    const bool higher =
        CALM_PAXOS_MUTANT(lowest_ballot_adopted) ? b < it->second.ballot : it->second.ballot < b;
    if (!fresh && higher) it->second = {b, value};
  }

  void become_leader() {
    ++stats_.elections_won;
    role_ = Role::leader;
    leader_heard_ = config_.self;
    // Re-propose every open slot: the value accepted at the highest ballot, no-ops in holes.
    // Slots below the commit index are chosen (learned while campaigning, perhaps forgotten
    // since in a snapshot): never proposed again.
    const std::uint64_t first = std::max(campaign_first_slot_, commit_);
    std::uint64_t last = adopted_.empty() ? first : adopted_.rbegin()->first + 1;
    // And past every slot it knows chosen (learned beyond a gap): never proposed again.
    if (!chosen_.empty()) last = std::max(last, chosen_.rbegin()->first + 1);
    next_slot_ = std::max(last, first);
    for (std::uint64_t slot = first; slot < next_slot_; ++slot) {
      if (chosen_.contains(slot)) continue;
      auto it = adopted_.find(slot);
      if (CALM_PAXOS_MUTANT(holes_not_filled) && it == adopted_.end()) continue;
      const bool found = it != adopted_.end() && !CALM_PAXOS_MUTANT(phase1_values_ignored);
      propose(slot, found ? it->second.value : Batch{});
    }
    adopted_.clear();
    acked_round_.clear();
    peer_heard_at_ms_.clear();
    leader_since_ms_ = now_ms_;
    broadcast(Heartbeat{ballot_, commit_, 0});
    heartbeat_at_ms_ = now_ms_ + config_.heartbeat_ms;
  }

  /// Answers the reads whose round a majority confirmed and whose slots are applied, in order.
  void serve_reads() {
    if constexpr (QueryableStateMachine<SM>) {
      if (role_ != Role::leader) return;
      // The highest round that this replica and majority - 1 peers confirmed.
      std::vector<std::uint64_t> rounds;
      for (const auto& [peer, round] : acked_round_) rounds.push_back(round);
      std::sort(rounds.begin(), rounds.end(), std::greater<>());
      const std::size_t others = majority() - 1;
      std::uint64_t confirmed = read_round_;
      if (others > 0) confirmed = rounds.size() >= others ? rounds[others - 1] : 0;
      if (CALM_PAXOS_MUTANT(local_read)) confirmed = read_round_ + 1;
      while (!reads_.empty() && reads_.front().round <= confirmed &&
             reads_.front().index <= applied_) {
        PendingRead& r = reads_.front();
        ready_.final.push_back({r.client, r.seq, Reply::Kind::applied, machine_.query(r.op), {}});
        reads_.pop_front();
      }
    }
  }

  void propose_queued() {
    while (!queue_.empty() && proposals_.size() < config_.slots_in_flight_max) {
      Batch batch;
      std::size_t bytes = 0;
      // Commands and bytes both bounded: a slot must fit one Accept frame.
      while (!queue_.empty() && batch.size() < config_.batch_commands_max &&
             (batch.empty() || bytes + command_bytes(queue_.front()) <= batch_bytes_max())) {
        bytes += command_bytes(queue_.front());
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      CALM_ASSERT(!chosen_.contains(next_slot_), "a leader proposes only in open slots");
      propose(next_slot_++, std::move(batch));
    }
  }
  static std::size_t command_bytes(const Command& c) { return c.op.size() + 32; }
  static std::size_t batch_bytes(const Batch& b) {
    std::size_t n = 32;
    for (const Command& c : b) n += command_bytes(c);
    return n;
  }
  /// The most bytes of commands in one slot: half a frame, the rest for the header.
  std::size_t batch_bytes_max() const { return config_.limits.message_bytes_max / 2; }
  /// This replica's own snapshot on its disk is trusted at any size (snapshot_bytes_max
  /// bounds what peers send).
  DecodeLimits own_disk_limits() const {
    DecodeLimits limits = config_.limits;
    limits.snapshot_bytes_max = UINT64_MAX;
    return limits;
  }

  void propose(std::uint64_t slot, Batch value) {
    Proposal& p = proposals_[slot];
    p.value = std::move(value);
    p.accepted_by.clear();
    p.resend_at_ms = now_ms_ + config_.resend_ms;
    // Its own acceptance first, written in this turn's batch before the Accepts leave; it
    // counts as a vote once that batch is on disk (durable()).
    promise(ballot_);
    accept(slot, ballot_, p.value);
    own_votes_pending_.push_back(slot);
    send_accept(slot, p, /*all=*/true);
  }

  void count_vote(std::uint64_t slot, NodeId from) {
    auto it = proposals_.find(slot);
    if (it == proposals_.end()) return;
    if (chosen_.contains(slot)) {  // learned another way meanwhile
      proposals_.erase(it);
      return;
    }
    it->second.accepted_by.insert(from);
    if (it->second.accepted_by.size() >= majority()) {
      choose(slot, std::move(it->second.value));
      proposals_.erase(it);
      advance_commit();
    }
  }

  /// Accepts leave before this turn's batch is written (Ready::send_first): they depend on
  /// the ballot, durable since phase 1, and not on the leader's own acceptance, which counts
  /// as a vote only once written; so the followers' disk writes overlap the leader's.
  void send_accept(std::uint64_t slot, const Proposal& p, bool all) {
    std::string bytes;  // the same frame for every peer
    for (NodeId peer : config_.members) {
      if (peer == config_.self || (!all && p.accepted_by.contains(peer))) continue;
      if (bytes.empty()) bytes = encode_message(Message{Accept{ballot_, slot, commit_, p.value}});
      ready_.send_first.push_back({peer, bytes});
    }
  }

  void step_down() {
    role_ = Role::follower;
    // Commands this replica proposed and has not seen chosen: it will not drive them any
    // further, so their clients hear not_leader now and retry the same (client, seq) at the
    // next leader. The proposal may still be chosen (a new leader re-proposes what a
    // majority accepted); the client table then answers the retry with the first result.
    for (const auto& [slot, p] : proposals_) {
      for (const Command& c : p.value) {
        if (waiting_.erase({c.client, c.seq}) != 0) {
          ready_.final.push_back({c.client, c.seq, Reply::Kind::not_leader, {}, {}});
        }
      }
    }
    proposals_.clear();
    own_votes_pending_.clear();
    own_votes_unsynced_.clear();
    promises_.clear();
    adopted_.clear();
    // Commands waiting here will not be proposed by this replica: their clients retry.
    for (const Command& c : queue_) {
      waiting_.erase({c.client, c.seq});
      ready_.final.push_back({c.client, c.seq, Reply::Kind::not_leader, {}, {}});
    }
    queue_.clear();
    for (const PendingRead& r : reads_) {
      ready_.final.push_back({r.client, r.seq, Reply::Kind::not_leader, {}, {}});
    }
    reads_.clear();
    acked_round_.clear();
  }

  void follow(NodeId from, const Ballot& b) {
    see(b);
    if (b > ballot_ || role_ != Role::leader) {
      if (role_ != Role::follower) step_down();
    }
    heard_at_ms_ = now_ms_;
    leader_heard_at_ms_ = now_ms_;
    leader_heard_ = from;
    leader_ballot_ = b;
  }

  /// Whether a leader other than `candidate` is live here: this replica is that leader and
  /// heard from a majority within an election timeout, or it heard from that leader within
  /// one. Such a replica refuses the candidate's Prepare (refusing is always safe), so that a
  /// replica that cannot hear the leader (a one-way link) cannot depose it again and again.
  bool leader_is_live(NodeId candidate) const {
    if (role_ == Role::leader) return has_quorum_contact();
    return role_ == Role::follower && leader_heard_ && *leader_heard_ != candidate &&
           now_ms_ - leader_heard_at_ms_ < config_.election_timeout_ms;
  }
  bool has_quorum_contact() const {
    if (now_ms_ - leader_since_ms_ < config_.election_timeout_ms) return true;
    std::size_t heard = 1;
    for (const auto& [peer, at] : peer_heard_at_ms_) {
      heard += now_ms_ - at < config_.election_timeout_ms;
    }
    return heard >= majority();
  }

  void see(const Ballot& b) { max_round_seen_ = std::max(max_round_seen_, b.round); }

  // -- learner --

  void learn_commit(std::uint64_t leader_commit) {
    leader_commit_ = std::max(leader_commit_, leader_commit);
    // A slot below the leader's commit index that this replica accepted at the leader's
    // ballot holds the chosen value (the leader proposes one value per slot per ballot).
    for (auto it = accepted_.lower_bound(commit_);
         it != accepted_.end() && it->first < leader_commit; ++it) {
      const bool same =
          it->second.ballot == leader_ballot_ || CALM_PAXOS_MUTANT(learn_from_any_ballot);
      if (same && !chosen_.contains(it->first)) {
        choose(it->first, it->second.value);
      }
    }
    advance_commit();
  }

  void choose(std::uint64_t slot, Batch value) {
    CALM_ASSERT(!chosen_.contains(slot), "a slot is chosen once");
    chosen_.emplace(slot, std::move(value));
    ++stats_.slots_chosen;
  }

  void advance_commit() {
    while (chosen_.contains(commit_)) ++commit_;
    while (applied_ < commit_) apply(chosen_.at(applied_++));
    if (!incoming_.bytes.empty() && incoming_.index <= commit_) incoming_ = {};  // not needed
    if constexpr (SnapshottableStateMachine<SM>) {
      const bool by_slots = config_.snapshot_every_slots != 0 &&
                            applied_ - snapshot_index_ >= config_.snapshot_every_slots;
      const bool by_bytes =
          config_.snapshot_every_log_bytes != 0 &&
          applied_log_bytes_ >=
              std::max<std::uint64_t>(config_.snapshot_every_log_bytes, snapshot_->size());
      if (by_slots || by_bytes) take_snapshot();
    }
    serve_reads();
  }

  // -- snapshots --

  void take_snapshot() requires SnapshottableStateMachine<SM> {
    SnapshotState state;
    state.index = applied_;
    if (!CALM_PAXOS_MUTANT(snapshot_without_client_table)) {
      state.clients.reserve(clients_.size());
      for (const auto& [client, entry] : clients_) {
        state.clients.push_back({client, entry.seq, entry.result});
      }
    }
    state.machine = machine_.snapshot();
    keep_for_transfers();
    snapshot_ = std::make_shared<const std::string>(encode_snapshot(state));
    snapshot_index_ = applied_;
    applied_log_bytes_ = 0;
    ++stats_.snapshots_taken;
    persist_snapshot();
    forget_below(snapshot_index_);
  }

  /// Makes `state` (whose encoding is `bytes`) this replica's: the machine, the client table
  /// and every slot below its index. At boot (`persist` false) it is what the disk holds.
  void install(SnapshotState state, std::string bytes,
               bool persist_it) requires SnapshottableStateMachine<SM> {
    machine_.restore(state.machine);  // throws before anything here changed
    clients_.clear();
    for (SnapshotState::Client& c : state.clients) {
      clients_[c.client] = {c.seq, std::move(c.result)};
    }
    keep_for_transfers();
    snapshot_index_ = state.index;
    applied_log_bytes_ = 0;
    snapshot_ = std::make_shared<const std::string>(std::move(bytes));
    applied_ = std::max(applied_, snapshot_index_);
    commit_ = std::max(commit_, snapshot_index_);
    leader_commit_ = std::max(leader_commit_, snapshot_index_);
    if (persist_it) persist_snapshot();
    forget_below(snapshot_index_);
    // Commands submitted here that the snapshot covers: answered from the client table.
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      const auto entry = clients_.find(it->first);
      if (entry == clients_.end() || it->second > entry->second.seq) {
        ++it;
        continue;
      }
      if (it->second == entry->second.seq) {
        ready_.final.push_back(
            {it->first, it->second, Reply::Kind::applied, entry->second.result, {}});
      }
      it = waiting_.erase(it);
    }
    if (persist_it) advance_commit();
  }

  /// Before a newer snapshot replaces the current one: the current one becomes the previous,
  /// which a transfer can finish from, unless the previous is being transferred and the
  /// current is not (a transfer that keeps asking keeps its snapshot: at most two are kept).
  void keep_for_transfers() {
    const auto wanted = [&](std::uint64_t at) {
      return at != 0 && now_ms_ - at < config_.election_timeout_ms;
    };
    if (!wanted(previous_requested_ms_) || wanted(snapshot_requested_ms_)) {
      previous_ = std::move(snapshot_);
      previous_index_ = snapshot_index_;
      previous_requested_ms_ = snapshot_requested_ms_;
    }
    snapshot_requested_ms_ = 0;
  }

  /// Writes the current snapshot with this turn's batch (not synced on its own: see take).
  void persist_snapshot() {
    ready_.persist.push_back(
        storage::Write::put(std::string(disk_prefix) + "snapshot", *snapshot_));
  }

  /// Forgets the accepted and chosen values below `index` (in the snapshot), on disk too.
  void forget_below(std::uint64_t index) {
    const auto accepted_end = accepted_.lower_bound(index);
    for (auto it = accepted_.begin(); it != accepted_end; ++it) {
      ready_.persist.push_back(
          storage::Write::erase(std::string(disk_prefix) + "a/" + slot_key(it->first)));
    }
    accepted_.erase(accepted_.begin(), accepted_end);
    chosen_.erase(chosen_.begin(), chosen_.lower_bound(index));
    proposals_.erase(proposals_.begin(), proposals_.lower_bound(index));
  }

  void apply(const Batch& batch) {
    for (const Command& c : batch) {
      applied_log_bytes_ += command_bytes(c);
      ClientEntry& entry = clients_[c.client];
      std::string result;
      if (c.seq <= entry.seq && !CALM_PAXOS_MUTANT(no_client_table)) {
        ++stats_.duplicates_ignored;
        if (c.seq != entry.seq) {  // older than the client's last: the client moved on
          waiting_.erase({c.client, c.seq});
          continue;
        }
        result = entry.result;
      } else {
        result = machine_.apply(c.op);
        entry = {c.seq,
                 result.size() <= config_.result_bytes_kept_max ? result : config_.result_not_kept};
        ++stats_.commands_applied;
      }
      if (waiting_.erase({c.client, c.seq}) != 0) {
        ready_.final.push_back({c.client, c.seq, Reply::Kind::applied, std::move(result), {}});
      }
    }
  }

  // -- plumbing --

  template <class M>
  void send(NodeId to, const M& m) {
    ready_.send.push_back({to, encode_message(Message{m})});
  }
  template <class M>
  void broadcast(const M& m) {
    const std::string bytes = encode_message(Message{m});
    for (NodeId peer : config_.members) {
      if (peer != config_.self) ready_.send.push_back({peer, bytes});
    }
  }
  void reject(std::string why) {
    ++stats_.rejected_messages;
    ready_.rejected.push_back(std::move(why));
  }
  bool is_member(NodeId id) const {
    return std::find(config_.members.begin(), config_.members.end(), id) != config_.members.end();
  }
  std::size_t majority() const {
    return config_.members.size() / 2 + (CALM_PAXOS_MUTANT(quorum_of_half) ? 0 : 1);
  }
  void draw_election_timeout() {
    election_timeout_ms_ = config_.election_timeout_ms +
                           random_.below(std::max<std::uint64_t>(1, config_.election_timeout_ms));
  }
  static std::string slot_key(std::uint64_t slot) {
    static const char* digits = "0123456789abcdef";
    std::string key(16, '0');
    for (int i = 15; i >= 0; --i, slot >>= 4) key[static_cast<std::size_t>(i)] = digits[slot & 15];
    return key;  // fixed width: the disk's order is the slots' order
  }
  static std::uint64_t parse_slot(std::string_view hex) {
    if (hex.size() != 16) throw lattices::DecodeError("paxos: bad slot key on disk");
    std::uint64_t slot = 0;
    for (char c : hex) {
      const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) throw lattices::DecodeError("paxos: bad slot key on disk");
      slot = slot << 4 | static_cast<std::uint64_t>(v);
    }
    return slot;
  }

  struct PromiseProgress {
    std::uint32_t chunks = 0;
    std::set<std::uint32_t> chunk_seen;
  };

  Config config_;
  SM machine_;
  calm::SplitMix64 random_;
  Stats stats_;
  host::Ready<Final> ready_;
  std::uint64_t now_ms_ = 0;
  bool started_ = false;

  // acceptor (durable)
  Ballot promised_;
  std::map<std::uint64_t, Acceptance> accepted_;
  // learner
  std::map<std::uint64_t, Batch> chosen_;
  std::uint64_t commit_ = 0;   // every slot below is chosen (and known here)
  std::uint64_t applied_ = 0;  // every slot below is applied
  std::uint64_t leader_commit_ = 0;
  std::map<std::uint64_t, ClientEntry> clients_;
  // snapshots
  struct Incoming {
    std::uint64_t index = 0;
    std::uint64_t total = 0;
    NodeId from = 0;
    std::uint64_t heard_at_ms = 0;  // its last chunk
    std::string bytes;              // the chunks received so far, in order
  };
  std::uint64_t snapshot_index_ = 0;
  /// The bytes of the commands applied since snapshot_index_ (snapshot_every_log_bytes), each
  /// counted as a slot counts it (`command_bytes`).
  std::uint64_t applied_log_bytes_ = 0;
  // The encoded SnapshotState at snapshot_index_ (empty: none), and the one before it, kept
  // for transfers under way (shared: a leader's snapshot is not copied per chunk).
  std::shared_ptr<const std::string> snapshot_ = std::make_shared<const std::string>();
  std::shared_ptr<const std::string> previous_ = std::make_shared<const std::string>();
  std::uint64_t previous_index_ = 0;
  std::uint64_t snapshot_requested_ms_ = 0;  // when a peer last asked for a chunk (0: never)
  std::uint64_t previous_requested_ms_ = 0;
  Incoming incoming_;                    // a peer's snapshot being received
  std::optional<NodeId> catch_up_from_;  // a promiser whose snapshot this candidate lacked
  // proposer
  Role role_ = Role::follower;
  Ballot ballot_;  // this replica's current ballot as candidate or leader
  std::uint64_t max_round_seen_ = 0;
  std::uint64_t campaign_first_slot_ = 0;
  std::map<NodeId, PromiseProgress> promises_;
  std::size_t promised_by_ = 0;
  std::map<std::uint64_t, Acceptance> adopted_;
  std::uint64_t next_slot_ = 0;
  std::map<std::uint64_t, Proposal> proposals_;
  std::vector<std::uint64_t> own_votes_pending_;  // slots accepted here since the last ready()
  /// ... and those handed to the host, by its ready() call, until it says they are durable.
  std::deque<std::pair<std::uint64_t, std::vector<std::uint64_t>>> own_votes_unsynced_;
  std::uint64_t ready_calls_ = 0;
  std::deque<Command> queue_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> waiting_;  // (client, seq) submitted here
  // read-index
  std::deque<PendingRead> reads_;
  std::uint64_t read_round_ = 0;                      // the last confirmation round sent
  std::map<NodeId, std::uint64_t> acked_round_;       // per peer, the last round it confirmed
  std::map<NodeId, std::uint64_t> peer_heard_at_ms_;  // leader: when each peer last answered
  std::uint64_t leader_since_ms_ = 0;
  std::uint64_t leader_heard_at_ms_ = 0;  // follower: when the leader was last heard
  // failure detection
  std::uint64_t heard_at_ms_ = 0;
  std::uint64_t election_timeout_ms_ = 0;
  std::uint64_t heartbeat_at_ms_ = 0;
  std::uint64_t learn_at_ms_ = 0;
  std::optional<NodeId> leader_heard_;
  Ballot leader_ballot_;
};

}  // namespace calm::protocols::paxos
