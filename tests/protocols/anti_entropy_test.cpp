// Delta anti-entropy, as a specification: the sans-IO replica wired by hand for the exact
// message-level behaviours (BP, RR, splitting, rejection, acks, what a turn persists), on the
// protocol host for what a write that fails leaves behind, and on the simulator for
// convergence under faults, partitions and crashes, for every CRDT family.
#include <gtest/gtest.h>

#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattices/aw_set.hpp"
#include "lattices/g_counter.hpp"
#include "lattices/lww_register.hpp"
#include "lattices/or_map.hpp"
#include "lattices/pn_counter.hpp"
#include "lattices/serialize.hpp"
#include "protocols/anti_entropy/node.hpp"
#include "protocols/anti_entropy/replica.hpp"
#include "protocols/net/simulator.hpp"
#include "protocols/storage/lattice_merge.hpp"
#include "protocols/storage/memory_disk.hpp"
#include "scripted_transport.hpp"

namespace calm::protocols::anti_entropy {
namespace {

using Set = lattices::AWSet<std::uint64_t>;

Config config_for(NodeId self, std::vector<NodeId> peers) {
  Config c;
  c.self = self;
  c.incarnation = 1000 + self;
  c.peers = std::move(peers);
  c.fanout = 8;
  return c;
}

host::Input at_ms(std::uint64_t now_ms) {
  host::Input in;
  in.now_ms = now_ms;
  return in;
}
host::Input at_wall_ms(std::uint64_t wall_ms) {
  host::Input in;
  in.wall_ms = wall_ms;
  return in;
}
host::Input proving(std::uint64_t incarnation) {
  host::Input in;
  in.proven_incarnation = incarnation;
  return in;
}

/// Replicas connected by a perfect wire that the test drives step by step. After each input
/// to a replica the wire does what its host would: takes `ready()`, writes the batch to the
/// replica's disk (a MemoryDisk that folds the operands with L's join), then routes the sends.
template <class L>
struct Wire {
  std::map<NodeId, std::unique_ptr<Replica<L>>> replicas;
  /// Each replica's disk; it outlives the replica (`add` again under the same id: a restart).
  std::map<NodeId, std::unique_ptr<storage::MemoryDisk>> disks;
  std::deque<std::pair<NodeId, Outgoing>> in_flight;
  std::vector<std::pair<NodeId, Outgoing>> sent;  // every message, in order
  std::uint64_t now_ms = 0;

