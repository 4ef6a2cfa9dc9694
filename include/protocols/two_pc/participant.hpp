#pragma once
/// Two-phase commit's participant, a sans-IO protocol for host::Host, around the
/// application's part (a ParticipantApp):
///
///   Prepare (new)  -> app.prepare(tx, payload): yes, no, or later (the app answers with
///                     `vote` within vote_timeout_ms, or the participant aborts on its own)
///   yes            -> the prepare record, with what the app wrote, synced; then Vote yes.
///                     From here only the coordinator decides: the participant is in doubt
///                     until it hears, repeats its yes vote every resend_ms as its question,
///                     and keeps what it prepared across restarts
///   no, timeout    -> an abort record synced, then Vote no
///   Decision commit -> app.commit, the prepare record replaced by a commit record, synced;
///                     then Ack
///   Decision abort -> app.abort, the prepare record replaced by an abort record
///
/// Idempotent: a Prepare again gets the same vote, a Decision again the same answer. A
/// transaction that ended here is never started again: the participant keeps its commit or
/// abort record until the coordinator's watermark passes it (message.hpp), and votes no for
/// any transaction below the watermark, or of an earlier epoch, that it does not know.
/// Bounds: per coordinator, the transactions it holds are within `window_max` numbers of the
/// watermark.
///
/// Paxos Commit (`acceptors` configured): the yes vote is not sent to the coordinator but
/// proposed to the acceptors at this participant's round 0 (Accept), after the same synced
/// prepare record. A participant in doubt for `recovery_ms` (the coordinator silent, or down
/// for good) leads a recovery ballot (recovery.hpp): it learns the outcome from the
/// acceptors, or decides the instances nobody decided as aborted, applies it, and tells the
/// other participants (Learned). It answers an acceptor's Query with the transactions that are
/// over here. The prepare record then names every participant of the transaction.
///
/// Keys on disk (under `disk_prefix`): t/<tx> prepared, c/<tx> committed, x/<tx> aborted,
/// k/<coordinator> the coordinator's epoch and watermark as last heard, app/<key> the
/// application's own (written in the same batches as the protocol's, so a crash keeps both or
/// neither).
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
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

enum class Stage { yes, no, later };

/// What the application writes, in the participant's next batch, under its own keys; and the
/// parts of the transaction refused (message.hpp): in `prepare` (and `vote`) those the app
/// refuses, in `commit` those the commit refused, which the app leaves undone.
class AppWrites {
 public:
  /// Writes alone (abort, and commit without parts).
  explicit AppWrites(std::vector<storage::Write>& out) : out_(&out) {}
  /// prepare and vote: the app's refusals go to `refusing`, each below `parts_max`.
  static AppWrites preparing(std::vector<storage::Write>& out, Refusals& refusing,
                             std::uint32_t parts_max) {
    AppWrites w(out);
    w.refusing_ = &refusing;
    w.parts_max_ = parts_max;
    return w;
  }
  /// commit: `refused` are the parts the commit refused.
  static AppWrites committing(std::vector<storage::Write>& out, const Refusals& refused) {
    AppWrites w(out);
    w.refused_ = &refused;
    return w;
  }

  void put(std::string_view key, std::string value) {
    out_->push_back(storage::Write::put(full(key), std::move(value)));
  }
  void erase(std::string_view key) { out_->push_back(storage::Write::erase(full(key))); }

  /// prepare and vote: this participant votes yes on the transaction but not on `part`
  /// (below parts_max()).
  void refuse(std::uint32_t part) {
    CALM_ASSERT(refusing_ != nullptr && part < parts_max_,
                "parts are refused while preparing only, each below parts_max");
    if (refusing_->empty() || refusing_->back() < part) {
      refusing_->push_back(part);
    } else if (const auto it = std::lower_bound(refusing_->begin(), refusing_->end(), part);
               *it != part) {
      refusing_->insert(it, part);
    }
  }
  /// prepare and vote: the part numbers a payload may use (the participant's
  /// DecodeLimits::parts_max); 0 elsewhere.
  std::uint32_t parts_max() const { return parts_max_; }

