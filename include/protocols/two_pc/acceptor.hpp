#pragma once
/// Paxos Commit's acceptor (Gray and Lamport), a sans-IO protocol for host::Host. Each
/// transaction has one single-decree Paxos instance per participant, whose value is that
/// participant's vote: prepared, or aborted. 2F+1 acceptors decide every instance, so the
/// outcome is decided while F+1 of them are up, whoever else is down for good.
///
///   Accept at round 0   a participant's own vote on its own instance (only it proposes at
///                       round 0): accepted unless a recovery leader's higher ballot was
///                       promised; Accepted goes to the transaction's coordinator, the learner
///   Claim               a recovery leader's phase 1 at round >= 1 on every instance: promised
///                       when no instance promised more, answered with what was accepted
///   Accept at round >= 1  the recovery leader's values for every instance
///   Query / Done        a record is erased once the coordinator and every participant said
///                       the transaction is over for them (none of them will propose on it
///                       again, so the promises kept for it protect nothing any more)
///
/// Everything an answer depends on is synced before it leaves (Ready::sync): a restarted
/// acceptor never goes back on a promise nor forgets what it accepted. Keys on disk (under
/// `disk_prefix`): r/<tx>, one record per transaction (each instance's promise, and what it
/// accepted: the vote and its refusals).
///
/// Bounds: at most `records_max` transactions are kept, and at most `refused_parts_max` refused
/// parts in all their accepted values; a transaction that would be one more, or an accept that
/// would pass the parts, is refused (no answer: for its participants as if this acceptor were
/// down). A coordinator
/// that never comes back never says Done: the records of the transactions it left open stay,
/// at most records_max of them (docs/two-pc.md).
#include <algorithm>
#include <cstdint>
#include <map>
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
#include "protocols/paxos/single_decree.hpp"
#include "protocols/two_pc/message.hpp"
#include "protocols/two_pc/mutants.hpp"

namespace calm::protocols::two_pc {

struct AcceptorConfig {
  NodeId self = 0;
  std::uint64_t tick_ms = 5;
  /// A record is asked about (Query) this long after it was last touched, and again every
  /// this long until it is erased.
  std::uint64_t query_ms = 500;
  std::size_t records_max = 1 << 16;
  /// Refused parts held in accepted values, in all records (4 bytes each in memory).
  std::size_t refused_parts_max = std::size_t{1} << 22;
  /// Put every message of a turn to one peer into one frame (a bundle, message.hpp): fewer
  /// frames under load, the same messages. Bundles are taken whether this is set or not.
  bool bundle_sends = false;
  DecodeLimits limits;
};

struct AcceptorStats {
  std::uint64_t promised = 0;
  std::uint64_t accepted = 0;
  std::uint64_t erased = 0;
  std::uint64_t rejected_messages = 0;
};

class Acceptor {
 public:
  using Final = host::NoFinal;
  static constexpr std::string_view disk_prefix = "2pc-a/";

  explicit Acceptor(AcceptorConfig config) : config_(std::move(config)) {
    CALM_ASSERT(config_.records_max > 0 && config_.query_ms > 0, "the bounds allow a record");
  }

  // ---- the host's protocol ----

  void restore(const std::string& key, std::string_view bytes) {
    if (!key.starts_with("r/")) throw lattices::DecodeError("two-pc acceptor: unknown key");
    const TxId tx = parse_tx_key(std::string_view(key).substr(2));
    replace_record(tx, decode_record(bytes));
  }

  void step(NodeId from, std::string_view bytes, const host::Input& input) {
    now_ms_ = input.now_ms;
    for_each_message(
        bytes, config_.limits, [this](std::string why) { reject(std::move(why)); },
        [&](const Message& message) { handle(from, message); });
  }

  void tick(const host::Input& input) {
    now_ms_ = input.now_ms;
    if (now_ms_ < scan_at_ms_) return;
    scan_at_ms_ = now_ms_ + std::max<std::uint64_t>(1, config_.query_ms / 4);
    std::map<NodeId, std::vector<TxId>> asks;
    for (auto& [tx, r] : records_) {
      if (now_ms_ < r.query_at_ms) continue;
      r.query_at_ms = now_ms_ + config_.query_ms;
      if (!r.done.contains(tx.coordinator)) asks[tx.coordinator].push_back(tx);
      for (NodeId p : r.participants) {
        if (!r.done.contains(p)) asks[p].push_back(tx);
      }
    }
    for (auto& [node, txs] : asks) {
      for (std::size_t i = 0; i < txs.size(); i += config_.limits.txs_max) {
        const std::size_t end = std::min(txs.size(), i + config_.limits.txs_max);
        Query q{std::vector<TxId>(txs.begin() + static_cast<std::ptrdiff_t>(i),
                                  txs.begin() + static_cast<std::ptrdiff_t>(end))};
        ready_.send.push_back({node, encode_message(Message{std::move(q)})});
      }
    }
  }

