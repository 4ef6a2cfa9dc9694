#pragma once
/// Two-phase commit's coordinator (presumed abort), a sans-IO protocol for host::Host.
///
///   begin(parts) -> Prepare to every participant, with its part of the work
///   every vote yes            -> the commit record written and synced, then Decision commit
///                                to every participant, then the outcome to the application;
///                                the parts any yes vote refused are refused by the commit
///                                (message.hpp), and its record and Decision carry them
///   a vote no, or the vote timeout -> Decision abort to every participant, the outcome; no
///                                record and no acknowledgements (presumed abort: a
///                                transaction the coordinator has no record of is aborted)
///   every participant acked the commit -> the record erased (garbage collection)
///
/// What is on the coordinator's disk (keys under `disk_prefix`):
///   epoch        its epoch, bumped and synced at every boot before anything leaves under it,
///                so a transaction id is never used twice;
///   d/<tx>       a committed transaction not yet acknowledged by every participant (the
///                participants' ids, and the parts refused). At most `collecting_max` transactions
///                collect votes at once, and each commit record lives until its last
///                acknowledgement.
///
/// Recovery: a restarted coordinator resends Decision commit for every record it holds, until
/// acknowledged. Transactions that were collecting votes when it stopped are forgotten: they
/// have no record, so they are aborted, and a participant that asks (its yes vote repeated)
/// hears so. The blocking window of the protocol: a participant that voted yes can learn the
/// outcome only from this coordinator; while the coordinator is down it stays in doubt and
/// holds what it prepared (docs/two-pc.md measures it). Paxos Commit removes the window.
///
/// Paxos Commit (`acceptors` configured, 2F+1 of them; acceptor.hpp): each participant's
/// vote is an instance of single-decree Paxos decided by the acceptors, not a message to the
/// coordinator. The coordinator learns every instance from the acceptors' Accepted (a majority
/// at round 0), commits when all are prepared, and writes no record: the acceptors are the
/// log. A vote timeout makes it a recovery leader (recovery.hpp), which decides the missing
/// instances aborted through the acceptors. If it stops, a participant in doubt becomes the
/// recovery leader: the outcome is decided while F+1 acceptors are up, even if the
/// coordinator never returns. A question on a transaction of an earlier epoch is not answered
/// in this mode (no record of a commit outlives a restart: the participant asks the
/// acceptors).
///
/// Plain two-phase commit is Paxos Commit with F = 0: one acceptor, the coordinator itself,
/// whose commit record is its acceptance of every participant's "prepared" at once.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"
#include "lattices/core.hpp"
#include "protocols/host/host.hpp"
#include "protocols/net/frame_codec.hpp"
#include "protocols/two_pc/message.hpp"
#include "protocols/two_pc/mutants.hpp"
#include "protocols/two_pc/recovery.hpp"

namespace calm::protocols::two_pc {

struct CoordinatorConfig {
  NodeId self = 0;
  std::uint64_t tick_ms = 5;
  /// Prepares not answered, and commits not acknowledged, go again after this long.
  std::uint64_t resend_ms = 40;
  /// A transaction without every vote after this long is aborted.
  std::uint64_t vote_timeout_ms = 400;
  /// The participants hear the epoch and watermark (Progress) every this often for a few
  /// rounds after the watermark moved, then every ten times this: records the watermark
  /// passed are let go of, even by a participant that missed the rounds.
  std::uint64_t progress_ms = 200;
  /// The participants this coordinator may name (its Progress goes to them, and to any other
  /// a transaction of this epoch named), so that those that hold records of an earlier epoch
  /// hear of the new one.
  std::vector<NodeId> participants;
  /// Transactions collecting votes at once; past it `begin` refuses (busy).
  std::size_t collecting_max = 4096;
  /// A new transaction's number is below the watermark plus this: what a participant keeps
  /// of the transactions it aborted is bounded by it (ParticipantConfig::window_max must be
  /// at least as large).
  std::uint64_t window_max = 1 << 16;
  std::size_t participants_max = 64;
  /// Paxos Commit's acceptors (2F+1 of them); none: plain two-phase commit (F = 0).
  std::vector<NodeId> acceptors;
  /// A recovery ballot that was refused, or heard nothing new for this long (doubling per
  /// attempt), gives way to a higher one.
  std::uint64_t recovery_retry_ms = 100;
  /// Put every message of a turn to one peer into one frame (a bundle, message.hpp): fewer
  /// frames under load, the same messages. Bundles are taken whether this is set or not.
  bool bundle_sends = false;
  DecodeLimits limits;
};

/// One participant's part of a transaction.
struct Part {
  NodeId participant = 0;
  std::string payload;
};

/// What the coordinator hands its application: a transaction's outcome, once final (a
/// commit once its record is synced).
struct Outcome {
  TxId tx;
  bool committed = false;
  std::string reason;  // aborted: why
  Refusals refused{};  // committed: the parts refused (every other part committed)
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

struct CoordinatorStats {
  std::uint64_t begun = 0;
  std::uint64_t committed = 0;
  std::uint64_t aborted = 0;
  std::uint64_t rejected_messages = 0;
};

class Coordinator {
 public:
  using Final = Outcome;
  static constexpr std::string_view disk_prefix = "2pc-c/";

