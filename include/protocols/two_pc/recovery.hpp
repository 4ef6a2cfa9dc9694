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
///   learned   once a majority accepted that ballot: commit when every instance is prepared
///
/// A Refused names a higher promise: the leader retries above it after `retry_ms` (the owner
/// calls `retry`), so two leaders that collide move apart. Sans-IO: the owner sends what the
/// calls return and routes the acceptors' answers here.
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

  /// Phase 1 at the next round above every ballot seen; the Claim to send to every acceptor.
  Claim retry() {
    ballot_ = {std::max(ballot_.round, seen_round_) + 1, self_};
    promised_by_.clear();
    accepted_by_.clear();
    pickers_.clear();
    values_.clear();
    return Claim{tx_, ballot_, participants_};
  }

  /// Phase 2's Accept (to every acceptor) once a majority promised; the same again for a
  /// promise after that (the acceptors that missed it hear it again).
  std::optional<Accept> on_promise(NodeId from, const Promise& p) {
    if (p.ballot != ballot_) return std::nullopt;
    if (!values_.empty()) return Accept{tx_, ballot_, participants_, values_};
    if (p.instances.size() != participants_.size()) return std::nullopt;
    for (const InstanceState& i : p.instances) {
      if (!std::binary_search(participants_.begin(), participants_.end(), i.participant)) {
        return std::nullopt;
      }
    }
    if (!promised_by_.insert(from).second) return std::nullopt;
    for (const InstanceState& i : p.instances) {
      if (i.accepted) seen_round_ = std::max(seen_round_, i.accepted->ballot.round);
      if (!CALM_TWO_PC_MUTANT(recovery_ignores_accepted)) pickers_[i.participant].see(i.accepted);
    }
    if (promised_by_.size() < majority_) return std::nullopt;
    for (NodeId q : participants_) values_.push_back({q, pickers_[q].pick(false)});
    return Accept{tx_, ballot_, participants_, values_};
  }

  /// The outcome (true: commit) once a majority accepted this ballot.
  std::optional<bool> on_accepted(NodeId from, const Accepted& a) {
    if (a.ballot != ballot_ || values_.empty() || a.values != values_) return std::nullopt;
    accepted_by_.insert(from);
    if (accepted_by_.size() < majority_) return std::nullopt;
    return std::all_of(values_.begin(), values_.end(),
                       [](const InstanceValue& v) { return v.prepared; });
  }

  void on_refused(const Refused& r) {
    if (r.ballot == ballot_) seen_round_ = std::max(seen_round_, r.promised.round);
  }

 private:
  TxId tx_;
  std::vector<NodeId> participants_;
  NodeId self_;
  std::size_t majority_;
  Ballot ballot_;
  std::uint64_t seen_round_ = 0;
  std::set<NodeId> promised_by_, accepted_by_;
  std::map<NodeId, paxos::ValuePicker<bool>> pickers_;
  std::vector<InstanceValue> values_;  // phase 2's, once picked
};

}  // namespace calm::protocols::two_pc