  Replica<L>& add(Config c) {
    const NodeId id = c.self;
    replicas[id] = std::make_unique<Replica<L>>(std::move(c));
    if (!disks.contains(id)) {
      disks[id] = std::make_unique<storage::MemoryDisk>(&storage::lattice_merge<L>);
    }
    return *replicas[id];
  }
  /// A restart that keeps the disk: a new replica that restores what the disk holds.
  Replica<L>& restart(Config c) {
    const NodeId id = c.self;
    Replica<L>& r = add(std::move(c));
    restore(r, *disks.at(id));
    return r;
  }
  static void restore(Replica<L>& r, const storage::Disk& disk) {
    const std::string_view prefix = Replica<L>::disk_prefix;
    disk.scan(prefix, [&](std::string_view key, std::string_view value) {
      r.restore(std::string(key.substr(prefix.size())), value);
      return true;
    });
  }
  Replica<L>& operator[](NodeId id) { return *replicas.at(id); }
  /// The end of a turn at `id`: the batch, then the sends. Returns the Ready.
  typename Replica<L>::Ready flush(NodeId id) {
    typename Replica<L>::Ready ready = replicas.at(id)->ready();
    if (!ready.persist.empty()) {
      disks.at(id)->write(ready.persist, ready.sync ? storage::Sync::yes : storage::Sync::no);
    } else if (ready.sync) {
      disks.at(id)->sync();
    }
    for (const Outgoing& out : ready.send) {
      sent.emplace_back(id, out);
      in_flight.emplace_back(id, out);
    }
    return ready;
  }
  /// Delivers every message in flight, and what they cause, until none is left.
  void drain() {
    while (!in_flight.empty()) {
      auto [from, out] = std::move(in_flight.front());
      in_flight.pop_front();
      auto it = replicas.find(out.to);
      if (it == replicas.end()) continue;
      it->second->step(from, out.bytes, at_ms(now_ms));
      flush(out.to);
    }
  }
  /// A gossip round at `id` (the clock moves one interval), not delivered yet.
  typename Replica<L>::Ready tick(NodeId id) {
    now_ms += 1000;
    replicas.at(id)->tick(at_ms(now_ms));
    return flush(id);
  }
  /// One gossip round at `id`, then everything it causes.
  void round(NodeId id) {
    tick(id);
    drain();
  }
  void round_all() {
    for (auto& entry : replicas) round(entry.first);
  }
  /// The Delta messages from `from` to `to` sent since `since`, decoded.
  std::vector<DeltaMessage> deltas(NodeId from, NodeId to, std::size_t since = 0) const {
    std::vector<DeltaMessage> out;
    for (std::size_t i = since; i < sent.size(); ++i) {
      if (sent[i].first != from || sent[i].second.to != to) continue;
      Message m = decode_message(sent[i].second.bytes, DecodeLimits{1 << 24});
      if (auto* d = std::get_if<DeltaMessage>(&m)) out.push_back(std::move(*d));
    }
    return out;
  }
};

Set::id_type writer(NodeId id) { return 100 + id; }

/// Three replicas that have exchanged their (empty) states, so every peer is acknowledged.
Wire<Set> synced_three(bool bp = true, bool rr = true) {
  Wire<Set> w;
  for (NodeId id = 0; id < 3; ++id) {
    std::vector<NodeId> peers;
    for (NodeId p = 0; p < 3; ++p) {
      if (p != id) peers.push_back(p);
    }
    Config c = config_for(id, peers);
    c.avoid_back_propagation = bp;
    c.remove_redundant = rr;
    // BP+ strips what BP and RR tests look for; those tests isolate one of the two.
    c.skip_what_the_peer_sent = bp && rr;
    w.add(c);
  }
  w.round_all();
  return w;
}

/// A local write at `at` in a turn of its own.
void add(Wire<Set>& w, NodeId at, std::uint64_t x, const std::string& key = "k") {
  w[at].update(key, [&](Set& s) { return s.add(writer(at), x); });
  w.flush(at);
}

/// Replica 0 holding `elements` elements of one set under "k", which take several frames of
/// `frame_bytes` to send, and replica 1, empty. Returns the set.
Set with_large_state(Wire<Set>& w, Config c, std::uint64_t elements, std::size_t frame_bytes) {
  Set big;
  for (std::uint64_t x = 0; x < elements; ++x) big.add(writer(0), x);
  c.message_bytes_max = frame_bytes;
  w.add(std::move(c)).restore("k", lattices::to_bytes(big));
  w.add(config_for(1, {0}));
  return big;
}

// ---- acknowledgements and the buffer -----------------------------------------------------

TEST(AntiEntropy, AWriteReachesEveryPeerAndIsAcknowledged) {
  Wire<Set> w = synced_three();
  add(w, 0, 7);
  w.round(0);
  EXPECT_TRUE(w[1].get("k").contains(7));
  EXPECT_TRUE(w[2].get("k").contains(7));
  EXPECT_EQ(w[0].peers_holding(w[0].last_seq()), 2u);
}

TEST(AntiEntropy, DeltasEveryPeerAcknowledgedAreCollected) {
  Wire<Set> w = synced_three();
  add(w, 0, 1);
  add(w, 0, 2);
  EXPECT_EQ(w[0].buffered_entries(), 2u);
  w.round(0);
  EXPECT_EQ(w[0].buffered_entries(), 0u);
}

TEST(AntiEntropy, SyncedReplicasSendNothing) {
  Wire<Set> w = synced_three();
  const std::size_t before = w.sent.size();
  w.round_all();
  EXPECT_EQ(w.sent.size(), before);
}

TEST(AntiEntropy, AckFromAPreviousIncarnationIsIgnored) {
  Wire<Set> w;
  w.add(config_for(0, {1}));
  w.add(config_for(1, {0}));
  add(w, 0, 5);
  w.tick(0);
  // Replica 0 restarts (same id, new incarnation) before the ack arrives.
  Config reborn = config_for(0, {1});
  reborn.incarnation = 77;
  w.add(reborn);
  w.drain();
  EXPECT_EQ(w[0].peers_holding(0), 0u);
}

TEST(AntiEntropy, APeerBehindTheBufferGetsTheFullState) {
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.buffer_entries_max = 4;
  w.add(c);
  w.add(config_for(1, {0}));
  w.round_all();
  for (std::uint64_t x = 0; x < 10; ++x) add(w, 0, x);  // 1 never hears of these yet
  EXPECT_EQ(w[0].buffered_entries(), 4u);
  const std::uint64_t full_before = w[0].stats().full_state_intervals;
  w.round(0);
  EXPECT_EQ(w[0].stats().full_state_intervals, full_before + 1);
  EXPECT_EQ(w[1].state(), w[0].state());
}

TEST(AntiEntropy, ARestartedReplicaSendsWritesItHadNotGossiped) {
  Wire<Set> w;
  w.add(config_for(0, {1}));
  w.add(config_for(1, {0}));
  w.round_all();
  add(w, 0, 9);
  // Crash before any gossip; the delta buffer is lost, the disk (its batch) is not.
  Config reborn = config_for(0, {1});
  reborn.incarnation = 5000;
  EXPECT_TRUE(w.restart(reborn).get("k").contains(9));
  w.round(0);
  EXPECT_TRUE(w[1].get("k").contains(9));
}

TEST(AntiEntropy, APeerThatRestartedEmptyIsResynced) {
  Wire<Set> w = synced_three();
  add(w, 0, 1);
  add(w, 1, 2);
  w.round_all();
  Config reborn = config_for(2, {0, 1});
  reborn.incarnation = 9999;
  w.add(reborn);  // amnesia: an empty replica under the same id
  w.round(2);     // announces its new incarnation to 0 and 1
  w.round(0);
  EXPECT_EQ(w[2].state(), w[0].state());
  EXPECT_GT(w[0].stats().peer_resets, 0u);
}

// ---- BP and RR ---------------------------------------------------------------------------

TEST(AntiEntropy, PeersOfOneRoundShareAnIntervalOnlyFromTheSameAck) {
  // A star (the leaves do not relay to each other), so that what 0 sends 2 is all 2 gets. Peer
  // 1 acknowledges each round; the first round's frames to 2 are lost, so in the third round
  // 1 needs (2, 3] and 2 needs (1, 3]. Whichever peer the round takes first, 2 gets seq 2.
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    Wire<Set> w;
    Config hub = config_for(0, {1, 2});
    hub.seed = seed;
    w.add(hub);
    w.add(config_for(1, {0}));
    w.add(config_for(2, {0}));
    w.round_all();
    add(w, 0, 1);
    w.tick(0);
    std::erase_if(w.in_flight, [](const auto& m) { return m.second.to == 2; });
    w.drain();
    add(w, 0, 2);
    w.round(0);  // 1 gets (1, 2]; 2 gets (0, 1] again
    add(w, 0, 3);
    w.round(0);
    EXPECT_EQ(w[2].get("k"), w[0].get("k")) << "seed " << seed;
    EXPECT_EQ(w[1].get("k"), w[0].get("k")) << "seed " << seed;
  }
}

TEST(AntiEntropy, BpNeverSendsADeltaBackToWhereItCameFrom) {
  Wire<Set> w = synced_three();
  add(w, 0, 7);
  w.round(0);
  const std::size_t mark = w.sent.size();
  w.round(1);
  w.round(2);
  EXPECT_TRUE(w.deltas(1, 0, mark).empty());
  EXPECT_TRUE(w.deltas(2, 0, mark).empty());
  EXPECT_GT(w[1].stats().back_propagations_avoided, 0u);
}

TEST(AntiEntropy, BpLeavesOutWhatThePeerItselfSentUsWhoeverSentItFirst) {
  Wire<Set> w = synced_three();
  add(w, 0, 5);
  w.round(0);  // 1 and 2 get the add from 0
  w.round(1);  // 1 forwards it to 2 (its origin is 0, not 2), which already has it
  const std::size_t since = w.sent.size();
  w.round(2);  // 2's buffered copy came from 0, but 1 sent it too: nothing goes to 1
  EXPECT_TRUE(w.deltas(2, 1, since).empty());
  EXPECT_GE(w[2].stats().heard_entries_stripped, 1u);
  EXPECT_EQ(w[2].peers_holding(w[2].last_seq()), 2u);
  EXPECT_TRUE(w[1].get("k").contains(5));
}

TEST(AntiEntropy, WithoutBpADeltaGoesBackToItsOrigin) {
  Wire<Set> w = synced_three(/*bp=*/false);
  add(w, 0, 7);
  w.round(0);
  const std::size_t mark = w.sent.size();
  w.round(1);
  EXPECT_FALSE(w.deltas(1, 0, mark).empty());
}

/// 0 adds x (reaching 1 and 2), then 1 adds y and sends {x, y} to 2, which knew x already.
/// What 2 then forwards to 0 says whether RR stripped x.
Set forwarded_after_redundant_delta(bool rr) {
  Wire<Set> w = synced_three(true, rr);
  add(w, 0, 1);  // x
  w.round(0);
  // 1 has not acknowledged-back anything of its own yet: its interval to 2 holds x and y.
  add(w, 1, 2);  // y
  w.round(1);
  const std::size_t mark = w.sent.size();
  w.round(2);
  Set forwarded;
  for (const DeltaMessage& d : w.deltas(2, 0, mark)) {
    for (const Entry& e : d.entries) forwarded.merge(lattices::from_bytes<Set>(e.value));
  }
  return forwarded;
}

TEST(AntiEntropy, RrStripsAtomsTheReceiverAlreadyHad) {
  const Set forwarded = forwarded_after_redundant_delta(true);
  EXPECT_TRUE(forwarded.contains(2));
  EXPECT_FALSE(forwarded.contains(1));
}

TEST(AntiEntropy, WithoutRrKnownAtomsAreForwardedAgain) {
  const Set forwarded = forwarded_after_redundant_delta(false);
  EXPECT_TRUE(forwarded.contains(2));
  EXPECT_TRUE(forwarded.contains(1));
}

// ---- bounded messages --------------------------------------------------------------------

TEST(AntiEntropy, ALargeStateIsSplitIntoMessagesWithinTheByteBound) {
  Wire<Set> w;
  // 3,000 elements, several dozen frames of 4 KiB: the sanitizer build runs this too.
  const Set big = with_large_state(w, config_for(0, {1}), 3000, 4096);
  for (int round = 0; round < 10 && !(w[1].state() == w[0].state()); ++round) w.round(0);
  EXPECT_EQ(w[1].get("k"), big);
  std::size_t frames = 0;
  for (const auto& [from, out] : w.sent) {
    if (from != 0) continue;
    ++frames;
    EXPECT_LE(out.bytes.size(), 4096u);
  }
  EXPECT_GT(frames, 10u);
}

TEST(AntiEntropy, ManySmallKeysArePackedIntoFramesWithinTheByteBound) {
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.message_bytes_max = 1000;
  Replica<Set>& r = w.add(c);
  for (std::uint64_t k = 0; k < 300; ++k) add(w, 0, k, "key-" + std::to_string(k));
  w.add(config_for(1, {0}));
  w.round(0);
  EXPECT_EQ(w[1].state(), r.state());
  const auto frames = w.deltas(0, 1);
  EXPECT_GT(frames.size(), 5u);
  for (const auto& [from, out] : w.sent) {
    if (from == 0) {
      EXPECT_LE(out.bytes.size(), 1000u);
    }
  }
}

TEST(AntiEntropy, AnAtomTooLargeForOneMessageIsRefused) {
  using Reg = lattices::LWWRegister<std::string>;
  Config c = config_for(0, {1});
  c.message_bytes_max = 1024;
  Replica<Reg> r(c);
  EXPECT_THROW(r.update("k",
                        [](Reg& v) {
                          return v.write(1, std::string(2000, 'x'), {1, 0});
                        }),
               std::length_error);
  EXPECT_NO_THROW(r.update("k", [](Reg& v) { return v.write(1, std::string(500, 'x'), {2, 0}); }));
}

/// A ReplicaNode on the protocol host, over a scripted transport and a MemoryDisk.
template <class L>
struct HostedReplica : testing::Hosted<ReplicaNode<L>> {
  explicit HostedReplica(Config c, host::HostOptions options = {})
      : testing::Hosted<ReplicaNode<L>>(c.self, ReplicaNode<L>::merge_function()) {
    this->boot([&](const net::NodeContext& node_context) {
      return std::make_unique<ReplicaNode<L>>(node_context, c, options);
    });
  }
  ReplicaNode<L>& host() { return *this->node; }
  Replica<L>& replica() { return this->node->replica(); }
  std::optional<L> on_disk(const std::string& key) const {
    auto bytes = this->disk.get(std::string(Replica<L>::disk_prefix) + key);
    return bytes ? std::optional<L>(lattices::from_bytes<L>(*bytes)) : std::nullopt;
  }
};

TEST(AntiEntropyOnTheHost, AnUpdateWhoseDeltaCannotBeSentChangesNothing) {
  using Reg = lattices::LWWRegister<std::string>;
  Config c = config_for(0, {1});
  c.message_bytes_max = 1024;
  HostedReplica<Reg> h(c);
  h.host().update("k", [](Reg& v) { return v.write(1, std::string(500, 'x'), {2, 0}); });
  h.transport.end_turn();
  const Reg before = h.replica().get("k");
  const std::uint64_t seq = h.replica().last_seq();
  ASSERT_EQ(h.on_disk("k"), before);
  // The mutator writes in place, then the delta turns out not to fit in a message.
  EXPECT_THROW(h.host().update("k",
                               [](Reg& v) {
                                 return v.write(1, std::string(2000, 'y'), {3, 0});
                               }),
               std::length_error);
  h.transport.end_turn();
  EXPECT_EQ(h.replica().get("k"), before);
  EXPECT_EQ(h.replica().last_seq(), seq);
  EXPECT_EQ(h.on_disk("k"), before);
  EXPECT_THROW(h.host().update("new",
                               [](Reg& v) {
                                 return v.write(1, std::string(2000, 'y'), {3, 0});
                               }),
               std::length_error);
  h.transport.end_turn();
  EXPECT_EQ(h.replica().state().count("new"), 0u);
  EXPECT_EQ(h.on_disk("new"), std::nullopt);
  EXPECT_EQ(h.replica().last_seq(), seq);
  EXPECT_TRUE(h.transport.sent.empty());
  EXPECT_EQ(h.host().batches_failed(), 0u);
}

TEST(AntiEntropyOnTheHost, AnUpdateWhoseMutatorThrowsChangesNothing) {
  HostedReplica<Set> h(config_for(0, {1}));
  h.host().update("k", [](Set& s) { return s.add(writer(0), 1); });
  h.transport.end_turn();
  const Set before = h.replica().get("k");
  EXPECT_THROW(h.host().update("k",
                               [](Set& s) -> Set {
                                 s.add(writer(0), 2);
                                 throw std::runtime_error("mutator failed halfway");
                               }),
               std::runtime_error);
  h.transport.end_turn();
  EXPECT_EQ(h.replica().get("k"), before);
  EXPECT_EQ(h.replica().last_seq(), 1u);
  EXPECT_EQ(h.on_disk("k"), before);
}

TEST(AntiEntropyOnTheHost, AThrowingWriteKeepsTheTurnsEarlierWrites) {
  // Host::apply flushes what the turn did before the write that throws, then reloads the
  // half-changed key from the disk: the earlier write of the same key is in that batch.
  HostedReplica<Set> h(config_for(0, {1}));
  h.host().update("k", [](Set& s) { return s.add(writer(0), 1); });
  h.host().update("j", [](Set& s) { return s.add(writer(0), 5); });
  EXPECT_THROW(h.host().update("k",
                               [](Set& s) -> Set {
                                 s.add(writer(0), 2);
                                 throw std::runtime_error("mutator failed halfway");
                               }),
               std::runtime_error);
  h.transport.end_turn();
  EXPECT_EQ(h.replica().get("k").elements(), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(h.replica().get("j").elements(), (std::vector<std::uint64_t>{5}));
  EXPECT_EQ(h.on_disk("k"), h.replica().get("k"));
  EXPECT_EQ(h.on_disk("j"), h.replica().get("j"));
  // Once written, the earlier writes still gossip.
  h.transport.advance(1000);
  h.host().on_timer(0);
  h.transport.end_turn();
  EXPECT_FALSE(h.transport.sent.empty());
}

// ---- what a turn persists; rollback; sync ------------------------------------------------

TEST(AntiEntropyTurns, SeveralWritesOfAKeyInOneTurnAreOneRecordAPutWhenTheyAreTheWholeValue) {
  Replica<Set> r(config_for(0, {1}));
  const std::uint64_t first = r.update("k", [](Set& s) { return s.add(writer(0), 1); });
  const std::uint64_t second = r.update("k", [](Set& s) { return s.add(writer(0), 2); });
  const std::uint64_t third = r.update("k", [](Set& s) { return s.remove(1); });
  r.update("j", [](Set& s) { return s.add(writer(0), 9); });
  // One buffered delta for the key's writes of the turn, and one record to persist: new keys,
  // so the turn's delta is the whole value, and it is put.
  EXPECT_EQ(second, first);
  EXPECT_EQ(third, first);
  EXPECT_EQ(r.buffered_entries(), 2u);
  const auto ready = r.ready();
  ASSERT_EQ(ready.persist.size(), 2u);
  std::map<std::string, Set> operands;
  for (const storage::Write& w : ready.persist) {
    EXPECT_EQ(w.kind, storage::Write::Kind::put);
    operands[w.key] = lattices::from_bytes<Set>(w.value);
  }
  EXPECT_EQ(operands.at("state/k"), r.get("k"));
  EXPECT_EQ(operands.at("state/j"), r.get("j"));
  EXPECT_FALSE(ready.sync);  // nothing was sent
  EXPECT_TRUE(ready.send.empty());
  // The next turn's write to the key is an operand, and a buffered delta, of its own.
  EXPECT_GT(r.update("k", [](Set& s) { return s.add(writer(0), 3); }), first);
  const auto next = r.ready();
  ASSERT_EQ(next.persist.size(), 1u);
  EXPECT_EQ(next.persist[0].kind, storage::Write::Kind::merge);  // a delta below the value
  EXPECT_EQ(lattices::from_bytes<Set>(next.persist[0].value).elements(),
            (std::vector<std::uint64_t>{3}));
}

// The host passes the disk's key estimate before a boot's restores; it comes off the disk, so
// a huge one sizes the table only up to the stated cap.
// Host::on_start calls expect_keys only where this expression is valid: a renamed or retyped
// method would be skipped silently.
static_assert(requires(Replica<Set> & r) { r.expect_keys(std::uint64_t{0}); });

TEST(AntiEntropyTurns, ABootsKeyEstimateSizesTheKeyTableUpToItsCap) {
  Replica<Set> r(config_for(0, {1}));
  r.expect_keys(5000);
  EXPECT_GE(r.state().bucket_count(), 5000u);
  Replica<Set> forged(config_for(0, {1}));
  forged.expect_keys(std::numeric_limits<std::uint64_t>::max());
  EXPECT_GE(forged.state().bucket_count(), Replica<Set>::restore_reserve_max);
  EXPECT_LE(forged.state().bucket_count(), 2 * Replica<Set>::restore_reserve_max);
}

TEST(AntiEntropyTurns, AnUpdateThatChangesNothingPersistsNothing) {
  Replica<Set> r(config_for(0, {1}));
  r.update("k", [](Set& s) { return s.add(writer(0), 1); });
  r.ready();
  EXPECT_EQ(r.update("k", [](Set&) { return Set{}; }), 0u);
  EXPECT_EQ(r.update("absent", [](Set&) { return Set{}; }), 0u);
  EXPECT_TRUE(r.ready().empty());
  EXPECT_EQ(r.state().count("absent"), 0u);
}

TEST(AntiEntropyTurns, TheDiskFoldsATurnsOperandsBackToTheState) {
  // Many turns of writes, removes and gossip at three replicas: what each one's disk folds
  // (L's join of the operands) is its state, at every turn boundary and after a restart.
  using Map = lattices::ORMap<std::uint64_t, lattices::GCounter<std::uint64_t>>;
  Wire<Map> w;
  for (NodeId id = 0; id < 3; ++id) {
    std::vector<NodeId> peers;
    for (NodeId p = 0; p < 3; ++p) {
      if (p != id) peers.push_back(p);
    }
    Config c = config_for(id, peers);
    c.fanout = 1;
    w.add(c);
  }
  calm::SplitMix64 random(42);
  for (int turn = 0; turn < 300; ++turn) {
    const NodeId id = random.below(3);
    if (random.chance(0.3)) {
      w.round(id);
    } else {
      for (std::uint64_t n = 1 + random.below(4); n > 0; --n) {
        std::string key = "k";  // appended: g++ 12 -O3 warns (-Wrestrict) on "k" + to_string
        key += std::to_string(random.below(5));
        const std::uint64_t field = random.below(4);
        w[id].update(key, [&](Map& m) {
          if (random.chance(0.2)) return m.remove(field);
          return m.update(writer(id), field, [&](lattices::GCounter<std::uint64_t>& g) {
            return g.increment(writer(id), 1);
          });
        });
      }
      w.flush(id);
    }
    if (turn % 50 != 49) continue;
    for (NodeId r = 0; r < 3; ++r) {
      Replica<Map> restored(config_for(r, {}));
      Wire<Map>::restore(restored, *w.disks.at(r));
      // A removed field leaves an empty map behind; a restore skips bottoms.
      std::unordered_map<std::string, Map> state;
      for (const auto& [key, value] : w[r].state()) {
        if (!lattices::is_bot(value)) state.emplace(key, value);
      }
      EXPECT_EQ(restored.state(), state) << "replica " << r << " after turn " << turn;
    }
  }
}

TEST(AntiEntropyTurns, ARolledBackTurnLeavesStateBufferAndIntervalsAsTheDiskHasThem) {
  Wire<Set> w;
  w.add(config_for(0, {1}));
  w.add(config_for(1, {0}));
  add(w, 0, 1);
  w.round_all();  // 1 has {1}, and 0 knows it
  Replica<Set>& r = w[0];
  const Set before = r.get("k");
  const std::size_t buffered_before = r.buffered_entries();
  const std::uint64_t checkpoint = r.checkpoint();
  // A turn: a write to a known key and to a new one, and a gossip round that carries them.
  r.update("k", [](Set& s) { return s.add(writer(0), 2); });
  r.update("fresh", [](Set& s) { return s.add(writer(0), 3); });
  r.tick(at_ms(w.now_ms += 1000));
  const auto failed = r.ready();
  ASSERT_EQ(failed.persist.size(), 2u);
  ASSERT_FALSE(failed.send.empty());
  // Its batch cannot be written: the host sends nothing and rolls the replica back.
  const storage::MemoryDisk& disk = *w.disks.at(0);
  r.rollback(checkpoint, failed.persist, [&](std::string_view key) { return disk.get(key); });
  EXPECT_EQ(r.get("k"), before);
  EXPECT_EQ(r.state().count("fresh"), 0u);
  EXPECT_EQ(r.buffered_entries(), buffered_before);
  // Nothing to persist or send; the next batch is synced (what the failed turn's sync was
  // for: see AFailedTurnsSyncIsMadeUpByTheNextBatch).
  const auto after = r.ready();
  EXPECT_TRUE(after.persist.empty());
  EXPECT_TRUE(after.send.empty());
  EXPECT_TRUE(after.sync);
  // The interval built from the rolled-back writes is gone: the next round sends the peer a
  // new write, and nothing of the ones that were never written.
  add(w, 0, 4);
  const std::size_t mark = w.sent.size();
  w.round(0);
  const auto deltas = w.deltas(0, 1, mark);
  ASSERT_FALSE(deltas.empty());
  for (const DeltaMessage& d : deltas) {
    for (const Entry& e : d.entries) {
      EXPECT_NE(e.key, "fresh");
      EXPECT_FALSE(lattices::from_bytes<Set>(e.value).contains(2));
    }
  }
  EXPECT_EQ(w[1].state(), r.state());
  EXPECT_EQ(w[1].get("k").elements(), (std::vector<std::uint64_t>{1, 4}));
  EXPECT_EQ(r.peers_holding(r.last_seq()), 1u);
}

TEST(AntiEntropyTurns, GossipThatCarriesUnsyncedLocalWritesAsksForASync) {
  // A chain 0 - 1 - 2: 1 forwards what 0 wrote.
  Wire<Set> w;
  w.add(config_for(0, {1}));
  w.add(config_for(1, {0, 2}));
  w.add(config_for(2, {1}));
  w.round_all();
  // A local write alone: written, not synced.
  add(w, 0, 1);
  EXPECT_EQ(w.disks.at(0)->unsynced_batches(), 1u);
  // The round that sends it asks for a sync first (for the write's batch of a turn before).
  const auto round = w.tick(0);
  EXPECT_FALSE(round.send.empty());
  EXPECT_TRUE(round.sync);
  EXPECT_EQ(w.disks.at(0)->unsynced_batches(), 0u);
  // The receiver persists the delta and acks it: no sync (the writer holds it durably).
  ASSERT_EQ(w.in_flight.size(), 1u);
  const auto [from, delta] = w.in_flight.front();
  w.in_flight.pop_front();
  w[1].step(from, delta.bytes, at_ms(w.now_ms));
  const auto acked = w.flush(1);
  EXPECT_EQ(acked.persist.size(), 1u);
  EXPECT_EQ(acked.send.size(), 1u);
  EXPECT_FALSE(acked.sync);
  w.drain();
  // Forwarding what a peer wrote asks for no sync either.
  const auto forward = w.tick(1);
  EXPECT_FALSE(forward.send.empty());
  EXPECT_FALSE(forward.sync);
  w.drain();
  EXPECT_TRUE(w[2].get("k").contains(1));
  // A round with nothing to send asks for nothing.
  EXPECT_TRUE(w.tick(0).empty());
  // A resend of an unacknowledged chunk whose writes are synced asks for nothing.
  add(w, 0, 2);
  EXPECT_TRUE(w.tick(0).sync);
  w.in_flight.clear();  // lost
  const auto resend = w.tick(0);
  EXPECT_FALSE(resend.send.empty());
  EXPECT_FALSE(resend.sync);
}

TEST(AntiEntropyTurns, APeerThatVouchesForAnUnsentLocalWriteMakesItSynced) {
  // calm-sim seed 1004530 (register, crash-disk, when-asked): 0 writes a register, unsynced;
  // 1 overwrites it with a later write and sends that to 0. 0's next interval to 1 is empty
  // (BP+: what 1 sent is above 0's write), so 1's acked moves past 0's write without a send,
  // and peers_holding counts a write a power cut could take back (before the fix: no sync).
  using Reg = lattices::LWWRegister<std::uint64_t>;
  Wire<Reg> w;
  w.add(config_for(0, {1}));
  w.add(config_for(1, {0}));
  w.round_all();
  const std::uint64_t seq = w[0].update("k", [](Reg& r) { return r.write(100, 1, {1, 0}); });
  w.flush(0);
  w[1].update("k", [](Reg& r) { return r.write(101, 2, {2, 0}); });
  w.flush(1);
  w.round(1);  // 0 takes 1's write, above its own
  ASSERT_EQ(w[0].get("k").value(), std::optional<std::uint64_t>(2));
  ASSERT_EQ(w[0].peers_holding(seq), 0u);
  const auto round = w.tick(0);
  EXPECT_TRUE(round.send.empty());
  EXPECT_EQ(w[0].peers_holding(seq), 1u);
  EXPECT_TRUE(round.sync);
  EXPECT_EQ(w.disks.at(0)->unsynced_batches(), 0u);
}

TEST(AntiEntropyTurns, AFailedTurnsSyncIsMadeUpByTheNextBatch) {
  // calm-sim seed 1003986 (register, all, when-asked): the turn in which a peer came to vouch
  // for an unsynced write (above) failed to write its batch, so its sync never happened; the
  // peer's acked stays moved (it holds what it holds), and the next turn must sync.
  using Reg = lattices::LWWRegister<std::uint64_t>;
  Wire<Reg> w;
  w.add(config_for(0, {1}));
  w.add(config_for(1, {0}));
  w.round_all();
  const std::uint64_t seq = w[0].update("k", [](Reg& r) { return r.write(100, 1, {1, 0}); });
  w.flush(0);
  w[1].update("k", [](Reg& r) { return r.write(101, 2, {2, 0}); });
  w.flush(1);
  w.round(1);
  const std::uint64_t checkpoint = w[0].checkpoint();
  w[0].tick(at_ms(w.now_ms += 1000));
  const auto failed = w[0].ready();
  ASSERT_TRUE(failed.sync);
  const storage::MemoryDisk& disk = *w.disks.at(0);
  w[0].rollback(checkpoint, failed.persist, [&](std::string_view key) { return disk.get(key); });
  EXPECT_EQ(w[0].peers_holding(seq), 1u);
  EXPECT_TRUE(w.flush(0).sync);
  EXPECT_EQ(w.disks.at(0)->unsynced_batches(), 0u);
}

TEST(AntiEntropyTurns, HeardKeysPerPeerStayWithinTheirBound) {
  // As in BpLeavesOutWhatThePeerItselfSentUs, with ten keys and room for four: what 1 sent
  // 2 is remembered for four keys only, so 2 sends 1 the other six again (a lost saving,
  // never a lost write).
  Wire<Set> w;
  for (NodeId id = 0; id < 3; ++id) {
    std::vector<NodeId> peers;
    for (NodeId p = 0; p < 3; ++p) {
      if (p != id) peers.push_back(p);
    }
    Config c = config_for(id, peers);
    c.heard_keys_max = 4;
    w.add(c);
  }
  w.round_all();
  for (std::uint64_t k = 0; k < 10; ++k) add(w, 0, k, "key-" + std::to_string(k));
  w.round(0);
  w.round(1);
  const std::size_t since = w.sent.size();
  w.round(2);
  std::set<std::string> keys;
  for (const DeltaMessage& d : w.deltas(2, 1, since)) {
    for (const Entry& e : d.entries) keys.insert(e.key);
  }
  EXPECT_EQ(keys.size(), 6u);
  EXPECT_EQ(w[2].stats().heard_entries_stripped, 4u);
  EXPECT_EQ(w[1].state(), w[0].state());
  EXPECT_EQ(w[2].state(), w[0].state());
}

TEST(AntiEntropyTurns, FullStatesInFlightStayWithinTheirBound) {
  Wire<Set> w;
  Config c = config_for(0, {1, 2, 3});
  c.full_states_in_flight_max = 1;
  w.add(c);
  for (NodeId id = 1; id <= 3; ++id) w.add(config_for(id, {0}));
  add(w, 0, 1);
  // Three peers that never acknowledged anything each need the full state: one at a time.
  std::set<NodeId> first_round;
  for (const Outgoing& out : w.tick(0).send) first_round.insert(out.to);
  EXPECT_EQ(first_round.size(), 1u);
  EXPECT_EQ(w[0].stats().full_state_intervals, 1u);
  w.drain();
  for (int round = 0; round < 3; ++round) w.round(0);
  EXPECT_EQ(w[0].stats().full_state_intervals, 3u);
  for (NodeId id = 1; id <= 3; ++id) EXPECT_EQ(w[id].state(), w[0].state()) << id;
}

TEST(AntiEntropy, OnlyUnacknowledgedChunksAreSentAgain) {
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.chunks_per_peer_per_round_max = 1000;
  const Set big = with_large_state(w, c, 600, 1024);
  w.tick(0);
  const std::size_t chunks = w.in_flight.size();
  ASSERT_GT(chunks, 2u);
  w.in_flight.pop_front();  // the first chunk is lost
  w.drain();
  const std::size_t mark = w.sent.size();
  w.round(0);
  const auto resent = w.deltas(0, 1, mark);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].chunk_index, 0u);
  EXPECT_EQ(w[1].get("k"), big);
  EXPECT_EQ(w[0].peers_holding(0), 1u);
}