  explicit Coordinator(CoordinatorConfig config)
      : config_(std::move(config)),
        contacted_(config_.participants.begin(), config_.participants.end()) {
    CALM_ASSERT(config_.collecting_max > 0 && config_.window_max > config_.collecting_max &&
                    config_.participants_max > 0,
                "the bounds allow a transaction, and the window more than those collecting");
    CALM_ASSERT(config_.participants_max <= config_.limits.participants_max,
                "a transaction's participants fit in one message");
    std::sort(config_.acceptors.begin(), config_.acceptors.end());
  }

  // ---- the application ----

  /// Starts a transaction over `parts` (one per participant, each named once); its outcome
  /// comes as a Final. Nothing when `collecting_max` transactions already collect votes, or
  /// the window is full (busy: try later). Throws std::invalid_argument for parts that could
  /// never commit (none, a participant twice, too many, a payload too large).
  std::optional<TxId> begin(std::vector<Part> parts) {
    if (parts.empty() || parts.size() > config_.participants_max) {
      throw std::invalid_argument("two-pc: a transaction has 1 to participants_max parts");
    }
    std::set<NodeId> seen;
    for (const Part& p : parts) {
      if (!seen.insert(p.participant).second) {
        throw std::invalid_argument("two-pc: a participant named twice in one transaction");
      }
      if (p.payload.size() > config_.limits.payload_bytes_max) {
        throw std::invalid_argument("two-pc: a payload above payload_bytes_max");
      }
    }
    bump_epoch();
    if (collecting_.size() >= config_.collecting_max ||
        next_number_ >= watermark() + config_.window_max) {
      return std::nullopt;
    }
    const TxId tx{config_.self, epoch_, next_number_++};
    Collecting& c = collecting_[tx.number];
    for (const Part& p : parts) {
      contacted_.insert(p.participant);
      c.participants.push_back(p.participant);
    }
    std::sort(c.participants.begin(), c.participants.end());
    c.parts = std::move(parts);
    c.started_ms = now_ms_;
    c.resend_at_ms = now_ms_ + config_.resend_ms;
    ++stats_.begun;
    for (const Part& p : c.parts) send_prepare(tx, c, p);
    return tx;
  }

  // ---- the host's protocol ----

  void restore(const std::string& key, std::string_view bytes) {
    if (key == "epoch") {
      net::codec::Reader in(bytes, "two-pc coordinator disk");
      epoch_ = in.varint();
      in.expect_end();
    } else if (key.starts_with("d/")) {
      if (paxos_commit()) {
        // A commit record of two-phase commit: under Paxos Commit nothing would ever erase it.
        throw lattices::DecodeError(
            "two-pc coordinator: two-phase commit's commit records are still on disk; let them "
            "be acknowledged without acceptors before switching to Paxos Commit");
      }
      const TxId tx = parse_tx_key(std::string_view(key).substr(2));
      net::codec::Reader in(bytes, "two-pc coordinator disk");
      Committed c;
      for (std::uint64_t n = in.count(1, config_.participants_max, "too many participants"); n > 0;
           --n) {
        c.participants.push_back(in.varint());
      }
      if (in.remaining() > 0) c.refused = read_refusals(in, config_.limits.parts_max);
      in.expect_end();
      committed_[tx] = std::move(c);  // resent at the first tick
    } else {
      throw lattices::DecodeError("two-pc coordinator: unknown key on disk");
    }
  }