  /// commit: whether `part` was refused (by any participant), so is not to be done.
  bool refused(std::uint32_t part) const {
    return refused_ != nullptr && std::binary_search(refused_->begin(), refused_->end(), part);
  }

 private:
  static std::string full(std::string_view key);
  std::vector<storage::Write>* out_;
  Refusals* refusing_ = nullptr;       // preparing
  std::uint32_t parts_max_ = 0;        // preparing
  const Refusals* refused_ = nullptr;  // committing
};

/// The application's part. Each call may write through `w`; those writes land in the same
/// batch as the protocol's record of the step (`load` gets them back at boot, and after a
/// failed batch with what the disk still holds).
template <class A>
concept ParticipantApp = requires(A a, const TxId& tx, std::string_view payload, AppWrites& w,
                                  std::string_view key, std::optional<std::string_view> value) {
  { a.prepare(tx, payload, w) } -> std::same_as<Stage>;
  a.commit(tx, w);
  a.abort(tx, w);
  a.load(key, value);
};

struct ParticipantConfig {
  NodeId self = 0;
  std::uint64_t tick_ms = 5;
  /// An in-doubt participant repeats its yes vote this often.
  std::uint64_t resend_ms = 40;
  /// A `later` vote not given within this long aborts the transaction.
  std::uint64_t vote_timeout_ms = 300;
  /// At least the coordinators' window_max.
  std::uint64_t window_max = 1 << 16;
  /// Transactions of one coordinator prepared here or waiting for the app, at most (at
  /// least the coordinators' collecting_max); a Prepare past it is voted no.
  std::size_t open_per_coordinator_max = 4096;
  /// Paxos Commit's acceptors (2F+1 of them); none: plain two-phase commit (F = 0).
  std::vector<NodeId> acceptors;
  /// In doubt this long (since the yes vote, or since a restart), the participant leads a
  /// recovery ballot; one that was refused, or heard nothing new for `recovery_retry_ms`
  /// (doubling per attempt), gives way to a higher one.
  std::uint64_t recovery_ms = 1000;
  std::uint64_t recovery_retry_ms = 100;
  /// Put every message of a turn to one peer into one frame (a bundle, message.hpp): fewer
  /// frames under load, the same messages. Bundles are taken whether this is set or not.
  bool bundle_sends = false;
  DecodeLimits limits;
};

/// What the participant hands its application once it is on disk.
struct ParticipantOutcome {
  TxId tx;
  bool committed = false;
  Refusals refused{};  // committed: the parts refused, left undone
  friend bool operator==(const ParticipantOutcome&, const ParticipantOutcome&) = default;
};

struct ParticipantStats {
  std::uint64_t prepared = 0;
  std::uint64_t committed = 0;
  std::uint64_t aborted = 0;
  /// Outcomes this participant learned by leading a recovery ballot (Paxos Commit).
  std::uint64_t recovered = 0;
  std::uint64_t rejected_messages = 0;
};

inline constexpr std::string_view participant_prefix = "2pc-p/";

/// A participant's disk key: `participant_prefix`, then `kind` ("t/", "app/"...) and `rest`.
inline std::string participant_key(std::string_view kind, std::string_view rest) {
  std::string out;
  out.reserve(participant_prefix.size() + kind.size() + rest.size());
  out.append(participant_prefix).append(kind).append(rest);
  return out;
}

inline std::string AppWrites::full(std::string_view key) { return participant_key("app/", key); }

template <ParticipantApp App>
class Participant {
 public:
  using Final = ParticipantOutcome;
  static constexpr std::string_view disk_prefix = participant_prefix;

  Participant(ParticipantConfig config, App app)
      : config_(std::move(config)), app_(std::move(app)) {
    std::sort(config_.acceptors.begin(), config_.acceptors.end());
  }

  // ---- the application ----