// A peer slower than a round to acknowledge is not sent the same chunks every round: each
// copy costs it a decode to discard, which slowed it further (calm-kvs at three replicas sent
// 16x its deltas' bytes this way). A lost chunk goes again after the timeout, which doubles up
// to its bound while nothing is acknowledged.
TEST(AntiEntropy, AnUnacknowledgedChunkIsSentAgainAfterATimeoutThatBacksOff) {
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.gossip_interval_ms = 100;
  c.resend_timeout_max_ms = 400;
  w.add(c);
  w.add(config_for(1, {0}));
  add(w, 0, 3);
  std::vector<std::uint64_t> sent_at;
  for (std::uint64_t t = 100; t <= 1600; t += 100) {
    w[0].tick(at_ms(t));
    w.flush(0);
    if (!w.in_flight.empty()) sent_at.push_back(t);
    w.in_flight.clear();  // lost
  }
  EXPECT_EQ(sent_at, (std::vector<std::uint64_t>{100, 200, 400, 800, 1200, 1600}));
  EXPECT_EQ(w[0].stats().chunks_resent, 5u);
  // Once delivered and acknowledged, the interval is done and the next write goes at once.
  w[0].tick(at_ms(2000));
  w.flush(0);
  w.now_ms = 2000;
  w.drain();
  EXPECT_TRUE(w[1].get("k").contains(3));
  add(w, 0, 4);
  w[0].tick(at_ms(2100));
  w.flush(0);
  EXPECT_EQ(w.in_flight.size(), 1u);
}