  void step(NodeId from, std::string_view bytes, const host::Input& input) {
    now_ms_ = input.now_ms;
    bump_epoch();
    for_each_message(
        bytes, config_.limits, [this](std::string why) { reject(std::move(why)); },
        [&](const Message& message) { handle(from, message); });
  }

  void tick(const host::Input& input) {
    now_ms_ = input.now_ms;
    bump_epoch();
    std::vector<std::uint64_t> late;
    for (auto& [number, c] : collecting_) {
      const TxId tx{config_.self, epoch_, number};
      if (now_ms_ - c.started_ms >= config_.vote_timeout_ms) {
        if (!paxos_commit() || CALM_TWO_PC_MUTANT(timeout_aborts_alone)) {
          late.push_back(number);
          continue;
        }
        // Paxos Commit: the acceptors may have chosen votes this coordinator did not hear
        // of, so it may not abort alone; it leads a recovery ballot that decides the rest.
        if (!c.recovery) {
          c.recovery.emplace(tx, c.participants, config_.self, config_.acceptors.size());
        }
        if (auto claim = c.recovery->tick(now_ms_, config_.recovery_retry_ms)) {
          send_to_acceptors(*claim);
        }
      }
      if (now_ms_ >= c.resend_at_ms) {
        for (const Part& p : c.parts) {
          if (!c.yes.contains(p.participant)) send_prepare(tx, c, p);
        }
        c.resend_at_ms = now_ms_ + config_.resend_ms;
      }
    }
    for (std::uint64_t number : late) abort({config_.self, epoch_, number}, "the vote timeout");
    for (auto& [tx, c] : committed_) {
      if (now_ms_ < c.resend_at_ms) continue;
      for (NodeId p : c.participants) {
        if (!c.acked.contains(p)) send_decision(p, tx, true, c.refused);
      }
      c.resend_at_ms = now_ms_ + config_.resend_ms;
    }
    // The watermark reaches the participants when nothing else carries it: a few times after
    // it last moved (a Progress may be lost), then no more until it moves again.
    if (watermark() != progress_watermark_) {
      progress_watermark_ = watermark();
      progress_rounds_ = progress_rounds_max;
      progress_at_ms_ = std::min(progress_at_ms_, now_ms_ + config_.progress_ms);
    }
    if (now_ms_ >= progress_at_ms_) {
      const std::string bytes = encode_message(Message{Progress{epoch_, watermark()}});
      for (NodeId p : contacted_) ready_.send.push_back({p, bytes});
      if (progress_rounds_ > 0) --progress_rounds_;
      progress_at_ms_ = now_ms_ + config_.progress_ms * (progress_rounds_ > 0 ? 1 : 10);
    }
  }

  std::uint64_t tick_delay_ms(bool) const { return config_.tick_ms; }

  host::Ready<Final> ready() {
    // A turn with anything to send writes the epoch again if its last write failed: nothing
    // leaves under an epoch that is not on disk.
    if (!ready_.send.empty()) bump_epoch();
    host::Ready<Final> out = std::move(ready_);
    ready_ = {};
    if (config_.bundle_sends) bundle_sends(out.send, config_.limits);
    handed_out_ = out.final;  // again after a failed batch (rollback)
    return out;
  }

  std::uint64_t checkpoint() const { return 0; }

  /// A batch failed: a commit record that did not land aborts its transaction (no record:
  /// aborted, and nobody heard otherwise); an erased record that is still there is acked
  /// again; the epoch goes again with the next batch; the turn's aborts reach the
  /// application again. Transactions collecting votes go on:
  /// their Prepares go again at the next resend. Nothing failed (the application's request
  /// threw): nothing changed, nothing to do.
  void rollback(std::uint64_t, std::span<const storage::Write> failed,
                const host::DurableRead& read) {
    // The failed turn's outcomes never reached the application: its aborts stand (they
    // wrote nothing), its commits are aborted below (their records did not land).
    // (Nothing failed: the application's request threw after a flush that went through.)
    if (!failed.empty()) {
      for (Outcome& o : handed_out_) {
        // Paxos Commit: a commit is the acceptors' fact, not this batch's.
        if (!o.committed || paxos_commit()) ready_.final.push_back(std::move(o));
      }
    }
    handed_out_.clear();
    for (const storage::Write& w : failed) {
      const std::string_view key = w.key;
      if (!key.starts_with(disk_prefix)) continue;
      const std::string rest(key.substr(disk_prefix.size()));
      if (rest == "epoch") {
        epoch_written_ = false;  // written again with the next batch, before anything leaves
        continue;
      }
      if (!rest.starts_with("d/")) continue;
      const TxId tx = parse_tx_key(std::string_view(rest).substr(2));
      if (const auto bytes = read(key)) {
        committed_.erase(tx);
        restore(rest, *bytes);
        continue;
      }
      const auto it = committed_.find(tx);
      if (it == committed_.end()) continue;
      std::vector<NodeId> participants = std::move(it->second.participants);
      committed_.erase(it);
      if (w.kind == storage::Write::Kind::put) {  // the commit never became a fact: abort
        for (NodeId p : participants) send_decision(p, tx, false);
        --stats_.committed;
        ++stats_.aborted;
        ready_.final.push_back({tx, false, "the commit record could not be written"});
      }
    }
  }