  /// The vote on a transaction the app answered `later`: `decide(AppWrites&)` returns yes or
  /// no, and may write (what it holds for the transaction). False, and `decide` not called,
  /// when the transaction no longer waits (it timed out, or was decided).
  template <class Decide>
  bool vote(const TxId& tx, Decide&& decide) {
    const auto it = active_.find(tx);
    if (it == active_.end()) return false;
    std::vector<storage::Write> writes;  // kept only if `decide` returns
    Refusals refused;
    AppWrites w = AppWrites::preparing(writes, refused, config_.limits.parts_max);
    const bool yes = std::forward<Decide>(decide)(w);
    ready_.persist.insert(ready_.persist.end(), std::make_move_iterator(writes.begin()),
                          std::make_move_iterator(writes.end()));
    std::vector<NodeId> participants = std::move(it->second.participants);
    active_.erase(it);
    if (yes) {
      prepared(tx, std::move(participants), std::move(refused));
    } else {
      aborted(tx, /*by_app=*/false);
    }
    return true;
  }

  App& app() { return app_; }
  const App& app() const { return app_; }

  // ---- the host's protocol ----

  void restore(const std::string& key, std::string_view bytes) {
    if (key.starts_with("app/")) {
      app_.load(std::string_view(key).substr(4), bytes);
    } else if (key.starts_with("t/")) {
      if (CALM_TWO_PC_MUTANT(prepared_not_restored)) return;
      Prepared prepared = restored(bytes);
      if (paxos_commit() == prepared.participants.empty()) {
        // Prepared under the other mode: under Paxos Commit only its two-phase commit
        // coordinator could answer it, and answers nothing of an earlier epoch; under
        // two-phase commit the coordinator would presume abort what the acceptors may have
        // chosen to commit.
        throw lattices::DecodeError(
            "two-pc participant: a transaction prepared under the other mode (with or without "
            "acceptors) is still in doubt; resolve it in that mode before switching");
      }
      prepared_[parse_tx_key(std::string_view(key).substr(2))] = std::move(prepared);
    } else if (key.starts_with("x/") || key.starts_with("c/")) {
      finished_[parse_tx_key(std::string_view(key).substr(2))] = key[0] == 'c';
    } else if (key.starts_with("k/")) {
      net::codec::Reader in(bytes, "two-pc participant disk");
      Known k;
      k.epoch = in.varint();
      k.watermark = in.varint();
      in.expect_end();
      known_[parse_node(std::string_view(key).substr(2))] = k;
    } else {
      throw lattices::DecodeError("two-pc participant: unknown key on disk");
    }
  }

  void step(NodeId from, std::string_view bytes, const host::Input& input) {
    now_ms_ = input.now_ms;
    for_each_message(
        bytes, config_.limits, [this](std::string why) { reject(std::move(why)); },
        [&](const Message& message) { handle(from, message); });
  }

  void tick(const host::Input& input) {
    now_ms_ = input.now_ms;
    std::vector<TxId> late;
    for (const auto& [tx, a] : active_) {
      if (now_ms_ - a.since_ms >= config_.vote_timeout_ms) late.push_back(tx);
    }
    for (const TxId& tx : late) {
      active_.erase(tx);
      aborted(tx, /*by_app=*/false);
    }
    std::vector<TxId> gave_up;
    for (auto& [tx, p] : prepared_) {
      if (CALM_TWO_PC_MUTANT(abort_after_yes_on_timeout) && p.since_ms != 0 &&
          now_ms_ - p.since_ms >= config_.vote_timeout_ms) {
        gave_up.push_back(tx);
        continue;
      }
      if (paxos_commit()) {
        if (p.recover_at_ms == 0) p.recover_at_ms = now_ms_ + config_.recovery_ms;  // restored
        if (now_ms_ >= p.recover_at_ms) {
          // In doubt too long: lead a recovery ballot, and higher ones until it is learned.
          if (!p.recovery) {
            p.recovery.emplace(tx, p.participants, config_.self, config_.acceptors.size());
          }
          if (auto claim = p.recovery->tick(now_ms_, config_.recovery_retry_ms)) {
            send_to_acceptors(*claim);
          }
        }
      }
      if (now_ms_ < p.ask_at_ms) continue;
      send(tx.coordinator, Vote{tx, true, p.refused});  // in doubt: the question
      p.ask_at_ms = now_ms_ + config_.resend_ms;
    }
    for (const TxId& tx : gave_up) decide_abort(tx);
  }

