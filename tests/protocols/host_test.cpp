// The protocol host's contract (protocols/host/host.hpp), with anti-entropy as its protocol:
// a turn's inputs become one storage batch; nothing leaves before that batch is written (and
// synced when the protocol asks); a batch that cannot be written sends nothing, tells the
// application, and rolls the protocol back to the disk; a power cut loses only unsynced
// batches, and the replicas still converge.
#include "protocols/host/host.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lattices/aw_set.hpp"
#include "lattices/serialize.hpp"
#include "protocols/anti_entropy/node.hpp"
#include "protocols/net/simulator.hpp"
#include "protocols/storage/memory_disk.hpp"
#include "scripted_transport.hpp"

namespace calm::protocols::host {
namespace {

using Set = lattices::AWSet<std::uint64_t>;
using SetNode = anti_entropy::ReplicaNode<Set>;
using Hosted = testing::Hosted<SetNode>;

anti_entropy::Config config_with(std::vector<NodeId> peers) {
  anti_entropy::Config c;
  c.peers = std::move(peers);
  c.fanout = 8;
  c.gossip_interval_ms = 100;
  return c;
}

/// Two replicas, 0 and 1, each on its own scripted transport and MemoryDisk; the test moves
/// the messages and ends the turns.
struct Pair {
  explicit Pair(HostOptions options = {}) {
    for (NodeId id = 0; id < 2; ++id) {
      nodes.push_back(std::make_unique<Hosted>(id, SetNode::merge_function()));
      nodes.back()->boot([&](const net::NodeContext& context) {
        return std::make_unique<SetNode>(context, config_with({1 - id}), options);
      });
    }
  }
  Hosted& operator[](NodeId id) { return *nodes.at(id); }
  SetNode& node(NodeId id) { return *nodes.at(id)->node; }
  void add(NodeId at, std::uint64_t x, const std::string& key = "k") {
    node(at).update(key, [&](Set& s) { return s.add(100 + at, x); });
  }
  /// A gossip round at `id` (its timer fires), in the current turn.
  void gossip(NodeId id) {
    nodes.at(id)->transport.advance(1000);
    node(id).on_timer(0);
  }
  /// Hands every message sent so far to its receiver, each in the current turn of the
  /// receiver; returns how many.
  std::size_t deliver() {
    std::size_t n = 0;
    for (NodeId from = 0; from < 2; ++from) {
      auto sent = std::move(nodes.at(from)->transport.sent);
      nodes.at(from)->transport.sent.clear();
      for (auto& [to, bytes] : sent) {
        node(to).on_message(from, bytes);
        ++n;
      }
    }
    return n;
  }
  /// Gossip and deliver, each a turn, until nothing moves (at most `turns_max` turns).
  void settle(std::size_t turns_max = 40) {
    for (std::size_t i = 0; i < turns_max; ++i) {
      gossip(i % 2);
      end_turns();
      if (deliver() == 0 && i > 2) return;
      end_turns();
    }
  }
  void end_turns() {
    for (auto& n : nodes) n->transport.end_turn();
  }
  std::vector<std::unique_ptr<Hosted>> nodes;
};

std::optional<Set> on_disk(const storage::Disk& disk, const std::string& key) {
  auto bytes = disk.get("state/" + key);
  return bytes ? std::optional<Set>(lattices::from_bytes<Set>(*bytes)) : std::nullopt;
}

TEST(Host, ATurnsInputsBecomeOneStorageBatch) {
  Pair p;
  p.settle();
  const std::uint64_t before = p[0].disk.batches_written();
  // One turn at 0: five writes to three keys, a gossip round, and the ack of 1's frame.
  for (std::uint64_t x = 1; x <= 5; ++x) p.add(0, x, "k" + std::to_string(x % 3));
  p.add(1, 50);
  p.gossip(1);
  p[1].transport.end_turn();
  ASSERT_EQ(p.deliver(), 1u);  // 1's delta reaches 0 in 0's open turn
  p.gossip(0);
  EXPECT_EQ(p[0].transport.deferred(), 1u);  // one flush for the whole turn
  p[0].transport.end_turn();
  EXPECT_EQ(p[0].disk.batches_written(), before + 1);
  EXPECT_EQ(p.node(0).batches_written(), p[0].disk.batches_written());
  for (const char* key : {"k0", "k1", "k2", "k"}) {
    EXPECT_EQ(on_disk(p[0].disk, key), p.node(0).replica().get(key)) << key;
  }
  // A turn with nothing to persist writes no batch.
  p[0].transport.end_turn();
  p.gossip(0);
  p[0].transport.sent.clear();
  p[0].transport.end_turn();
  EXPECT_EQ(p[0].disk.batches_written(), before + 1);
}

TEST(Host, NothingIsSentBeforeItsBatchIsWrittenAndSynced) {
  Pair p;
  p.settle();
  bool checked = false;
  p[0].transport.on_send = [&](NodeId, const std::string&) {
    // The write this round carries is on the disk, and synced: a power cut now keeps it.
    EXPECT_EQ(on_disk(p[0].disk, "k"), p.node(0).replica().get("k"));
    EXPECT_EQ(p[0].disk.unsynced_batches(), 0u);
    checked = true;
  };
  p.add(0, 7);
  p.gossip(0);
  EXPECT_TRUE(p[0].transport.sent.empty());  // not before the end of the turn
  p[0].transport.end_turn();
  EXPECT_TRUE(checked);
  // The receiver's ack leaves after the receiver's batch holds the delta.
  bool ack_checked = false;
  p[1].transport.on_send = [&](NodeId, const std::string&) {
    EXPECT_TRUE(on_disk(p[1].disk, "k").value_or(Set{}).contains(7));
    ack_checked = true;
  };
  p.deliver();
  p[1].transport.end_turn();
  EXPECT_TRUE(ack_checked);
}

TEST(Host, OnlyAProtocolsSyncRequestOrTheOptionSyncsABatch) {
  Pair p;
  p.settle();
  p.add(0, 1);
  p[0].transport.end_turn();
  p.add(0, 2);
  p[0].transport.end_turn();
  EXPECT_EQ(p[0].disk.unsynced_batches(), 2u);  // local writes, not sent yet
  p.gossip(0);
  p[0].transport.end_turn();
  EXPECT_EQ(p[0].disk.unsynced_batches(), 0u);  // the round that sends them synced first
  // The receiver's batch (a peer's writes and the ack) is not synced.
  p.deliver();
  p[1].transport.end_turn();
  EXPECT_EQ(p[1].disk.unsynced_batches(), 1u);

  HostOptions every;
  every.sync_every_batch = storage::Sync::yes;
  Pair q(every);
  q.add(0, 1);
  q[0].transport.end_turn();
  EXPECT_EQ(q[0].disk.unsynced_batches(), 0u);
  EXPECT_GT(q[0].disk.batches_written(), 0u);
}

TEST(Host, ABatchThatCannotBeWrittenSendsNothingAndRollsTheProtocolBack) {
  Pair p;
  p.add(0, 1);
  p.settle();
  ASSERT_EQ(p.node(1).replica().get("k"), p.node(0).replica().get("k"));
  std::vector<std::optional<std::string>> turns;
  p.node(0).set_application({.on_final = {},
                             .on_turn_end =
                                 [&](const std::string* failure) {
                                   turns.push_back(failure ? std::optional(*failure)
                                                           : std::nullopt);
                                 },
                             .wall_clock = {},
                             .background_sync = {}});
  const Set before = p.node(0).replica().get("k");
  const std::size_t buffered = p.node(0).replica().buffered_entries();
  const std::uint64_t written = p[0].disk.batches_written();

  p[0].disk.fail_writes(true);  // a full disk
  p.add(0, 2);
  p.add(0, 3, "fresh");
  p.gossip(0);
  p[0].transport.end_turn();
  EXPECT_TRUE(p[0].transport.sent.empty());
  ASSERT_EQ(turns.size(), 1u);
  ASSERT_TRUE(turns[0].has_value());
  EXPECT_FALSE(turns[0]->empty());
  EXPECT_EQ(p.node(0).batches_failed(), 1u);
  EXPECT_EQ(p[0].disk.batches_written(), written);
  // The protocol is back where the disk is.
  EXPECT_EQ(p.node(0).replica().get("k"), before);
  EXPECT_EQ(p.node(0).replica().state().count("fresh"), 0u);
  EXPECT_EQ(p.node(0).replica().buffered_entries(), buffered);

  // The disk recovers: later writes go out, the failed ones never do.
  p[0].disk.fail_writes(false);
  p.add(0, 4);
  p[0].transport.end_turn();
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_FALSE(turns[1].has_value());
  p.settle();
  EXPECT_EQ(p.node(1).replica().get("k").elements(), (std::vector<std::uint64_t>{1, 4}));
  EXPECT_EQ(p.node(1).replica().state().count("fresh"), 0u);
  EXPECT_EQ(p.node(1).replica().state(), p.node(0).replica().state());
}

/// A background sync the test completes by hand: each request remembers how many batches the
/// disk had written when it was made (what it covers).
struct ManualSync {
  struct Request {
    std::uint64_t covers = 0;
    std::function<void(const std::string*)> done;
  };
  explicit ManualSync(storage::MemoryDisk& d) : disk(d) {}
  std::function<void(std::function<void(const std::string*)>)> hook() {
    return [this](std::function<void(const std::string*)> done) {
      requests.push_back({disk.batches_written(), std::move(done)});
    };
  }
  /// The oldest request's sync is done.
  void finish(const std::string* failure = nullptr) {
    Request r = std::move(requests.front());
    requests.erase(requests.begin());
    if (failure == nullptr) disk.sync_through(r.covers);
    r.done(failure);
  }
  storage::MemoryDisk& disk;
  std::vector<Request> requests;
};

TEST(Host, ABackgroundSyncHoldsATurnsSendsUntilItsBatchIsSynced) {
  Pair p;
  p.settle();
  ManualSync sync(p[0].disk);
  std::size_t turns_ended = 0;
  p.node(0).set_application({.on_final = {},
                             .on_turn_end =
                                 [&](const std::string* failure) {
                                   EXPECT_EQ(failure, nullptr);
                                   ++turns_ended;
                                 },
                             .wall_clock = {},
                             .background_sync = sync.hook()});
  std::size_t checked_sends = 0;
  p[0].transport.on_send = [&](NodeId, const std::string&) {
    // What leaves depends on turn 1's batch, synced by now; only turn 2's may not be.
    EXPECT_LE(p[0].disk.unsynced_batches(), 1u);
    EXPECT_TRUE(on_disk(p[0].disk, "k").value_or(Set{}).contains(7));
    ++checked_sends;
  };
  // Turn 1: a write and a gossip round (which asks for a sync). The batch is written at once,
  // unsynced; the round waits for the sync.
  p.add(0, 7);
  p.gossip(0);
  p[0].transport.end_turn();
  EXPECT_EQ(on_disk(p[0].disk, "k"), p.node(0).replica().get("k"));
  EXPECT_EQ(p[0].disk.unsynced_batches(), 1u);
  EXPECT_TRUE(p[0].transport.sent.empty());
  EXPECT_EQ(turns_ended, 0u);
  ASSERT_EQ(sync.requests.size(), 1u);
  EXPECT_EQ(p.node(0).turns_held(), 1u);
  // Turn 2 runs meanwhile; its round waits behind turn 1's, and for a sync of its own: one
  // sync at a time, so none is asked for yet.
  p.add(0, 8);
  p.gossip(0);
  p[0].transport.end_turn();
  EXPECT_EQ(p.node(0).turns_held(), 2u);
  EXPECT_EQ(sync.requests.size(), 1u);
  // The first sync ends: turn 1 goes out; turn 2's batch was written after it started, so it
  // waits for the next one, asked for now.
  sync.finish();
  EXPECT_EQ(p[0].disk.unsynced_batches(), 1u);
  EXPECT_EQ(checked_sends, 1u);
  EXPECT_EQ(turns_ended, 1u);
  EXPECT_EQ(p.node(0).turns_held(), 1u);
  ASSERT_EQ(sync.requests.size(), 1u);
  sync.finish();
  EXPECT_EQ(p[0].disk.unsynced_batches(), 0u);
  EXPECT_EQ(checked_sends, 2u);
  EXPECT_EQ(turns_ended, 2u);
  EXPECT_EQ(p.node(0).turns_held(), 0u);
  EXPECT_EQ(p.node(0).background_syncs(), 2u);
  // The replicas converge as they do with syncs in the flush.
  p.settle();
  while (!sync.requests.empty()) {
    sync.finish();
    p.settle();
  }
  EXPECT_TRUE(p.node(1).replica().get("k").contains(7));
  EXPECT_TRUE(p.node(1).replica().get("k").contains(8));
}

TEST(Host, AFailedBackgroundSyncStopsTheHostForGood) {
  Pair p;
  p.settle();
  ManualSync sync(p[0].disk);
  p.node(0).set_application(
      {.on_final = {}, .on_turn_end = {}, .wall_clock = {}, .background_sync = sync.hook()});
  p.add(0, 7);
  p.gossip(0);
  p[0].transport.end_turn();
  p.add(0, 8);
  p.gossip(0);
  p[0].transport.end_turn();  // held behind the first
  ASSERT_EQ(sync.requests.size(), 1u);
  const std::string failure = "I/O error";
  EXPECT_THROW(sync.finish(&failure), storage::StorageError);
  // Nothing held leaves, no sync is asked for again, and the next turn refuses to run.
  EXPECT_EQ(p.node(0).turns_held(), 0u);
  EXPECT_TRUE(sync.requests.empty());
  p.add(0, 9);
  EXPECT_THROW(p[0].transport.end_turn(), storage::StorageError);
  EXPECT_TRUE(p[0].transport.sent.empty());
  EXPECT_TRUE(sync.requests.empty());
}

TEST(Host, ASyncThatEndsAfterItsHostIsGoneReleasesNothing) {
  Pair p;
  p.settle();
  ManualSync sync(p[0].disk);
  p.node(0).set_application(
      {.on_final = {}, .on_turn_end = {}, .wall_clock = {}, .background_sync = sync.hook()});
  p.add(0, 8);
  p.gossip(0);
  p[0].transport.end_turn();
  ASSERT_EQ(sync.requests.size(), 1u);
  p[0].boot([&](const net::NodeContext& context) {
    return std::make_unique<SetNode>(context, config_with({1}), HostOptions{});
  });
  sync.finish();
  EXPECT_TRUE(p[0].transport.sent.empty());
}

/// A restarted host may hold what it restored only in the page cache (the process died before
/// its sync ended): the first turn that sends anything waits for a sync, even one that asks for
/// none (an ack of a peer's delta).
TEST(Host, AfterABootTheFirstTurnThatSendsWaitsForABackgroundSync) {
  Pair p;
  p.settle();
  ManualSync sync(p[0].disk);
  p[0].boot([&](const net::NodeContext& context) {
    return std::make_unique<SetNode>(context, config_with({1}), HostOptions{});
  });
  p.node(0).set_application(
      {.on_final = {}, .on_turn_end = {}, .wall_clock = {}, .background_sync = sync.hook()});
  p[0].transport.sent.clear();
  for (std::uint64_t x : {5, 6}) {
    p.add(1, x);
    p.gossip(1);
    p[1].transport.end_turn();
    ASSERT_EQ(p.deliver(), 1u);
    p[0].transport.end_turn();
    if (x == 5) {
      // The ack waits for a sync it did not ask for.
      EXPECT_TRUE(p[0].transport.sent.empty());
      ASSERT_EQ(sync.requests.size(), 1u);
      sync.finish();
    } else {
      EXPECT_TRUE(sync.requests.empty());  // once synced since the boot, acks go at once
    }
    EXPECT_EQ(p[0].transport.sent.size(), 1u) << x;
    p[0].transport.sent.clear();
  }
}

TEST(Host, AFailedBatchOfReceivedDeltasSendsNoAck) {
  Pair p;
  p.settle();
  p.add(1, 5);
  p.gossip(1);
  p[1].transport.end_turn();
  p[0].disk.fail_writes(true);
  ASSERT_EQ(p.deliver(), 1u);
  p[0].transport.end_turn();
  EXPECT_TRUE(p[0].transport.sent.empty());  // no ack for what is not on the disk
  EXPECT_FALSE(p.node(0).replica().get("k").contains(5));
  EXPECT_EQ(p.node(1).replica().peers_holding(p.node(1).replica().last_seq()), 0u);
  // 1 sends it again once 0 can write.
  p[0].disk.fail_writes(false);
  p.settle();
  EXPECT_TRUE(p.node(0).replica().get("k").contains(5));
  EXPECT_EQ(on_disk(p[0].disk, "k"), p.node(0).replica().get("k"));
}

TEST(Host, ARestartRestoresWhatTheBatchesWrote) {
  Pair p;
  for (std::uint64_t x = 0; x < 20; ++x) {
    p.add(x % 2, x, "k" + std::to_string(x % 4));
    if (x % 3 == 0) p.gossip(x % 2);
    p.end_turns();
    p.deliver();
    p.end_turns();
  }
  const auto state = p.node(0).replica().state();
  SetNode& reborn = p[0].boot([](const net::NodeContext& context) {
    return std::make_unique<SetNode>(context, config_with({1}));
  });
  EXPECT_EQ(reborn.replica().state(), state);
}

// ---- power cuts on the simulator ---------------------------------------------------------

/// Three replicas on the simulator; clients write to every up node; power cuts (crashes that
/// keep the disk) hit random nodes. Each write is checked as the host reports it: `written`
/// once its batch is written (on_turn_end), `held` once a peer acknowledged it.
struct PowerCuts {
  struct Write {
    NodeId at;
    std::uint64_t element;
    std::uint64_t seq;
    bool written = false;
    bool held = false;
  };