// A turn whose batch fails sends nothing, and the interval it started may survive the
// rollback: its chunks go at the next round, not after a resend timeout they never started.
TEST(AntiEntropy, ChunksOfAFailedTurnGoAtTheNextRoundNotAfterTheTimeout) {
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.gossip_interval_ms = 100;
  w.add(c);
  w.add(config_for(1, {0}));
  add(w, 0, 1);  // an interval acknowledged 500 ms late: the resend timeout becomes 1 s
  w[0].tick(at_ms(100));
  w.flush(0);
  w.now_ms = 600;
  w.drain();
  ASSERT_EQ(w[0].peers_holding(w[0].last_seq()), 1u);
  add(w, 0, 2);
  const std::uint64_t checkpoint = w[0].checkpoint();
  w[0].tick(at_ms(700));
  EXPECT_EQ(w[0].ready().send.size(), 1u);  // the turn's batch fails: this never leaves
  w[0].rollback(checkpoint, {}, [&](std::string_view key) { return w.disks.at(0)->get(key); });
  w[0].tick(at_ms(800));
  w.flush(0);
  EXPECT_EQ(w.in_flight.size(), 1u);
  w.drain();
  EXPECT_TRUE(w[1].get("k").contains(2));
}

// The chunks of an interval not sent yet (past a round's budget) go in the next rounds, not
// after the resend timeout; an ack of any chunk tells that the peer is working through them.
TEST(AntiEntropy, ALargeIntervalIsSentOverRoundsWithoutWaitingForTheTimeout) {
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.chunks_per_peer_per_round_max = 2;
  c.gossip_interval_ms = 100;
  const Set big = with_large_state(w, c, 600, 1024);
  std::size_t rounds = 0;
  for (std::uint64_t t = 100; rounds < 100 && w[0].peers_holding(0) < 1; t += 100, ++rounds) {
    w[0].tick(at_ms(t));
    w.flush(0);
    EXPECT_LE(w.in_flight.size(), 2u);
    w.now_ms = t + 90;  // acks that come late in the round put the resend timeout past the next
    w.drain();
  }
  EXPECT_EQ(w[1].get("k"), big);
  EXPECT_EQ(w[0].stats().chunks_resent, 0u);
  const auto deltas = w.deltas(0, 1);
  ASSERT_GT(deltas.size(), 4u);
  EXPECT_EQ(deltas.size(), deltas[0].chunk_count);  // each chunk once
  EXPECT_EQ(rounds, (deltas.size() + 1) / 2);
}