  std::uint64_t tick_delay_ms(bool) const { return config_.tick_ms; }

  host::Ready<Final> ready() {
    for (NodeId c : known_dirty_) {
      const Known& k = known_.at(c);
      std::string bytes;
      net::codec::put_varint(bytes, k.epoch);
      net::codec::put_varint(bytes, k.watermark);
      ready_.persist.push_back(
          storage::Write::put(participant_key("k/", node_key(c)), std::move(bytes)));
    }
    known_dirty_.clear();
    host::Ready<Final> out = std::move(ready_);
    ready_ = {};
    if (config_.bundle_sends) bundle_sends(out.send, config_.limits);
    return out;
  }

  std::uint64_t checkpoint() const { return 0; }

  /// A batch failed: what it held is reloaded from the disk. A prepare record that did not
  /// land leaves the transaction unknown here (its vote was not sent); an abort record is
  /// kept in memory and written again (the participant still never votes yes on it); what
  /// the coordinator told is kept and written again; the app reloads its keys.
  void rollback(std::uint64_t, std::span<const storage::Write> failed,
                const host::DurableRead& read) {
    for (const storage::Write& w : failed) {
      const std::string_view full = w.key;
      if (!full.starts_with(disk_prefix)) continue;
      const std::string_view rest = full.substr(disk_prefix.size());
      const std::optional<std::string> on_disk = read(full);
      if (rest.starts_with("app/")) {
        app_.load(rest.substr(4), on_disk ? std::optional<std::string_view>(*on_disk)
                                          : std::optional<std::string_view>());
      } else if (rest.starts_with("t/")) {
        const TxId tx = parse_tx_key(rest.substr(2));
        if (on_disk) {
          prepared_[tx] = restored(*on_disk);
        } else {
          prepared_.erase(tx);
        }
      } else if (rest.starts_with("x/") || rest.starts_with("c/")) {
        const TxId tx = parse_tx_key(rest.substr(2));
        if (finished_.contains(tx) && !on_disk) rewrite_.insert(tx);
        if (!finished_.contains(tx) && on_disk) {  // an erase that failed: erased again
          ready_.persist.push_back(storage::Write::erase(std::string(full)));
        }
      } else if (rest.starts_with("k/")) {
        known_dirty_.insert(parse_node(rest.substr(2)));
      }
    }
    for (const TxId& tx : rewrite_) {
      const auto it = finished_.find(tx);
      if (it == finished_.end()) continue;
      if (prepared_.contains(tx)) {
        finished_.erase(it);  // prepared on disk: in doubt again, and asks
      } else {
        ready_.sync = true;  // a no vote may be answered from it
        ready_.persist.push_back(
            storage::Write::put(participant_key(it->second ? "c/" : "x/", tx_key(tx)), {}));
      }
    }
    rewrite_.clear();
  }

  // ---- inspection ----

  /// Transactions this participant voted yes on and has not heard the outcome of.
  std::size_t in_doubt() const { return prepared_.size(); }
  std::size_t waiting_for_app() const { return active_.size(); }
  /// Commit and abort records kept (above their coordinators' watermarks).
  std::size_t finished_records() const { return finished_.size(); }
  const ParticipantStats& stats() const { return stats_; }