  PowerCuts(std::uint64_t seed, HostOptions host_options) : sim(seed), options(host_options) {
    for (NodeId id = 0; id < 3; ++id) {
      anti_entropy::Config c = config_with({});
      for (NodeId p = 0; p < 3; ++p) {
        if (p != id) c.peers.push_back(p);
      }
      c.fanout = 2;
      sim.add_node(
          [this, c](const net::NodeContext& context) {
            auto node = std::make_unique<SetNode>(context, c, this->options);
            const NodeId self = context.transport.self();
            node->set_application({.on_final = {},
                                   .on_turn_end =
                                       [this, self](const std::string* failure) {
                                         if (failure == nullptr) mark_written(self);
                                       },
                                   .wall_clock = {},
                                   .background_sync = {}});
            return node;
          },
          SetNode::merge_function());
    }
  }
  SetNode& node(NodeId id) { return static_cast<SetNode&>(*sim.node(id)); }

  void mark_written(NodeId id) {
    for (Write& w : writes) {
      if (w.at == id && !w.written && w.seq != 0) w.written = true;
    }
  }
  void mark_held() {
    for (Write& w : writes) {
      if (w.written && w.seq != 0 && sim.is_up(w.at) &&
          node(w.at).replica().peers_holding(w.seq) > 0) {
        w.held = true;
      }
    }
  }
  void forget_unwritten(NodeId id) {
    // A crash before its turn ended: the write was never reported written; its seq belongs
    // to the life that ended (a new life numbers from 1 again).
    for (Write& w : writes) {
      if (w.at == id) w.seq = 0;
    }
  }