  std::uint64_t tick_delay_ms(bool) const { return config_.tick_ms; }

  host::Ready<Final> ready() {
    host::Ready<Final> out = std::move(ready_);
    ready_ = {};
    if (config_.bundle_sends) bundle_sends(out.send, config_.limits);
    return out;
  }

  std::uint64_t checkpoint() const { return 0; }

  /// A batch failed: its answers never left. Each record it touched is what the disk holds
  /// (gone if the disk has none: a promise that was never heard binds nothing).
  void rollback(std::uint64_t, std::span<const storage::Write> failed,
                const host::DurableRead& read) {
    for (const storage::Write& w : failed) {
      const std::string_view key = w.key;
      if (!key.starts_with(disk_prefix)) continue;
      const std::string rest(key.substr(disk_prefix.size()));
      const TxId tx = parse_tx_key(std::string_view(rest).substr(2));
      if (const auto bytes = read(key)) {
        replace_record(tx, decode_record(*bytes));
      } else if (const auto it = records_.find(tx); it != records_.end()) {
        refused_held_ -= refused_parts(it->second);
        records_.erase(it);
      }
    }
  }

  // ---- inspection ----

  std::size_t records() const { return records_.size(); }
  const AcceptorStats& stats() const { return stats_; }

 private:
  /// One message of a peer's frame.
  void handle(NodeId from, const Message& message) {
    if (const auto* a = std::get_if<Accept>(&message)) {
      on_accept(from, *a);
    } else if (const auto* c = std::get_if<Claim>(&message)) {
      on_claim(from, *c);
    } else if (const auto* d = std::get_if<Done>(&message)) {
      on_done(from, *d);
    } else {
      reject("an acceptor takes claims, accepts and dones only");
    }
  }

  using Slot = paxos::AcceptorSlot<VoteValue>;
  struct Record {
    std::vector<NodeId> participants;  // sorted
    std::map<NodeId, Slot> slots;      // one per participant
    std::set<NodeId> done;             // said Done (not on disk: asked again after a restart)
    std::uint64_t query_at_ms = 0;
  };

  /// The record of `tx`, made for `participants` if there is none; nullptr (and the message
  /// rejected) when the lists differ, or there is no room.
  Record* record(const TxId& tx, std::vector<NodeId> participants) {
    std::sort(participants.begin(), participants.end());
    if (participants.empty() ||
        std::adjacent_find(participants.begin(), participants.end()) != participants.end()) {
      reject("a transaction without participants, or with one named twice");
      return nullptr;
    }
    auto it = records_.find(tx);
    if (it != records_.end()) {
      if (it->second.participants != participants) {
        reject("a transaction's participants differ from those it was first heard with");
        return nullptr;
      }
      it->second.query_at_ms = now_ms_ + config_.query_ms;
      return &it->second;
    }
    if (records_.size() >= config_.records_max) {
      reject("records_max transactions kept: a new one refused");
      return nullptr;
    }
    Record& r = records_[tx];
    for (NodeId p : participants) r.slots[p] = {};
    r.participants = std::move(participants);
    r.query_at_ms = now_ms_ + config_.query_ms;
    return &r;
  }