 private:
  /// One message of a peer's frame.
  void handle(NodeId from, const Message& message) {
    if (const auto* p = std::get_if<Prepare>(&message)) {
      on_prepare(from, *p);
    } else if (const auto* d = std::get_if<Decision>(&message)) {
      on_decision(from, *d);
    } else if (const auto* pr = std::get_if<Progress>(&message)) {
      learn(from, pr->epoch, pr->watermark);
    } else if (const auto* l = std::get_if<Learned>(&message)) {
      on_learned(from, *l);
    } else if (const auto* q = std::get_if<Query>(&message)) {
      on_query(from, *q);
    } else if (const auto* a = std::get_if<Accepted>(&message); a && from_acceptor(from)) {
      if (Prepared* pr2 = recovering(a->tx)) {
        if (const std::optional<bool> outcome = pr2->recovery->on_accepted(from, *a, now_ms_)) {
          recovered(a->tx, *outcome, *outcome ? pr2->recovery->refused() : Refusals{});
        }
      }
    } else if (const auto* pm = std::get_if<Promise>(&message); pm && from_acceptor(from)) {
      if (Prepared* pr2 = recovering(pm->tx)) {
        if (auto accept = pr2->recovery->on_promise(from, *pm, now_ms_)) send_to_acceptors(*accept);
      }
    } else if (const auto* r = std::get_if<Refused>(&message); r && from_acceptor(from)) {
      if (Prepared* pr2 = recovering(r->tx)) pr2->recovery->on_refused(from, *r, now_ms_);
    } else {
      reject("a participant takes prepares and decisions only");
    }
  }

  struct Active {
    std::uint64_t since_ms = 0;
    std::vector<NodeId> participants;  // sorted
  };
  struct Prepared {
    std::uint64_t ask_at_ms = 0;
    std::uint64_t since_ms = 0;        // 0: restored at boot
    std::vector<NodeId> participants;  // sorted; Paxos Commit only
    Refusals refused;                  // the parts this participant refused
    // Paxos Commit: when to lead a recovery ballot (again; 0: from the next tick on), and it.
    std::uint64_t recover_at_ms = 0;
    std::optional<Recovery> recovery;
  };
  struct Known {
    std::uint64_t epoch = 0;
    std::uint64_t watermark = 0;
  };

  void on_prepare(NodeId from, const Prepare& p) {
    if (p.tx.coordinator != from || p.tx.epoch != p.epoch) {
      return reject("a prepare for a transaction not of its sender's current epoch");
    }
    learn(from, p.epoch, p.watermark);
    if (p.tx.number >= p.watermark + config_.window_max) {
      return reject("a prepare beyond the window of its coordinator");
    }
    std::vector<NodeId> acceptors = p.acceptors;
    std::sort(acceptors.begin(), acceptors.end());
    if (acceptors != config_.acceptors) {
      reject("a prepare from a coordinator with other acceptors (or the other mode): voted no");
      return send(from, Vote{p.tx, false});
    }
    std::vector<NodeId> participants;
    if (paxos_commit()) {
      participants = p.participants;
      std::sort(participants.begin(), participants.end());
      if (std::adjacent_find(participants.begin(), participants.end()) != participants.end() ||
          !std::binary_search(participants.begin(), participants.end(), config_.self)) {
        return reject("a prepare whose participants do not name this one exactly once");
      }
    }
    if (const auto it = prepared_.find(p.tx); it != prepared_.end()) {
      return send_yes(p.tx, it->second);  // the vote again
    }
    if (active_.contains(p.tx)) return;  // the app has not answered yet
    if (const auto it = finished_.find(p.tx); it != finished_.end()) {
      if (!it->second) send(from, Vote{p.tx, false});
      return;  // committed: the coordinator collects no more votes on it
    }
    if (decided(p.tx) && !CALM_TWO_PC_MUTANT(ghost_prepare_staged)) {
      return send(from, Vote{p.tx, false});  // not known, and decided: aborted, or done
    }
    // Counted only when all coordinators together could be at the bound: a Prepare is the hot
    // path, and the count walks this coordinator's open transactions.
    if (prepared_.size() + active_.size() >= config_.open_per_coordinator_max &&
        open_at(from) >= config_.open_per_coordinator_max) {
      reject("a prepare past open_per_coordinator_max: voted no");
      return send(from, Vote{p.tx, false});
    }
    std::vector<storage::Write> writes;  // kept only if prepare returns
    Refusals refused;
    AppWrites w = AppWrites::preparing(writes, refused, config_.limits.parts_max);
    const Stage stage = app_.prepare(p.tx, p.payload, w);
    ready_.persist.insert(ready_.persist.end(), std::make_move_iterator(writes.begin()),
                          std::make_move_iterator(writes.end()));
    switch (stage) {
      case Stage::yes:
        prepared(p.tx, std::move(participants), std::move(refused));
        break;
      case Stage::no:
        aborted(p.tx, /*by_app=*/true);
        break;
      case Stage::later:
        active_[p.tx] = {now_ms_, std::move(participants)};
        break;
    }
  }