  // ---- inspection ----

  std::uint64_t epoch() const { return epoch_; }
  std::size_t collecting() const { return collecting_.size(); }
  /// Commit records held (not yet acknowledged by every participant).
  std::size_t records() const { return committed_.size(); }
  const CoordinatorStats& stats() const { return stats_; }

 private:
  /// One message of a peer's frame.
  void handle(NodeId from, const Message& message) {
    if (const auto* vote = std::get_if<Vote>(&message)) {
      on_vote(from, *vote);
    } else if (const auto* ack = std::get_if<Ack>(&message)) {
      on_ack(from, *ack);
    } else if (paxos_commit() && std::holds_alternative<Query>(message)) {
      on_query(from, std::get<Query>(message));
    } else if (const auto* a = std::get_if<Accepted>(&message); a && from_acceptor(from)) {
      on_accepted(from, *a);
    } else if (const auto* p = std::get_if<Promise>(&message); p && from_acceptor(from)) {
      if (Collecting* c = recovering(p->tx)) {
        if (auto accept = c->recovery->on_promise(from, *p, now_ms_)) send_to_acceptors(*accept);
      }
    } else if (const auto* r = std::get_if<Refused>(&message); r && from_acceptor(from)) {
      if (Collecting* c = recovering(r->tx)) c->recovery->on_refused(from, *r, now_ms_);
    } else {
      reject("a coordinator takes votes, acks, and its acceptors' answers only");
    }
  }

  struct Collecting {
    std::vector<Part> parts;
    std::vector<NodeId> participants;  // sorted
    std::set<NodeId> yes;
    Refusals refused;  // by the yes votes so far
    std::uint64_t started_ms = 0;
    std::uint64_t resend_at_ms = 0;
    // Paxos Commit: the acceptors that accepted each participant's yes at round 0, and the
    // recovery ballot led after the vote timeout.
    std::map<NodeId, std::set<NodeId>> prepared_at;
    std::optional<Recovery> recovery;
  };
  struct Committed {
    std::vector<NodeId> participants;
    Refusals refused;
    std::set<NodeId> acked;
    std::uint64_t resend_at_ms = 0;
  };

  /// Every transaction of this epoch numbered below it is decided.
  std::uint64_t watermark() const {
    return collecting_.empty() ? next_number_ : collecting_.begin()->first;
  }

  /// The first turn after a boot moves to a new epoch, synced before anything leaves.
  void bump_epoch() {
    if (!epoch_bumped_) {
      epoch_bumped_ = true;
      epoch_written_ = false;
      if (!CALM_TWO_PC_MUTANT(epoch_not_bumped)) ++epoch_;
    }
    if (!epoch_written_) {
      epoch_written_ = true;
      std::string bytes;
      net::codec::put_varint(bytes, epoch_);
      ready_.persist.push_back(storage::Write::put(std::string(disk_prefix) + "epoch", bytes));
      ready_.sync = true;
    }
  }