// ---- rejected input ----------------------------------------------------------------------

struct Rejection : ::testing::Test {
  Rejection() {
    w.add(config_for(0, {1}));
    w.add(config_for(1, {0}));
    add(w, 0, 3);
    w.tick(0);
    valid = std::get<DeltaMessage>(decode_message(w.in_flight.front().second.bytes, {}));
    w.in_flight.clear();
  }
  /// Feeds bytes to replica 1 and checks that they changed nothing and were reported.
  void expect_rejected(NodeId from, const std::string& bytes) {
    const Set before = w[1].get("k");
    const std::uint64_t rejected_before = w[1].stats().rejected;
    w[1].step(from, bytes);
    const auto e = w[1].ready();
    EXPECT_EQ(e.rejected.size(), 1u);
    EXPECT_TRUE(e.send.empty());
    EXPECT_TRUE(e.persist.empty());
    EXPECT_EQ(w[1].get("k"), before);
    EXPECT_EQ(w[1].stats().rejected, rejected_before + 1);
  }
  Wire<Set> w;
  DeltaMessage valid;
};

TEST_F(Rejection, TheValidMessageIsAccepted) {
  w[1].step(0, encode_message(valid));
  const auto e = w[1].ready();
  EXPECT_TRUE(e.rejected.empty());
  EXPECT_EQ(e.send.size(), 1u);     // the ack
  EXPECT_EQ(e.persist.size(), 1u);  // after the delta, in the same batch
  EXPECT_TRUE(w[1].get("k").contains(3));
}