  void on_decision(NodeId from, const Decision& d) {
    if (d.tx.coordinator != from || d.tx.epoch > d.epoch ||
        (d.tx.epoch == d.epoch && d.tx.number >= d.watermark + config_.window_max)) {
      return reject("a decision on a transaction its sender cannot have begun");
    }
    learn(from, d.epoch, d.watermark);
    if (outcome(d.tx, d.commit, d.refused)) send(from, Ack{d.tx});
  }

  /// A recovery leader's outcome.
  void on_learned(NodeId from, const Learned& l) {
    if (!paxos_commit()) return reject("a learned outcome without acceptors");
    // Heard only on what this participant holds (so that nobody can make it keep records of
    // transactions it never saw): one that reaches it later is decided by its own recovery.
    const std::vector<NodeId>* participants = nullptr;
    if (const auto it = prepared_.find(l.tx); it != prepared_.end()) {
      participants = &it->second.participants;
    } else if (const auto a = active_.find(l.tx); a != active_.end()) {
      participants = &a->second.participants;
    } else {
      return;
    }
    if (!std::binary_search(participants->begin(), participants->end(), from)) {
      return reject("a learned outcome from a node not in the transaction");
    }
    outcome(l.tx, l.commit, l.refused);
  }

  /// The outcome of `tx`, from its coordinator or a recovery leader (a commit with the parts
  /// refused); true when it is a commit this participant has (or had) on disk, to acknowledge.
  bool outcome(const TxId& tx, bool commit, Refusals refused = {}) {
    const auto ended = finished_.find(tx);
    if (commit) {
      if (active_.contains(tx) || (ended != finished_.end() && !ended->second)) {
        reject("a commit for a transaction this participant did not vote yes on");
        return false;
      }
      if (const auto node = prepared_.extract(tx); !node.empty()) {
        // A part refused here is never done here, whatever the commit says: it holds nothing
        // for it.
        if (!includes_refusals(refused, node.mapped().refused)) {
          reject("a commit that leaves out parts this participant refused");
          merge_refusals(refused, node.mapped().refused);
        }
        AppWrites w = AppWrites::committing(ready_.persist, refused);
        app_.commit(tx, w);
        ready_.persist.push_back(storage::Write::erase(participant_key("t/", tx_key(tx))));
        note_finished(tx, true, std::move(refused));
        // The ack depends on it: once every participant acked, the coordinator forgets.
        ready_.sync = ready_.sync || !CALM_TWO_PC_MUTANT(ack_before_commit_synced);
      }
      // Committed here already (its record kept, or passed by the watermark), so acked again.
      // Never prepared here and not passed: a commit this participant cannot have voted for.
      if (!decided(tx) && !finished_.contains(tx)) {
        reject("a commit for a transaction never prepared here");
        return false;
      }
      return true;
    }
    if (ended != finished_.end()) {
      if (ended->second) reject("an abort for a transaction committed here");
      return false;
    }
    if (active_.erase(tx) != 0) {
      AppWrites w(ready_.persist);
      app_.abort(tx, w);
      note_finished(tx, false);
    } else if (prepared_.contains(tx)) {
      decide_abort(tx);
    } else if (!decided(tx)) {
      // Never prepared here: remembered, so that a Prepare still on its way is refused.
      finished_[tx] = false;
      ready_.persist.push_back(storage::Write::put(participant_key("x/", tx_key(tx)), {}));
    }
    return false;
  }

  /// The coordinator decided abort on a transaction prepared here.
  void decide_abort(const TxId& tx) {
    prepared_.erase(tx);
    AppWrites w(ready_.persist);
    app_.abort(tx, w);
    ready_.persist.push_back(storage::Write::erase(participant_key("t/", tx_key(tx))));
    note_finished(tx, false);
  }