  /// Runs `steps` of 20 ms: a write at a random up node, now and then a power cut of a node
  /// and its restart 50 ms later. After each restart, the restarted node must hold every write
  /// of its own that `must_survive` says a power cut cannot take.
  template <class MustSurvive>
  void run(std::size_t steps, MustSurvive must_survive) {
    calm::SplitMix64& random = sim.random();
    std::uint64_t element = 1;
    for (std::size_t step = 0; step < steps; ++step) {
      const NodeId at = random.below(3);
      if (sim.is_up(at)) {
        const std::uint64_t x = element++;
        // The same CRDT writer id across power cuts: only sound because a dot leaves the
        // node only once synced (a lost, unsent dot may be made again).
        const std::uint64_t seq = node(at).update("k", [&](Set& s) { return s.add(100 + at, x); });
        writes.push_back({at, x, seq});
      }
      if (step % 7 == 3) {
        const NodeId victim = random.below(3);
        if (sim.is_up(victim)) {
          mark_held();
          sim.crash(victim, net::DiskFate::keep);
          forget_unwritten(victim);
          sim.at(sim.now_ms() + 50, [this, victim, &must_survive] {
            sim.restart(victim);
            const Set restored = node(victim).replica().get("k");
            for (const Write& w : writes) {
              if (w.at == victim && must_survive(w)) {
                EXPECT_TRUE(restored.contains(w.element))
                    << "write " << w.element << " at " << victim << " lost by a power cut";
              }
            }
          });
        }
      }
      sim.run_for(20);
      mark_held();
    }
    for (NodeId id = 0; id < 3; ++id) sim.restart(id);
    sim.run_for(3000);
    mark_held();
  }

