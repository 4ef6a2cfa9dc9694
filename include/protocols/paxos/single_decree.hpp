#pragma once
/// Single-decree Paxos, the core that Multi-Paxos repeats per slot and Paxos Commit runs per
/// participant: one acceptor's state for one instance, and the two rules a proposer follows.
///
///   phase 1  a proposer asks a majority to promise ballot b; an acceptor promises when it has
///            promised nothing higher, and answers with what it accepted (ballot and value)
///   phase 2  the proposer proposes the value of the highest ballot among those answers, or
///            its own when none had accepted anything; an acceptor accepts when it has
///            promised nothing higher than b
///   chosen   once a majority accepted the same ballot: no higher ballot can carry another
///            value, because its phase 1 meets one of that majority
///
/// No I/O here: the caller persists the slot (synced) before it answers anyone.
#include <compare>
#include <cstdint>
#include <optional>
#include <utility>

#include "protocols/net/transport.hpp"

namespace calm::protocols::paxos {

/// A ballot: a round, then the proposer's id to break ties; ordered lexicographically.
struct Ballot {
  std::uint64_t round = 0;
  net::NodeId node = 0;
  friend auto operator<=>(const Ballot&, const Ballot&) = default;
};

template <class V>
struct AcceptedValue {
  Ballot ballot;
  V value{};
  friend bool operator==(const AcceptedValue&, const AcceptedValue&) = default;
};

/// One acceptor's state for one instance.
template <class V>
struct AcceptorSlot {
  Ballot promised;
  std::optional<AcceptedValue<V>> accepted;

  /// Phase 1: whether ballot `b` may be promised (nothing higher promised).
  bool can_promise(const Ballot& b) const { return b >= promised; }
  /// Phase 2: whether a proposal at `b` may be accepted.
  bool can_accept(const Ballot& b) const { return b >= promised; }

  void promise(const Ballot& b) {
    if (b > promised) promised = b;
  }
  void accept(const Ballot& b, V value) {
    promise(b);
    accepted = AcceptedValue<V>{b, std::move(value)};
  }
  friend bool operator==(const AcceptorSlot&, const AcceptorSlot&) = default;
};

/// The proposer's rule after phase 1: the value of the highest ballot among the acceptances
/// a majority reported (folded one answer at a time), or the proposer's own value when none.
template <class V>
class ValuePicker {
 public:
  void see(const std::optional<AcceptedValue<V>>& reported) {
    if (reported && (!best_ || reported->ballot > best_->ballot)) best_ = reported;
  }
  V pick(V own) const { return best_ ? best_->value : std::move(own); }

 private:
  std::optional<AcceptedValue<V>> best_;
};

}  // namespace calm::protocols::paxos