TEST_F(Rejection, GarbageBytes) { expect_rejected(0, "\x01\x01garbage"); }

TEST_F(Rejection, TruncatedFrame) {
  const std::string bytes = encode_message(valid);
  expect_rejected(0, bytes.substr(0, bytes.size() - 3));
}

TEST_F(Rejection, UnknownSender) {
  DeltaMessage m = valid;
  m.from = 9;
  expect_rejected(9, encode_message(m));
}

TEST_F(Rejection, SenderFieldDisagreesWithTheTransport) {
  expect_rejected(5, encode_message(valid));
}

TEST_F(Rejection, AddressedToAnotherNode) {
  DeltaMessage m = valid;
  m.to = 4;
  expect_rejected(0, encode_message(m));
}

TEST_F(Rejection, ValueThatIsNotALatticeValue) {
  DeltaMessage m = valid;
  m.entries.push_back({"k2", "\x01\xff\xff\xff"});
  expect_rejected(0, encode_message(m));  // and the valid entry before it is not merged
}

TEST_F(Rejection, FrameAboveTheByteBound) {
  DeltaMessage m = valid;
  m.entries.push_back({"k2", std::string(70 * 1024, 'x')});
  expect_rejected(0, encode_message(m));
}

TEST_F(Rejection, RemovedPeerIsNoLongerHeard) {
  w[1].remove_peer(0);
  expect_rejected(0, encode_message(valid));
}

TEST_F(Rejection, AnAckClaimingAnotherIncarnationThanTheSenderProvedIsRefused) {
  // A forged restart (a fresh incarnation in an ack or delta) would cost a full state each;
  // an authenticating transport knows the incarnation the peer proved, and the replica holds
  // every frame to it.
  AckMessage forged;
  forged.from = 0;
  forged.to = 1;
  forged.incarnation = valid.incarnation + 1;
  forged.acked_incarnation = 1001;
  const std::uint64_t resets_before = w[1].stats().peer_resets;
  w[1].step(0, encode_message(forged), proving(valid.incarnation));
  const auto e = w[1].ready();
  ASSERT_EQ(e.rejected.size(), 1u);
  EXPECT_NE(e.rejected[0].find("proved"), std::string::npos) << e.rejected[0];
  EXPECT_EQ(w[1].stats().peer_resets, resets_before);
  // The same frame with the proven incarnation passes the envelope check.
  w[1].step(0, encode_message(valid), proving(valid.incarnation));
  EXPECT_TRUE(w[1].ready().rejected.empty());
}

TEST_F(Rejection, AValueTheHostRefusesRefusesTheWholeFrame) {
  std::uint64_t seen_wall_ms = 0;
  std::vector<std::string> observed;
  Admission<Set> admission;
  admission.check = [&](const std::string& key, const Set& value,
                        std::uint64_t wall_ms) -> std::optional<std::string> {
    seen_wall_ms = wall_ms;
    if (key == "k2" && value.contains(99)) return "99 is not allowed";
    return std::nullopt;
  };
  admission.observe = [&](const std::string& key, const Set&) { observed.push_back(key); };
  w[1].set_admission(admission);
  DeltaMessage m = valid;
  Set bad;
  bad.add(writer(0), 99);
  m.entries.push_back({"k2", lattices::to_bytes(bad)});
  w[1].step(0, encode_message(m), at_wall_ms(12345));
  const auto e = w[1].ready();
  EXPECT_EQ(seen_wall_ms, 12345u);
  ASSERT_EQ(e.rejected.size(), 1u);
  EXPECT_NE(e.rejected[0].find("99 is not allowed"), std::string::npos) << e.rejected[0];
  EXPECT_NE(e.rejected[0].find("'k2'"), std::string::npos) << e.rejected[0];
  EXPECT_TRUE(e.send.empty());  // no ack
  EXPECT_TRUE(e.persist.empty());
  EXPECT_TRUE(w[1].get("k").is_bot());  // the admissible entry before it is not merged either
  EXPECT_TRUE(w[1].get("k2").is_bot());
  EXPECT_EQ(w[1].stats().refused_by_admission, 1u);
  EXPECT_EQ(w[1].stats().rejected, 1u);
  EXPECT_TRUE(observed.empty());  // a refused frame's values are never observed
}

