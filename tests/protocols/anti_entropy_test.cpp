// Delta anti-entropy, as a specification: the sans-IO replica wired by hand for the exact
// message-level behaviours (BP, RR, splitting, rejection, acks), and on the simulator for
// convergence under faults, partitions and crashes, for every CRDT family.
#include <gtest/gtest.h>

#include <deque>
#include <lattices/aw_set.hpp>
#include <lattices/g_counter.hpp>
#include <lattices/lww_register.hpp>
#include <lattices/or_map.hpp>
#include <lattices/pn_counter.hpp>
#include <lattices/serialize.hpp>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "protocols/anti_entropy/node.hpp"
#include "protocols/anti_entropy/replica.hpp"
#include "protocols/net/simulator.hpp"

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

/// Replicas connected by a perfect wire that the test drives step by step.
template <class L>
struct Wire {
  std::map<NodeId, std::unique_ptr<Replica<L>>> replicas;
  std::deque<std::pair<NodeId, Outgoing>> in_flight;
  std::vector<std::pair<NodeId, Outgoing>> sent;  // every message, in order
  std::uint64_t now_ms = 0;

  Replica<L>& add(Config c) {
    const NodeId id = c.self;
    replicas[id] = std::make_unique<Replica<L>>(std::move(c));
    return *replicas[id];
  }
  Replica<L>& operator[](NodeId id) { return *replicas.at(id); }
  void post(NodeId from, Effects effects) {
    for (Outgoing& out : effects.send) {
      sent.emplace_back(from, out);
      in_flight.emplace_back(from, std::move(out));
    }
  }
  /// Delivers every message in flight, and what they cause, until none is left.
  void drain() {
    while (!in_flight.empty()) {
      auto [from, out] = std::move(in_flight.front());
      in_flight.pop_front();
      auto it = replicas.find(out.to);
      if (it != replicas.end()) post(out.to, it->second->step(from, out.bytes));
    }
  }
  /// One gossip round at `id` (the clock moves one interval), then everything it causes.
  void round(NodeId id) {
    now_ms += 1000;
    post(id, replicas.at(id)->tick(now_ms));
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

void add(Wire<Set>& w, NodeId at, std::uint64_t x, const std::string& key = "k") {
  w[at].update(key, [&](Set& s) { return s.add(writer(at), x); });
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
  w.post(0, w[0].tick(1));
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
  const std::string durable = lattices::to_bytes(w[0].get("k"));
  // Crash before any gossip; the delta buffer is lost, the disk is not.
  Config reborn = config_for(0, {1});
  reborn.incarnation = 5000;
  w.add(reborn).restore("k", durable);
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
  w.post(1, w[1].tick(w.now_ms += 1000));
  w.drain();
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
  Set big;
  // 3,000 elements, several dozen frames of 4 KiB: the sanitizer build runs this too.
  for (std::uint64_t x = 0; x < 3000; ++x) big.add(writer(0), x);
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.message_bytes_max = 4096;
  w.add(c).restore("k", lattices::to_bytes(big));
  w.add(config_for(1, {0}));
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

TEST(AntiEntropy, AnUpdateWhoseDeltaCannotBeSentChangesNothing) {
  using Reg = lattices::LWWRegister<std::string>;
  Config c = config_for(0, {1});
  c.message_bytes_max = 1024;
  Replica<Reg> r(c);
  r.update("k", [](Reg& v) { return v.write(1, std::string(500, 'x'), {2, 0}); });
  const Reg before = r.get("k");
  const std::uint64_t seq = r.last_seq();
  EXPECT_THROW(r.update("k",
                        [](Reg& v) {
                          return v.write(1, std::string(2000, 'y'), {3, 0});
                        }),
               std::length_error);
  EXPECT_EQ(r.get("k"), before);
  EXPECT_EQ(r.last_seq(), seq);
  EXPECT_THROW(r.update("new",
                        [](Reg& v) {
                          return v.write(1, std::string(2000, 'y'), {3, 0});
                        }),
               std::length_error);
  EXPECT_EQ(r.state().count("new"), 0u);
}

TEST(AntiEntropy, AnUpdateWhoseMutatorThrowsChangesNothing) {
  Replica<Set> r(config_for(0, {1}));
  r.update("k", [](Set& s) { return s.add(writer(0), 1); });
  const Set before = r.get("k");
  EXPECT_THROW(r.update("k",
                        [](Set& s) -> Set {
                          s.add(writer(0), 2);
                          throw std::runtime_error("mutator failed halfway");
                        }),
               std::runtime_error);
  EXPECT_EQ(r.get("k"), before);
  EXPECT_EQ(r.last_seq(), 1u);
}

TEST(AntiEntropy, OnlyUnacknowledgedChunksAreSentAgain) {
  Set big;
  for (std::uint64_t x = 0; x < 600; ++x) big.add(writer(0), x);
  Wire<Set> w;
  Config c = config_for(0, {1});
  c.message_bytes_max = 1024;
  c.chunks_per_peer_per_round_max = 1000;
  w.add(c).restore("k", lattices::to_bytes(big));
  w.add(config_for(1, {0}));
  w.post(0, w[0].tick(1));
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

// ---- rejected input ----------------------------------------------------------------------

struct Rejection : ::testing::Test {
  Rejection() {
    w.add(config_for(0, {1}));
    w.add(config_for(1, {0}));
    add(w, 0, 3);
    w.post(0, w[0].tick(1));
    valid = std::get<DeltaMessage>(decode_message(w.in_flight.front().second.bytes, {}));
    w.in_flight.clear();
  }
  /// Feeds bytes to replica 1 and checks that they changed nothing and were reported.
  void expect_rejected(NodeId from, const std::string& bytes) {
    const Set before = w[1].get("k");
    const std::uint64_t rejected_before = w[1].stats().rejected;
    const Effects e = w[1].step(from, bytes);
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
  const Effects e = w[1].step(0, encode_message(valid));
  EXPECT_TRUE(e.rejected.empty());
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
  const Effects e = w[1].step(0, encode_message(forged), 0, valid.incarnation);
  ASSERT_EQ(e.rejected.size(), 1u);
  EXPECT_NE(e.rejected[0].find("proved"), std::string::npos) << e.rejected[0];
  EXPECT_EQ(w[1].stats().peer_resets, resets_before);
  // The same frame with the proven incarnation passes the envelope check.
  EXPECT_TRUE(w[1].step(0, encode_message(valid), 0, valid.incarnation).rejected.empty());
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
  const Effects e = w[1].step(0, encode_message(m), 12345);
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
  const Effects e = w[1].step(0, encode_message(valid), 1);
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
  net::SplitMix64 random(1);
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
    const Effects e = w[1].step(0, mutated);
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
  const Effects e = w[1].step(2, bytes);
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
  const Effects sent = r0.tick(1);
  ASSERT_FALSE(sent.send.empty());
  Effects e;
  EXPECT_NO_THROW(e = r1.step(0, sent.send.front().bytes));
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
    sim.add_node([c](const net::NodeContext& context) {
      return std::make_unique<ReplicaNode<L>>(context, c);
    });
  }
  std::map<std::string, L> expected;
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
  explicit SimCluster(std::size_t n, std::uint64_t seed = 5) : sim(seed) {
    for (NodeId id = 0; id < n; ++id) {
      Config c;
      for (NodeId p = 0; p < n; ++p) {
        if (p != id) c.peers.push_back(p);
      }
      sim.add_node([c](const net::NodeContext& context) {
        return std::make_unique<ReplicaNode<Set>>(context, c);
      });
    }
  }
  ReplicaNode<Set>& node(NodeId id) { return static_cast<ReplicaNode<Set>&>(*sim.node(id)); }
  void add(NodeId at, std::uint64_t x) {
    node(at).update("k",
                    [&](Set& s) { return s.add(writer(at) + 1000 * sim.stats().restarts, x); });
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

TEST(AntiEntropyOnSimulator, CrashWithDiskKeepsTheState) {
  SimCluster c(3);
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