  net::Simulator sim;
  HostOptions options;
  std::vector<Write> writes;
};

TEST(HostOnSimulator, APowerCutLosesOnlyUnsyncedBatchesAndTheReplicasConverge) {
  std::uint64_t lost = 0;
  std::uint64_t held = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    PowerCuts run(seed, HostOptions{});
    // Without a sync per batch, a write a peer acknowledged was synced by its writer first.
    run.run(200, [](const PowerCuts::Write& w) { return w.held; });
    const Set final = run.node(0).replica().get("k");
    for (NodeId id = 1; id < 3; ++id) {
      EXPECT_EQ(run.node(id).replica().get("k"), final) << "seed " << seed << " replica " << id;
    }
    for (const PowerCuts::Write& w : run.writes) {
      if (w.held) {
        EXPECT_TRUE(final.contains(w.element)) << "seed " << seed << " write " << w.element;
        ++held;
      }
    }
    lost += run.sim.stats().batches_lost;
  }
  EXPECT_GT(lost, 0u);  // the power cuts did take unsynced batches
  EXPECT_GT(held, 0u);
}

TEST(HostOnSimulator, WithASyncPerBatchAPowerCutLosesNoWrittenWrite) {
  HostOptions every;
  every.sync_every_batch = storage::Sync::yes;
  std::uint64_t written = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    PowerCuts run(seed, every);
    run.run(200, [](const PowerCuts::Write& w) { return w.written; });
    const Set final = run.node(0).replica().get("k");
    for (NodeId id = 1; id < 3; ++id) {
      EXPECT_EQ(run.node(id).replica().get("k"), final) << "seed " << seed << " replica " << id;
    }
    for (const PowerCuts::Write& w : run.writes) {
      if (w.written) {
        EXPECT_TRUE(final.contains(w.element)) << "seed " << seed << " write " << w.element;
        ++written;
      }
    }
    EXPECT_EQ(run.sim.stats().batches_lost, 0u);
  }
  EXPECT_GT(written, 0u);
}

}  // namespace
}  // namespace calm::protocols::host