TEST_F(Rejection, AnAdmittedFrameIsObservedThenMergedAndAcknowledged) {
  std::vector<std::pair<std::string, bool>> observed;  // (key, already merged when observed)
  Admission<Set> admission;
  admission.check = [](const std::string&, const Set&, std::uint64_t) {
    return std::optional<std::string>();
  };
  admission.observe = [&](const std::string& key, const Set&) {
    observed.emplace_back(key, !w[1].get(key).is_bot());
  };
  w[1].set_admission(admission);
  w[1].step(0, encode_message(valid), at_wall_ms(1));
  const auto e = w[1].ready();
  EXPECT_TRUE(e.rejected.empty());
  EXPECT_EQ(e.send.size(), 1u);
  EXPECT_TRUE(w[1].get("k").contains(3));
  EXPECT_EQ(observed, (std::vector<std::pair<std::string, bool>>{{"k", false}}));
  // Values restored from the disk are observed too.
  w[1].restore("r", lattices::to_bytes(w[1].get("k")));
  EXPECT_EQ(observed.back(), (std::pair<std::string, bool>{"r", false}));
}

TEST_F(Rejection, MutatedEnvelopesNeverCrashAndNeverCorruptTheState) {
  // A precursor of the fuzzer, on the protocol's own bytes: flip bytes of a valid frame
  // outside the lattice value; each result is either rejected or accepted as a lawful join
  // (the state still holds what it held). The value's bytes are the lattice decoder's to
  // defend; see "Known limits" in docs/replication.md for why they are left out here.
  calm::SplitMix64 random(1);
  const std::string bytes = encode_message(valid);
  const std::size_t envelope_bytes = bytes.size() - valid.entries.back().value.size();
  std::size_t rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = bytes;
    const int flips = 1 + static_cast<int>(random.below(4));
    for (int f = 0; f < flips; ++f) {
      mutated[random.below(envelope_bytes)] = static_cast<char>(random.below(256));
    }
    const Set before = w[1].get("k");
    w[1].step(0, mutated);
    const auto e = w[1].ready();
    rejected += e.rejected.size();
    Set after = w[1].get("k");
    EXPECT_FALSE(after.merge(before)) << "a frame took something away";
  }
  EXPECT_GT(rejected, 1000u);
}

TEST(AntiEntropy, ADeltaClaimingBillionsOfDotsIsMergedAndTheReplicaKeepsServing) {
  // A peer's delta of a few dozen bytes whose context claims every dot 1..2^31 of two writers
  // and 1..2^62 of a third. RR's delta(d, state), the merge, and the split of the resulting
  // state into frames for a new peer must all cost what the ranges cost: with per-dot walks
  // this test hangs until CTest's timeout.
  Wire<Set> w;
  for (NodeId id = 0; id < 3; ++id) {
    Config c = config_for(id, id == 1 ? std::vector<NodeId>{0, 2} : std::vector<NodeId>{1});
    c.message_bytes_max = 4096;  // the state below needs several frames
    w.add(c);
  }
  for (std::uint64_t x = 0; x < 400; ++x) add(w, 1, x);
  for (int round = 0; round < 20; ++round) w.round_all();
  ASSERT_EQ(w[0].get("k"), w[1].get("k"));

  lattices::DotContext<> claims;
  claims.insert_range(writer(0), 1, std::uint64_t{1} << 31);
  claims.insert_range(writer(2), 1, std::uint64_t{1} << 31);
  claims.insert_range(999, 1, std::uint64_t{1} << 62);
  using Tags = lattices::DotMap<std::uint64_t, lattices::DotSet<>>;
  const Tags tags{{7000, lattices::DotSet<>{lattices::Dot<>{writer(2), std::uint64_t{1} << 31}}}};
  const Set hostile(lattices::Dotted<Tags>(tags, claims));
  DeltaMessage m;
  m.from = 2;
  m.to = 1;
  m.incarnation = w[2].config().incarnation;
  m.interval_end = 1;
  m.chunk_count = 1;
  m.entries.push_back({"k", lattices::to_bytes(hostile)});
  const std::string bytes = encode_message(m);
  EXPECT_LT(bytes.size(), 300u);

  const Set before = w[1].get("k");
  w[1].step(2, bytes);
  const auto e = w[1].ready();
  EXPECT_TRUE(e.rejected.empty());
  ASSERT_EQ(e.send.size(), 1u);  // the ack
  EXPECT_EQ(w[1].get("k"), lattices::join(before, hostile));
  EXPECT_EQ(w[1].get("k").size(), 401u);

  // The claims spread, a new peer gets the whole state in frames, and writes go on. (Replica
  // 2, whose frame we forged, is never sent the delta back: BP assumes it has it.)
  Config c3 = config_for(3, {1});
  c3.message_bytes_max = 4096;
  w.add(c3);
  w[1].add_peer(3);
  add(w, 1, 5000);
  for (int round = 0; round < 20; ++round) w.round_all();
  for (NodeId id : {0, 3}) EXPECT_EQ(w[id].get("k"), w[1].get("k")) << "replica " << id;
  EXPECT_TRUE(w[3].get("k").contains(5000));
  EXPECT_TRUE(w[3].get("k").contains(7000));
  EXPECT_GT(w.deltas(1, 3).size(), 2u);  // the full state, split
  for (NodeId id = 0; id < 4; ++id) EXPECT_EQ(w[id].stats().rejected, 0u) << "replica " << id;
}

struct PointLike {
  std::uint64_t value = 0;
  bool merge(const PointLike& other) {
    if (value == other.value || other.value == 0) return false;
    if (value != 0) throw lattices::JoinUndefined("two different values");
    value = other.value;
    return true;
  }
  std::vector<PointLike> atomize() const {
    return value == 0 ? std::vector<PointLike>{} : std::vector<PointLike>{*this};
  }
  friend bool operator==(const PointLike&, const PointLike&) = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(value);
  }
};

TEST(AntiEntropy, AJoinThatDoesNotExistIsRejectedNotThrown) {
  Config c0 = config_for(0, {1});
  Config c1 = config_for(1, {0});
  Replica<PointLike> r0(c0);
  Replica<PointLike> r1(c1);
  r0.update("k", [](PointLike& p) {
    p.value = 1;
    return p;
  });
  r1.update("k", [](PointLike& p) {
    p.value = 2;
    return p;
  });
  r0.tick(at_ms(1));
  const auto sent = r0.ready();
  ASSERT_FALSE(sent.send.empty());
  r1.ready();
  EXPECT_NO_THROW(r1.step(0, sent.send.front().bytes));
  const auto e = r1.ready();
  EXPECT_EQ(e.rejected.size(), 1u);
  EXPECT_EQ(r1.get("k").value, 2u);
}

TEST(AntiEntropy, AnAddedPeerReceivesTheFullState) {
  Wire<Set> w;
  w.add(config_for(0, {1}));
  w.add(config_for(1, {0}));
  add(w, 0, 1);
  w.round_all();
  w.add(config_for(2, {0, 1}));
  w[0].add_peer(2);
  w[1].add_peer(2);
  w.round(0);
  EXPECT_EQ(w[2].state(), w[0].state());
}