  void prepared(const TxId& tx, std::vector<NodeId> participants, Refusals refused) {
    ++stats_.prepared;
    // The record: empty for 2PC without refusals; else the participants (Paxos Commit's, for a
    // recovery; none under 2PC), then the refusals, so that the vote is the same after a
    // restart.
    std::string record;
    if (paxos_commit() || !refused.empty()) {
      net::codec::put_varint(record, participants.size());
      for (NodeId p : participants) net::codec::put_varint(record, p);
      put_refusals(record, refused);
    }
    Prepared& p = prepared_[tx];
    p.ask_at_ms = now_ms_ + config_.resend_ms;
    p.since_ms = now_ms_;
    p.participants = std::move(participants);
    p.refused = std::move(refused);
    p.recover_at_ms = now_ms_ + config_.recovery_ms;
    ready_.persist.push_back(
        storage::Write::put(participant_key("t/", tx_key(tx)), std::move(record)));
    ready_.sync = ready_.sync || !CALM_TWO_PC_MUTANT(vote_yes_before_sync);
    send_yes(tx, p);
  }

  /// The yes vote: to the coordinator (2PC), or to the acceptors at this participant's own
  /// round 0 (Paxos Commit).
  void send_yes(const TxId& tx, const Prepared& p) {
    if (!paxos_commit()) return send(tx.coordinator, Vote{tx, true, p.refused});
    send_to_acceptors(
        Accept{tx, Ballot{0, config_.self}, p.participants, {{config_.self, true, p.refused}}});
  }

  Prepared restored(std::string_view bytes) const {
    Prepared p;
    if (bytes.empty()) return p;  // 2PC's record, nothing refused
    net::codec::Reader in(bytes, "two-pc participant disk");
    // Paxos Commit's names the participants; 2PC's (refusals only) names none.
    for (std::uint64_t n = in.count(1, config_.limits.participants_max, "too many participants");
         n > 0; --n) {
      p.participants.push_back(in.varint());
    }
    if (in.remaining() > 0) p.refused = read_refusals(in, config_.limits.parts_max);
    in.expect_end();
    return p;
  }

  bool paxos_commit() const { return !config_.acceptors.empty(); }
  bool from_acceptor(NodeId node) const {
    return paxos_commit() &&
           std::binary_search(config_.acceptors.begin(), config_.acceptors.end(), node);
  }
  template <class M>
  void send_to_acceptors(const M& m) {
    const std::string bytes = encode_message(Message{m});
    for (NodeId a : config_.acceptors) ready_.send.push_back({a, bytes});
  }

  /// The transaction, if it is in doubt here and this participant leads a recovery ballot.
  Prepared* recovering(const TxId& tx) {
    const auto it = prepared_.find(tx);
    return it == prepared_.end() || !it->second.recovery ? nullptr : &it->second;
  }

  /// This participant's recovery ballot learned the outcome: applied here, and told to the
  /// other participants (each would otherwise learn it by its own recovery).
  void recovered(const TxId& tx, bool commit, Refusals refused) {
    const std::vector<NodeId> participants = prepared_.at(tx).participants;
    ++stats_.recovered;
    outcome(tx, commit, refused);
    const std::string bytes = encode_message(Message{Learned{tx, commit, std::move(refused)}});
    for (NodeId p : participants) {
      if (p != config_.self) ready_.send.push_back({p, bytes});
    }
  }

  /// An acceptor asks which of its transactions are over here: ended here, or passed by the
  /// coordinator's watermark and neither in doubt nor waiting (never to be prepared here).
  void on_query(NodeId from, const Query& q) {
    Done done;
    for (const TxId& tx : q.txs) {
      if (finished_.contains(tx) ||
          (decided(tx) && !prepared_.contains(tx) && !active_.contains(tx))) {
        done.txs.push_back(tx);
      }
    }
    if (done.txs.empty()) return;
    // Once every party said Done the acceptors let go, and nobody may lead a ballot on it
    // again: what made this one say so (its abort, the watermark it heard) must not be lost.
    ready_.sync = true;
    send(from, done);
  }