  void on_vote(NodeId from, const Vote& v) {
    if (v.tx.coordinator != config_.self) return reject("a vote for another coordinator's");
    if (v.tx.epoch == epoch_) {
      if (auto it = collecting_.find(v.tx.number); it != collecting_.end()) {
        Collecting& c = it->second;
        if (!is_part(c.parts, from)) return reject("a vote from a node not in the transaction");
        if (!v.yes) return abort(v.tx, "a no vote from node " + std::to_string(from));
        // Paxos Commit: a yes counts once the acceptors accepted it (on_acceptor); this
        // one is a participant in doubt asking, and the outcome is not known yet.
        if (paxos_commit()) return;
        c.yes.insert(from);
        if (!CALM_TWO_PC_MUTANT(commit_drops_refusals)) merge_refusals(c.refused, v.refused);
        const std::size_t needed =
            CALM_TWO_PC_MUTANT(commit_on_majority) ? c.parts.size() / 2 + 1 : c.parts.size();
        if (c.yes.size() >= needed) commit(v.tx, c.refused);
        return;
      }
    }
    if (auto it = committed_.find(v.tx); it != committed_.end()) {
      const auto& ps = it->second.participants;
      if (std::find(ps.begin(), ps.end(), from) == ps.end()) {
        return reject("a vote from a node not in the transaction");
      }
      if (v.yes) send_decision(from, v.tx, true, it->second.refused);  // in doubt: again
      return;
    }
    // Paxos Commit keeps no record of a commit across a restart: an earlier epoch's
    // transaction is the acceptors' to answer (the participant asks them).
    if (paxos_commit() && v.tx.epoch < epoch_) return;
    if (v.tx.epoch < epoch_ || (v.tx.epoch == epoch_ && v.tx.number < next_number_)) {
      // No record and not collecting: aborted (presumed abort), or committed and acked by
      // every participant, this one included, which then asks no more.
      if (v.yes) send_decision(from, v.tx, CALM_TWO_PC_MUTANT(presumed_commit));
      return;
    }
    reject("a vote for a transaction never begun");
  }

  void on_ack(NodeId from, const Ack& a) {
    auto it = committed_.find(a.tx);
    if (it == committed_.end()) return;  // acked already, the record gone
    Committed& c = it->second;
    if (std::find(c.participants.begin(), c.participants.end(), from) == c.participants.end()) {
      return reject("an ack from a node not in the transaction");
    }
    c.acked.insert(from);
    if (c.acked.size() == c.participants.size() || CALM_TWO_PC_MUTANT(forget_before_all_acks)) {
      // Needs no sync: a record that comes back after a crash is resent and acked again.
      if (!paxos_commit()) {
        ready_.persist.push_back(
            storage::Write::erase(std::string(disk_prefix) + "d/" + tx_key(a.tx)));
      }
      committed_.erase(it);
    }
  }

  /// Every participant is prepared; `refused`: the parts any of them refused.
  void commit(const TxId& tx, Refusals refused) {
    auto node = collecting_.extract(tx.number);
    Committed c;
    for (const Part& p : node.mapped().parts) c.participants.push_back(p.participant);
    c.refused = std::move(refused);
    c.resend_at_ms = now_ms_ + config_.resend_ms;
    if (!paxos_commit()) {
      std::string bytes;
      net::codec::put_varint(bytes, c.participants.size());
      for (NodeId p : c.participants) net::codec::put_varint(bytes, p);
      if (!c.refused.empty()) put_refusals(bytes, c.refused);
      ready_.persist.push_back(
          storage::Write::put(std::string(disk_prefix) + "d/" + tx_key(tx), std::move(bytes)));
      // The decision is a fact before anyone hears it.
      ready_.sync = ready_.sync || !CALM_TWO_PC_MUTANT(commit_before_log);
    }
    for (NodeId p : c.participants) send_decision(p, tx, true, c.refused);
    ++stats_.committed;
    ready_.final.push_back({tx, true, {}, c.refused});
    committed_[tx] = std::move(c);
  }

  void abort(const TxId& tx, std::string reason) {
    auto node = collecting_.extract(tx.number);
    CALM_ASSERT(!node.empty(), "only a transaction collecting votes is aborted");
    for (const Part& p : node.mapped().parts) send_decision(p.participant, tx, false);
    ++stats_.aborted;
    ready_.final.push_back({tx, false, std::move(reason)});
  }

  void send_prepare(const TxId& tx, const Collecting& c, const Part& p) {
    ready_.send.push_back(
        {p.participant, encode_message(Message{Prepare{tx, epoch_, watermark(), p.payload,
                                                       c.participants, config_.acceptors}})});
  }

  bool paxos_commit() const { return !config_.acceptors.empty(); }
  template <class M>
  void send_to_acceptors(const M& m) {
    const std::string bytes = encode_message(Message{m});
    for (NodeId a : config_.acceptors) ready_.send.push_back({a, bytes});
  }

