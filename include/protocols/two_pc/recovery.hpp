#pragma once
/// Paxos Commit's recovery leader for one transaction: a coordinator whose votes are late, or
/// a participant left in doubt, learns the outcome from the acceptors (acceptor.hpp) without
/// the coordinator, and decides it where nothing was decided yet.
///
///   phase 1   Claim every instance at a ballot of round >= 1 (round 0 is each participant's
///             own); a majority of acceptors promise and report what they accepted
///   phase 2   each instance gets the value of the highest ballot reported, or aborted where
///             none was (a participant whose vote no majority accepted may not have voted yes:
///             aborting it is always safe); Accept goes to every acceptor
///   learned   once a majority accepted that ballot: commit when every instance is prepared,
///             with every part any of them refused
///
/// The owner calls `tick` every turn; it starts the first ballot, and a higher one when this
/// one was refused (a Refused names a higher promise) or heard nothing new for a while: the
/// wait doubles per attempt (to at most 4 times `retry_ms`) plus a jitter of the leader's
/// own, so two leaders that collide move apart; and it is never shorter than twice the
/// slowest answer the leader has had (an answer to an abandoned ballot still teaches how slow
/// the acceptors are), so a slow network or slow disks still complete a ballot.
/// A ballot is never reused: an acceptor promises a Claim only above what it promised (so a
/// leader that restarted and starts again at round 1 is refused, and moves above). Sans-IO:
/// the owner sends what the calls return and routes the acceptors' answers here.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "protocols/paxos/single_decree.hpp"
#include "protocols/two_pc/message.hpp"
#include "protocols/two_pc/mutants.hpp"

namespace calm::protocols::two_pc {

class Recovery {
 public:
  /// `participants` sorted, without duplicates.
  Recovery(TxId tx, std::vector<NodeId> participants, NodeId self, std::size_t acceptors)
      : tx_(tx),
        participants_(std::move(participants)),
        self_(self),
        majority_(acceptors / 2 + 1) {}

  const TxId& tx() const { return tx_; }
  const Ballot& ballot() const { return ballot_; }

  /// The Claim of a new ballot to send to every acceptor, when one is due (see above).
  std::optional<Claim> tick(std::uint64_t now_ms, std::uint64_t retry_ms) {
    if (attempts_ > 0 && now_ms < next_check_ms_) return std::nullopt;
    if (attempts_ > 0 && progressed_ && !refused_) {  // still moving: wait again
      progressed_ = false;
      next_check_ms_ = now_ms + wait_ms(retry_ms);
      return std::nullopt;
    }
    ++attempts_;
    Claim claim = retry();
    next_check_ms_ = now_ms + wait_ms(retry_ms);
    sent_ms_[ballot_.round] = now_ms;
    if (sent_ms_.size() > sent_kept) sent_ms_.erase(sent_ms_.begin());
    return claim;
  }

  /// Phase 1 at the next round above every ballot seen; the Claim to send to every acceptor.
  Claim retry() {
    ballot_ = {std::max(ballot_.round, seen_round_) + 1, self_};
    progressed_ = refused_ = false;
    promised_by_.clear();
    accepted_by_.clear();
    pickers_.clear();
    values_.clear();
    return Claim{tx_, ballot_, participants_};
  }

  /// Phase 2's Accept (to every acceptor) once a majority promised; the same again for a
  /// promise after that (the acceptors that missed it hear it again).
  std::optional<Accept> on_promise(NodeId from, const Promise& p, std::uint64_t now_ms) {
    heard(p.ballot, now_ms);
    if (p.ballot != ballot_) return std::nullopt;
    if (!values_.empty()) return Accept{tx_, ballot_, participants_, values_};
    if (p.instances.size() != participants_.size()) return std::nullopt;
    for (const InstanceState& i : p.instances) {
      if (!std::binary_search(participants_.begin(), participants_.end(), i.participant)) {
        return std::nullopt;
      }
    }
    if (!promised_by_.insert(from).second) return std::nullopt;
    progressed_ = true;
    for (const InstanceState& i : p.instances) {
      if (i.accepted) seen_round_ = std::max(seen_round_, i.accepted->ballot.round);
      if (!CALM_TWO_PC_MUTANT(recovery_ignores_accepted)) pickers_[i.participant].see(i.accepted);
    }
    if (promised_by_.size() < majority_) return std::nullopt;
    for (NodeId q : participants_) {
      VoteValue v = pickers_[q].pick(VoteValue{});  // none accepted: aborted
      values_.push_back({q, v.prepared, std::move(v.refused)});
    }
    return Accept{tx_, ballot_, participants_, values_};
  }