  void on_accept(NodeId from, const Accept& a) {
    if (a.ballot.node != from) return reject("an accept at another node's ballot");
    if (a.ballot.round == 0) {
      // A participant's own vote, on its own instance only.
      if (a.values.size() != 1 || a.values[0].participant != from ||
          std::find(a.participants.begin(), a.participants.end(), from) == a.participants.end()) {
        return reject("a round-0 accept that is not its sender's own vote");
      }
      Record* r = record(a.tx, a.participants);
      if (r == nullptr) return;
      Slot& slot = r->slots.at(from);
      const VoteValue value = a.values[0].value();
      if (slot.accepted && slot.accepted->ballot == a.ballot && slot.accepted->value != value) {
        return reject("a second value at one ballot");
      }
      if (!slot.can_accept(a.ballot)) return;  // a recovery leader took over this instance
      if (slot.accepted != paxos::AcceptedValue<VoteValue>{a.ballot, value}) {
        if (!accept_values(*r, a.ballot, a.values)) return;
        ++stats_.accepted;
        persist(a.tx, *r);
      }
      send(a.tx.coordinator, Accepted{a.tx, a.ballot, a.values});
      return;
    }
    if (!covers_every_instance(a.participants, a.values)) {
      return reject("an accept that does not give every instance one value");
    }
    if (!may_lead(from, a.tx, a.participants)) {
      return reject("an accept at round >= 1 from a node not in the transaction");
    }
    Record* r = record(a.tx, a.participants);
    if (r == nullptr) return;
    for (const InstanceValue& v : a.values) {
      const Slot& slot = r->slots.at(v.participant);
      if (slot.accepted && slot.accepted->ballot == a.ballot && slot.accepted->value != v.value()) {
        return reject("a second value at one ballot");
      }
    }
    const Ballot promised = highest_promise(*r);
    if (a.ballot < promised && !CALM_TWO_PC_MUTANT(acceptor_ignores_promise)) {
      return send(from, Refused{a.tx, a.ballot, promised});
    }
    if (!accept_values(*r, a.ballot, a.values)) return;
    ++stats_.accepted;
    persist(a.tx, *r);
    send(from, Accepted{a.tx, a.ballot, a.values});
  }

  void on_claim(NodeId from, const Claim& c) {
    if (c.ballot.node != from || c.ballot.round == 0) {
      return reject("a claim at round 0 or at another node's ballot");
    }
    if (!may_lead(from, c.tx, c.participants)) {
      return reject("a claim from a node not in the transaction");
    }
    Record* r = record(c.tx, c.participants);
    if (r == nullptr) return;
    const Ballot promised = highest_promise(*r);
    // Promised only above what was promised: a ballot is never promised twice, so a leader
    // that restarted and claims a ballot it used before cannot give it a second value.
    if (c.ballot <= promised && !CALM_TWO_PC_MUTANT(acceptor_ignores_promise)) {
      return send(from, Refused{c.tx, c.ballot, promised});
    }
    for (auto& [p, slot] : r->slots) slot.promise(c.ballot);
    ++stats_.promised;
    persist(c.tx, *r);
    Promise answer{c.tx, c.ballot, {}};
    for (const auto& [p, slot] : r->slots) answer.instances.push_back({p, slot.accepted});
    send(from, std::move(answer));
  }

  void on_done(NodeId from, const Done& d) {
    for (const TxId& tx : d.txs) {
      const auto it = records_.find(tx);
      if (it == records_.end()) continue;
      Record& r = it->second;
      if (from != tx.coordinator &&
          !std::binary_search(r.participants.begin(), r.participants.end(), from)) {
        reject("a done from a node not in the transaction");
        continue;
      }
      r.done.insert(from);
      const bool coordinator_done = r.done.contains(tx.coordinator);
      const bool all_done = std::all_of(r.participants.begin(), r.participants.end(),
                                        [&](NodeId p) { return r.done.contains(p); });
      if (coordinator_done && all_done) {
        // Needs no sync: a record that comes back after a crash is asked about again.
        ready_.persist.push_back(storage::Write::erase(disk_key(tx)));
        refused_held_ -= refused_parts(r);
        records_.erase(it);
        ++stats_.erased;
      }
    }
  }

  /// Recovery ballots are led by the transaction's coordinator or one of its participants.
  static bool may_lead(NodeId from, const TxId& tx, const std::vector<NodeId>& participants) {
    return from == tx.coordinator ||
           std::find(participants.begin(), participants.end(), from) != participants.end();
  }

  static bool covers_every_instance(std::vector<NodeId> participants,
                                    const std::vector<InstanceValue>& values) {
    std::vector<NodeId> named;
    for (const InstanceValue& v : values) named.push_back(v.participant);
    std::sort(named.begin(), named.end());
    std::sort(participants.begin(), participants.end());
    return named == participants;
  }

  /// The highest ballot promised on any instance (the round-0 ballots a participant's vote
  /// was accepted at count for its instance only, and do not bar a recovery leader).
  static Ballot highest_promise(const Record& r) {
    Ballot b;
    for (const auto& [p, slot] : r.slots) {
      if (slot.promised.round > 0) b = std::max(b, slot.promised);
    }
    return b;
  }