  bool from_acceptor(NodeId node) const {
    return paxos_commit() &&
           std::binary_search(config_.acceptors.begin(), config_.acceptors.end(), node);
  }

  /// The transaction, if it collects votes and leads a recovery ballot.
  Collecting* recovering(const TxId& tx) {
    if (tx.coordinator != config_.self || tx.epoch != epoch_) return nullptr;
    const auto it = collecting_.find(tx.number);
    return it == collecting_.end() || !it->second.recovery ? nullptr : &it->second;
  }

  /// An acceptor accepted a participant's yes (round 0), or this coordinator's recovery
  /// ballot.
  void on_accepted(NodeId from, const Accepted& a) {
    if (a.tx.coordinator != config_.self || a.tx.epoch != epoch_) return;  // decided long ago
    const auto it = collecting_.find(a.tx.number);
    if (it == collecting_.end()) return;  // decided already
    Collecting& c = it->second;
    if (a.ballot.round == 0) {
      const NodeId p = a.ballot.node;
      if (a.values.size() != 1 || a.values[0].participant != p ||
          !std::binary_search(c.participants.begin(), c.participants.end(), p)) {
        return reject("an accepted vote of a node not in the transaction");
      }
      // Only a participant proposes at its round 0, and it proposes only its yes: an
      // aborted value there is its own no.
      if (!a.values[0].prepared) return abort(a.tx, "a no vote from node " + std::to_string(p));
      std::set<NodeId>& at = c.prepared_at[p];
      at.insert(from);
      const std::size_t needed =
          CALM_TWO_PC_MUTANT(learn_from_one_acceptor) ? 1 : config_.acceptors.size() / 2 + 1;
      if (at.size() >= needed && c.yes.insert(p).second &&
          !CALM_TWO_PC_MUTANT(commit_drops_refusals)) {
        merge_refusals(c.refused, a.values[0].refused);
      }
      if (c.yes.size() == c.participants.size()) commit(a.tx, c.refused);
      return;
    }
    if (!c.recovery) return;
    if (const std::optional<bool> outcome = c.recovery->on_accepted(from, a, now_ms_)) {
      if (*outcome) {
        commit(a.tx, c.recovery->refused());
      } else {
        abort(a.tx, "the vote timeout: the acceptors decided it aborted");
      }
    }
  }

  /// An acceptor asks which transactions are over for this coordinator: those it will lead
  /// no ballot on again (not collecting votes; an earlier epoch's never again).
  void on_query(NodeId from, const Query& q) {
    Done done;
    for (const TxId& tx : q.txs) {
      if (tx.coordinator != config_.self) continue;
      if (tx.epoch < epoch_ ||
          (tx.epoch == epoch_ && tx.number < next_number_ && !collecting_.contains(tx.number))) {
        done.txs.push_back(tx);
      }
    }
    if (!done.txs.empty()) ready_.send.push_back({from, encode_message(Message{done})});
  }
  void send_decision(NodeId to, const TxId& tx, bool commit, const Refusals& refused = {}) {
    ready_.send.push_back(
        {to, encode_message(Message{Decision{tx, commit, epoch_, watermark(), refused}})});
  }

  static bool is_part(const std::vector<Part>& parts, NodeId node) {
    return std::any_of(parts.begin(), parts.end(),
                       [&](const Part& p) { return p.participant == node; });
  }

  void reject(std::string why) {
    ++stats_.rejected_messages;
    ready_.rejected.push_back("two-pc coordinator: " + std::move(why));
  }

  CoordinatorConfig config_;
  std::set<NodeId> contacted_;  // the participants configured, and those named since boot
  std::uint64_t now_ms_ = 0;
  std::uint64_t epoch_ = 0;
  bool epoch_bumped_ = false;
  bool epoch_written_ = true;  // nothing to write until the bump
  std::uint64_t next_number_ = 0;
  std::map<std::uint64_t, Collecting> collecting_;  // this epoch's, by number
  std::map<TxId, Committed> committed_;
  std::vector<Outcome> handed_out_;  // the last turn's outcomes
  std::uint64_t progress_watermark_ = 0;
  int progress_rounds_ = 0;
  static constexpr int progress_rounds_max = 3;
  std::uint64_t progress_at_ms_ = 0;
  host::Ready<Final> ready_;
  CoordinatorStats stats_;
};

}  // namespace calm::protocols::two_pc