  /// Every part refused by the instances of this ballot's values (a commit's refusals).
  Refusals refused() const {
    Refusals all;
    for (const InstanceValue& v : values_) merge_refusals(all, v.refused);
    return all;
  }

  /// The outcome (true: commit) once a majority accepted this ballot.
  std::optional<bool> on_accepted(NodeId from, const Accepted& a, std::uint64_t now_ms) {
    heard(a.ballot, now_ms);
    if (a.ballot != ballot_ || values_.empty() || a.values != values_) return std::nullopt;
    if (accepted_by_.insert(from).second) progressed_ = true;
    if (accepted_by_.size() < majority_) return std::nullopt;
    return std::all_of(values_.begin(), values_.end(),
                       [](const InstanceValue& v) { return v.prepared; });
  }

  /// A refusal: above this ballot, or at it from an acceptor that did not promise it to this
  /// leader (a promise it made to this leader before a restart).
  void on_refused(NodeId from, const Refused& r, std::uint64_t now_ms) {
    heard(r.ballot, now_ms);
    if (r.ballot != ballot_) return;  // an old ballot's
    if (r.promised < ballot_ || (r.promised == ballot_ && promised_by_.contains(from))) return;
    seen_round_ = std::max(seen_round_, r.promised.round);
    refused_ = true;
  }

 private:
  TxId tx_;
  std::vector<NodeId> participants_;
  NodeId self_;
  std::size_t majority_;
  Ballot ballot_;
  std::uint64_t seen_round_ = 0;
  std::set<NodeId> promised_by_, accepted_by_;
  std::map<NodeId, paxos::ValuePicker<VoteValue>> pickers_;
  std::vector<InstanceValue> values_;  // phase 2's, once picked
  std::uint64_t attempts_ = 0;
  std::uint64_t next_check_ms_ = 0;
  bool progressed_ = false, refused_ = false;
  // When this leader's last ballots were claimed (round -> ms), and its slowest answer.
  static constexpr std::size_t sent_kept = 8;
  std::map<std::uint64_t, std::uint64_t> sent_ms_;
  std::uint64_t slowest_ms_ = 0;

  void heard(const Ballot& b, std::uint64_t now_ms) {
    const auto it = sent_ms_.find(b.round);
    if (b.node != self_ || it == sent_ms_.end() || now_ms < it->second) return;
    slowest_ms_ = std::max(slowest_ms_, now_ms - it->second);
  }

  static constexpr std::uint64_t slowest_bound_ms = 60'000;  // keeps the wait finite
  std::uint64_t wait_ms(std::uint64_t retry_ms) const {
    const std::uint64_t backoff = retry_ms << std::min<std::uint64_t>(attempts_ - 1, 2);
    // The leader's own jitter: fixed per (leader, transaction, attempt), below retry_ms.
    const std::uint64_t mix =
        (self_ + 1) * 0x9e3779b97f4a7c15ull ^ (tx_.number + attempts_) * 0xbf58476d1ce4e5b9ull;
    const std::uint64_t jitter = retry_ms == 0 ? 0 : (mix >> 17) % retry_ms;
    return std::max(backoff, 2 * std::min(slowest_ms_, slowest_bound_ms)) + jitter;
  }
};

}  // namespace calm::protocols::two_pc