  void persist(const TxId& tx, const Record& r) {
    std::string bytes;
    net::codec::put_varint(bytes, r.participants.size());
    for (const auto& [p, slot] : r.slots) {
      net::codec::put_varint(bytes, p);
      net::codec::put_varint(bytes, slot.promised.round);
      net::codec::put_varint(bytes, slot.promised.node);
      bytes.push_back(slot.accepted ? 1 : 0);
      if (slot.accepted) {
        net::codec::put_varint(bytes, slot.accepted->ballot.round);
        net::codec::put_varint(bytes, slot.accepted->ballot.node);
        bytes.push_back(slot.accepted->value.prepared ? 1 : 0);
        put_refusals(bytes, slot.accepted->value.refused);
      }
    }
    ready_.persist.push_back(storage::Write::put(disk_key(tx), std::move(bytes)));
    ready_.sync = ready_.sync || !CALM_TWO_PC_MUTANT(acceptor_not_synced);
  }

  Record decode_record(std::string_view bytes) const {
    net::codec::Reader in(bytes, "two-pc acceptor disk");
    Record r;
    for (std::uint64_t n = in.count(4, config_.limits.participants_max, "too many participants");
         n > 0; --n) {
      const NodeId p = in.varint();
      Slot slot;
      slot.promised = {in.varint(), in.varint()};
      const std::uint8_t has = in.u8();
      in.require(has <= 1, "a flag that is neither 0 nor 1");
      if (has == 1) {
        paxos::AcceptedValue<VoteValue> a;
        a.ballot = {in.varint(), in.varint()};
        const std::uint8_t v = in.u8();
        in.require(v <= 1, "a flag that is neither 0 nor 1");
        a.value.prepared = v == 1;
        a.value.refused = read_refusals(in, config_.limits.parts_max);
        slot.accepted = std::move(a);
      }
      in.require(r.participants.empty() || r.participants.back() < p, "participants unsorted");
      r.participants.push_back(p);
      r.slots[p] = slot;
    }
    in.expect_end();
    in.require(!r.participants.empty(), "a record without participants");
    r.query_at_ms = now_ms_ + config_.query_ms;
    return r;
  }

  /// Accepts `values` (one per instance of `r` they name) at `ballot`, unless the refused parts
  /// kept would pass refused_parts_max (then rejected, and nothing changes).
  bool accept_values(Record& r, const Ballot& ballot, const std::vector<InstanceValue>& values) {
    std::size_t adding = 0, dropping = 0;
    for (const InstanceValue& v : values) {
      adding += v.refused.size();
      dropping += refused_parts(r.slots.at(v.participant));
    }
    if (refused_held_ - dropping + adding > config_.refused_parts_max) {
      reject("refused_parts_max refused parts kept: an accept refused");
      return false;
    }
    refused_held_ = refused_held_ - dropping + adding;
    for (const InstanceValue& v : values) r.slots.at(v.participant).accept(ballot, v.value());
    return true;
  }
  static std::size_t refused_parts(const Slot& slot) {
    return slot.accepted ? slot.accepted->value.refused.size() : 0;
  }
  static std::size_t refused_parts(const Record& r) {
    std::size_t n = 0;
    for (const auto& [p, slot] : r.slots) n += refused_parts(slot);
    return n;
  }
  /// Puts `r` in place of what `tx` had, counting the parts.
  void replace_record(const TxId& tx, Record r) {
    Record& at = records_[tx];
    refused_held_ = refused_held_ - refused_parts(at) + refused_parts(r);
    at = std::move(r);
  }

  static std::string disk_key(const TxId& tx) {
    return std::string(disk_prefix) + "r/" + tx_key(tx);
  }

  template <class M>
  void send(NodeId to, M m) {
    ready_.send.push_back({to, encode_message(Message{std::move(m)})});
  }
  void reject(std::string why) {
    ++stats_.rejected_messages;
    ready_.rejected.push_back("two-pc acceptor: " + std::move(why));
  }

  AcceptorConfig config_;
  std::uint64_t now_ms_ = 0;
  std::uint64_t scan_at_ms_ = 0;
  std::map<TxId, Record> records_;
  std::size_t refused_held_ = 0;  // refused parts in every record's accepted values
  host::Ready<Final> ready_;
  AcceptorStats stats_;
};

}  // namespace calm::protocols::two_pc