  /// Aborted on its own (the app said no, or did not answer in time): recorded and synced
  /// before the no vote leaves, so that this participant never votes yes on it later.
  void aborted(const TxId& tx, bool by_app) {
    if (!by_app) {
      AppWrites w(ready_.persist);
      app_.abort(tx, w);
    }
    note_finished(tx, false);
    ready_.sync = true;
    send(tx.coordinator, Vote{tx, false});
  }

  /// A transaction ended here: its outcome for the app, and a record of it while a Prepare
  /// for it may still come (above the coordinator's watermark).
  void note_finished(const TxId& tx, bool committed, Refusals refused = {}) {
    ++(committed ? stats_.committed : stats_.aborted);
    ready_.final.push_back({tx, committed, std::move(refused)});
    if (decided(tx)) return;  // below the watermark: refused without a record
    finished_[tx] = committed;
    ready_.persist.push_back(
        storage::Write::put(participant_key(committed ? "c/" : "x/", tx_key(tx)), {}));
  }

  /// Transactions of `coordinator` prepared here or waiting for the app, counted up to the
  /// bound (the bound keeps the count's work bounded too).
  std::size_t open_at(NodeId coordinator) const {
    std::size_t n = 0;
    for (auto it = prepared_.lower_bound(TxId{coordinator, 0, 0});
         it != prepared_.end() && it->first.coordinator == coordinator &&
         n < config_.open_per_coordinator_max;
         ++it) {
      ++n;
    }
    for (auto it = active_.lower_bound(TxId{coordinator, 0, 0});
         it != active_.end() && it->first.coordinator == coordinator &&
         n < config_.open_per_coordinator_max;
         ++it) {
      ++n;
    }
    return n;
  }

  /// Whether the coordinator said it no longer collects votes on `tx`.
  bool decided(const TxId& tx) const {
    const auto it = known_.find(tx.coordinator);
    if (it == known_.end()) return false;
    return tx.epoch < it->second.epoch ||
           (tx.epoch == it->second.epoch && tx.number < it->second.watermark);
  }

  /// What a coordinator said of its epoch and watermark; the records it passed are erased.
  void learn(NodeId coordinator, std::uint64_t epoch, std::uint64_t watermark) {
    Known& k = known_[coordinator];
    if (epoch < k.epoch || (epoch == k.epoch && watermark <= k.watermark)) return;
    k = {epoch, watermark};
    known_dirty_.insert(coordinator);
    auto it = finished_.lower_bound(TxId{coordinator, 0, 0});
    while (it != finished_.end() && it->first.coordinator == coordinator && decided(it->first)) {
      ready_.persist.push_back(
          storage::Write::erase(participant_key(it->second ? "c/" : "x/", tx_key(it->first))));
      it = finished_.erase(it);
    }
  }

  template <class M>
  void send(NodeId to, const M& m) {
    ready_.send.push_back({to, encode_message(Message{m})});
  }
  void reject(std::string why) {
    ++stats_.rejected_messages;
    ready_.rejected.push_back("two-pc participant: " + std::move(why));
  }

  static std::string node_key(NodeId node) {
    return tx_key({node, 0, 0}).substr(0, 16);  // the id's fixed-width hex
  }
  static NodeId parse_node(std::string_view hex) {
    return parse_tx_key(std::string(hex) + ".0000000000000000.0000000000000000").coordinator;
  }

  ParticipantConfig config_;
  App app_;
  std::uint64_t now_ms_ = 0;
  std::map<TxId, Active> active_;      // staged, the app's vote pending
  std::map<TxId, Prepared> prepared_;  // voted yes: in doubt until the decision
  std::map<TxId, bool> finished_;      // ended here (true: committed), above the watermark
  std::map<NodeId, Known> known_;
  std::set<NodeId> known_dirty_;  // known_ entries to write with the next batch
  std::set<TxId> rewrite_;
  host::Ready<Final> ready_;
  ParticipantStats stats_;
};

}  // namespace calm::protocols::two_pc