// ---- every CRDT family converges on a faulty network -------------------------------------

template <class L>
struct Writes;
template <>
struct Writes<Set> {
  static Set write(Set& s, std::uint64_t id, std::uint64_t i) {
    return i % 5 == 4 && !s.elements().empty() ? s.remove(s.elements().front()) : s.add(id, i);
  }
};
template <>
struct Writes<lattices::GCounter<std::uint64_t>> {
  static auto write(lattices::GCounter<std::uint64_t>& c, std::uint64_t id, std::uint64_t i) {
    return c.increment(id, 1 + i % 3);
  }
};
template <>
struct Writes<lattices::PNCounter<std::uint64_t>> {
  static auto write(lattices::PNCounter<std::uint64_t>& c, std::uint64_t id, std::uint64_t i) {
    return i % 2 ? c.increment(id, i) : c.decrement(id, 1);
  }
};
template <>
struct Writes<lattices::LWWRegister<std::uint64_t>> {
  static auto write(lattices::LWWRegister<std::uint64_t>& r, std::uint64_t id, std::uint64_t i) {
    return r.write(id, i, {i, 0});
  }
};
using CounterMap = lattices::ORMap<std::uint64_t, lattices::GCounter<std::uint64_t>>;
template <>
struct Writes<CounterMap> {
  static auto write(CounterMap& m, std::uint64_t id, std::uint64_t i) {
    if (i % 7 == 6) return m.remove(i % 3);
    return m.update(id, i % 3,
                    [&](lattices::GCounter<std::uint64_t>& c) { return c.increment(id, 1); });
  }
};

template <class L>
struct Converges : ::testing::Test {};
using Families =
    ::testing::Types<Set, lattices::GCounter<std::uint64_t>, lattices::PNCounter<std::uint64_t>,
                     lattices::LWWRegister<std::uint64_t>, CounterMap>;
TYPED_TEST_SUITE(Converges, Families);

TYPED_TEST(Converges, UnderLossDuplicationAndReorderingToTheJoinOfAllWrites) {
  using L = TypeParam;
  net::NetworkConfig network;
  network.latency = net::LatencyShape::exponential;
  network.loss = 0.3;
  network.duplicate = 0.2;
  network.slow = 0.1;
  net::Simulator sim(77, network);
  constexpr std::size_t n = 4;
  for (NodeId id = 0; id < n; ++id) {
    Config c;
    for (NodeId p = 0; p < n; ++p) {
      if (p != id) c.peers.push_back(p);
    }
    c.message_bytes_max = 512;
    sim.add_node(
        [c](const net::NodeContext& context) {
          return std::make_unique<ReplicaNode<L>>(context, c);
        },
        ReplicaNode<L>::merge_function());
  }
  std::unordered_map<std::string, L> expected;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const NodeId at = i % n;
    sim.at(i * 25, [&, at, i] {
      const std::string key = "k" + std::to_string(i % 3);
      auto& node = static_cast<ReplicaNode<L>&>(*sim.node(at));
      node.update(key, [&](L& value) {
        L delta = Writes<L>::write(value, 100 + at, i);
        lattices::merge(expected[key], delta);
        return delta;
      });
    });
  }
  sim.run_until(1000);
  network.loss = 0;
  sim.set_network(network);
  sim.run_until(4000);
  for (NodeId id = 0; id < n; ++id) {
    EXPECT_EQ(static_cast<ReplicaNode<L>&>(*sim.node(id)).replica().state(), expected)
        << "replica " << id;
  }
  EXPECT_GT(sim.stats().dropped_loss, 0u);
  EXPECT_GT(sim.stats().duplicated, 0u);
}

// ---- partitions and crashes on the simulator ---------------------------------------------

struct SimCluster {
  explicit SimCluster(std::size_t n, std::uint64_t seed = 5, host::HostOptions options = {})
      : sim(seed) {
    for (NodeId id = 0; id < n; ++id) {
      Config c;
      for (NodeId p = 0; p < n; ++p) {
        if (p != id) c.peers.push_back(p);
      }
      sim.add_node(
          [c, options](const net::NodeContext& context) {
            return std::make_unique<ReplicaNode<Set>>(context, c, options);
          },
          ReplicaNode<Set>::merge_function());
    }
  }
  ReplicaNode<Set>& node(NodeId id) { return static_cast<ReplicaNode<Set>&>(*sim.node(id)); }
  /// A write at `at`, and the end of its turn (the host writes its batch).
  void add(NodeId at, std::uint64_t x) {
    node(at).update("k",
                    [&](Set& s) { return s.add(writer(at) + 1000 * sim.stats().restarts, x); });
    sim.run_until(sim.now_ms());
  }
  Set read(NodeId id) { return node(id).replica().get("k"); }
  net::Simulator sim;
};

TEST(AntiEntropyOnSimulator, APartitionHealsAndBothSidesConverge) {
  SimCluster c(3);
  c.sim.partition({0}, {1, 2});
  c.add(0, 1);
  c.add(1, 2);
  c.sim.run_until(1000);
  EXPECT_FALSE(c.read(0).contains(2));
  EXPECT_FALSE(c.read(2).contains(1));
  c.sim.heal();
  c.sim.run_until(2000);
  for (NodeId id = 0; id < 3; ++id)
    EXPECT_EQ(c.read(id).elements(), (std::vector<std::uint64_t>{1, 2}));
}

TEST(AntiEntropyOnSimulator, AOneWayPartitionStillDeliversTheOtherWay) {
  SimCluster c(2);
  c.sim.block(0, 1);
  c.add(0, 1);
  c.add(1, 2);
  c.sim.run_until(1000);
  EXPECT_TRUE(c.read(0).contains(2));
  EXPECT_FALSE(c.read(1).contains(1));
  c.sim.heal();
  c.sim.run_until(2000);
  EXPECT_TRUE(c.read(1).contains(1));
}

TEST(AntiEntropyOnSimulator, APowerCutKeepsTheSyncedState) {
  host::HostOptions synced;
  synced.sync_every_batch = storage::Sync::yes;
  SimCluster c(3, 5, synced);
  c.sim.partition({2}, {0, 1});
  c.add(2, 5);
  c.sim.crash(2, net::DiskFate::keep);
  c.sim.restart(2);
  EXPECT_TRUE(c.read(2).contains(5));
  c.sim.heal();
  c.sim.run_until(1000);
  EXPECT_TRUE(c.read(0).contains(5));
}

TEST(AntiEntropyOnSimulator, CrashWithoutDiskLosesTheStateAndResyncs) {
  SimCluster c(3);
  c.add(0, 1);
  c.add(2, 2);
  c.sim.run_until(1000);
  c.sim.crash(2, net::DiskFate::wipe);
  c.sim.restart(2);
  EXPECT_TRUE(c.read(2).elements().empty());
  c.sim.run_until(2000);
  EXPECT_EQ(c.read(2).elements(), (std::vector<std::uint64_t>{1, 2}));
}

TEST(AntiEntropyOnSimulator, AWriteOnlyOnALostDiskIsLost) {
  SimCluster c(3);
  c.sim.partition({2}, {0, 1});
  c.add(2, 9);
  c.sim.crash(2, net::DiskFate::wipe);
  c.sim.restart(2);
  c.sim.heal();
  c.sim.run_until(1000);
  for (NodeId id = 0; id < 3; ++id) EXPECT_FALSE(c.read(id).contains(9));
}

}  // namespace
}  // namespace calm::protocols::anti_entropy
