// The simulator's contract: one seed, one run; every fault it promises actually happens.
#include "protocols/net/simulator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lattices/g_counter.hpp"
#include "protocols/storage/lattice_merge.hpp"

namespace calm::protocols::net {
namespace {

/// Sends `burst` numbered messages to every other node on each timer, and records what
/// arrives; its disk counts its boots.
class Chatter final : public Node {
 public:
  Chatter(const NodeContext& context, std::size_t nodes, std::size_t burst,
          std::map<NodeId, std::vector<std::pair<NodeId, std::string>>>& inbox)
      : context_(context), nodes_(nodes), burst_(burst), inbox_(inbox) {}

  void on_start() override {
    const auto boots = context_.disk.get("boots");
    context_.disk.put("boots", std::to_string(boots ? std::stoi(*boots) + 1 : 1),
                      storage::Sync::yes);
    context_.transport.set_timer(10);
  }
  void on_message(NodeId from, std::string_view bytes) override {
    inbox_[context_.transport.self()].emplace_back(from, std::string(bytes));
  }
  void on_timer(TimerId) override {
    for (NodeId to = 0; to < nodes_; ++to) {
      if (to == context_.transport.self()) continue;
      for (std::size_t i = 0; i < burst_; ++i) {
        context_.transport.send(to, std::to_string(sent_++));
      }
    }
    context_.transport.set_timer(10);
  }

 private:
  NodeContext context_;
  std::size_t nodes_;
  std::size_t burst_;
  std::uint64_t sent_ = 0;
  std::map<NodeId, std::vector<std::pair<NodeId, std::string>>>& inbox_;
};

struct Cluster {
  Cluster(std::uint64_t seed, NetworkConfig config, std::size_t nodes = 3, std::size_t burst = 1)
      : sim(seed, config) {
    for (std::size_t i = 0; i < nodes; ++i) {
      sim.add_node([this, nodes, burst](const NodeContext& context) {
        return std::make_unique<Chatter>(context, nodes, burst, inbox);
      });
    }
  }
  std::size_t received(NodeId at, NodeId from) {
    std::size_t n = 0;
    for (const auto& m : inbox[at]) n += m.first == from;
    return n;
  }
  Simulator sim;
  std::map<NodeId, std::vector<std::pair<NodeId, std::string>>> inbox;
};

NetworkConfig faulty() {
  NetworkConfig config;
  config.latency = LatencyShape::exponential;
  config.latency_max_ms = 20;
  config.loss = 0.2;
  config.duplicate = 0.2;
  config.slow = 0.1;
  return config;
}

TEST(Simulator, SameSeedGivesTheSameRunBitForBit) {
  Cluster a(42, faulty());
  Cluster b(42, faulty());
  a.sim.run_until(2000);
  b.sim.run_until(2000);
  EXPECT_EQ(a.sim.trace_digest(), b.sim.trace_digest());
  EXPECT_EQ(a.inbox, b.inbox);
  EXPECT_EQ(a.sim.stats().delivered, b.sim.stats().delivered);
  EXPECT_EQ(a.sim.stats().dropped_loss, b.sim.stats().dropped_loss);
}

TEST(Simulator, DifferentSeedsGiveDifferentRuns) {
  Cluster a(42, faulty());
  Cluster b(43, faulty());
  a.sim.run_until(2000);
  b.sim.run_until(2000);
  EXPECT_NE(a.sim.trace_digest(), b.sim.trace_digest());
}

TEST(Simulator, LossDropsAboutTheConfiguredFraction) {
  NetworkConfig config;
  config.loss = 0.25;
  Cluster c(1, config);
  c.sim.run_until(5000);
  const auto& s = c.sim.stats();
  const double lost = static_cast<double>(s.dropped_loss) / static_cast<double>(s.sent);
  EXPECT_GT(s.sent, 2000u);
  EXPECT_NEAR(lost, 0.25, 0.03);
}

TEST(Simulator, DuplicationDeliversSomeMessagesTwice) {
  NetworkConfig config;
  config.duplicate = 0.3;
  Cluster c(2, config);
  c.sim.run_until(2000);
  const auto& s = c.sim.stats();
  EXPECT_GT(s.duplicated, 0u);
  // Every message's text is unique per sender, so a repeat is a duplicate delivery.
  std::map<std::pair<NodeId, std::string>, int> copies;
  for (const auto& m : c.inbox[0]) ++copies[m];
  EXPECT_TRUE(
      std::any_of(copies.begin(), copies.end(), [](const auto& e) { return e.second == 2; }));
}

TEST(Simulator, JitterReordersMessagesOnALink) {
  NetworkConfig config;
  config.latency_min_ms = 1;
  config.latency_max_ms = 30;
  Cluster c(3, config, 2, 5);
  c.sim.run_until(1000);
  EXPECT_GT(c.sim.stats().reordered, 0u);
  NetworkConfig fixed;
  fixed.latency = LatencyShape::fixed;
  Cluster in_order(3, fixed, 2, 5);
  in_order.sim.run_until(1000);
  EXPECT_EQ(in_order.sim.stats().reordered, 0u);
}

TEST(Simulator, ExponentialLatencyHasALongTail) {
  NetworkConfig config;
  config.latency = LatencyShape::exponential;
  config.latency_min_ms = 1;
  config.latency_max_ms = 10;
  Cluster c(4, config, 2, 5);
  c.sim.run_until(3000);
  EXPECT_GT(c.sim.stats().reordered, 0u);
}

TEST(Simulator, OneWayPartitionBlocksOnlyOneDirection) {
  Cluster c(5, NetworkConfig{}, 2);
  c.sim.block(0, 1);
  c.sim.run_until(1000);
  EXPECT_EQ(c.received(1, 0), 0u);
  EXPECT_GT(c.received(0, 1), 0u);
  EXPECT_GT(c.sim.stats().dropped_partition, 0u);
}

TEST(Simulator, SymmetricPartitionBlocksBothWaysUntilHealed) {
  Cluster c(6, NetworkConfig{}, 3);
  c.sim.partition({0}, {1, 2});
  c.sim.run_until(1000);
  EXPECT_EQ(c.received(0, 1) + c.received(0, 2) + c.received(1, 0) + c.received(2, 0), 0u);
  EXPECT_GT(c.received(1, 2), 0u);
  c.sim.heal();
  c.sim.run_until(2000);
  EXPECT_GT(c.received(0, 1), 0u);
  EXPECT_GT(c.received(2, 0), 0u);
}

TEST(Simulator, ACrashedNodeReceivesNothingAndItsTimersStop) {
  Cluster c(7, NetworkConfig{}, 2);
  c.sim.run_until(100);
  c.sim.crash(1, DiskFate::keep);
  const std::size_t sent_by_1 = c.received(0, 1);
  const std::size_t got_by_1 = c.received(1, 0);
  c.sim.run_until(1000);
  EXPECT_FALSE(c.sim.is_up(1));
  EXPECT_EQ(c.sim.node(1), nullptr);
  EXPECT_LE(c.received(0, 1), sent_by_1 + 1);  // at most what was already in flight
  EXPECT_EQ(c.received(1, 0), got_by_1);
  EXPECT_GT(c.sim.stats().dropped_down, 0u);
}

TEST(Simulator, CrashWithDiskKeepsTheDisk) {
  Cluster c(8, NetworkConfig{}, 2);
  c.sim.crash(1, DiskFate::keep);
  c.sim.restart(1);
  EXPECT_EQ(c.sim.disk(1).get("boots"), "2");
  EXPECT_EQ(c.sim.stats().crashes, 1u);
  EXPECT_EQ(c.sim.stats().restarts, 1u);
}

TEST(Simulator, CrashWithoutDiskRestartsEmpty) {
  Cluster c(9, NetworkConfig{}, 2);
  c.sim.crash(1, DiskFate::wipe);
  EXPECT_EQ(c.sim.disk(1).size(), 0u);
  c.sim.restart(1);
  EXPECT_EQ(c.sim.disk(1).get("boots"), "1");
}

TEST(Simulator, RestartedNodeRunsAgain) {
  Cluster c(10, NetworkConfig{}, 2);
  c.sim.crash(1, DiskFate::keep);
  c.sim.run_until(500);
  const std::size_t before = c.received(0, 1);
  c.sim.restart(1);
  c.sim.run_until(1000);
  EXPECT_GT(c.received(0, 1), before);
}

TEST(Simulator, InFlightBoundDropsTheExcess) {
  NetworkConfig config;
  config.latency = LatencyShape::fixed;
  config.latency_min_ms = 1000;
  config.in_flight_max = 10;
  Cluster c(11, config, 2, 20);
  c.sim.run_until(20);
  EXPECT_GT(c.sim.stats().dropped_overflow, 0u);
  c.sim.run_until(3000);
  EXPECT_LE(c.sim.stats().delivered, c.sim.stats().sent);
}

TEST(Simulator, ActionsRunAtTheirTime) {
  Simulator sim(12);
  std::vector<std::uint64_t> seen;
  sim.at(30, [&] { seen.push_back(sim.now_ms()); });
  sim.at(10, [&] { seen.push_back(sim.now_ms()); });
  sim.run_until(100);
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{10, 30}));
  EXPECT_EQ(sim.now_ms(), 100u);
}

/// A node that does nothing by itself; tests drive it through its transport and disk.
class Idle final : public Node {
 public:
  explicit Idle(const NodeContext& node_context) : context(node_context) {}
  void on_start() override {}
  void on_message(NodeId, std::string_view) override {}
  void on_timer(TimerId) override {}
  NodeContext context;
};

Idle& idle(Simulator& sim, NodeId id) { return static_cast<Idle&>(*sim.node(id)); }

NodeId add_idle(Simulator& sim, storage::MergeFunction merge = {}) {
  return sim.add_node([](const NodeContext& c) { return std::make_unique<Idle>(c); },
                      std::move(merge));
}

TEST(Simulator, ADeferredCallRunsNowAfterTheEventsAlreadyQueuedForNow) {
  Simulator sim(20);
  const NodeId id = add_idle(sim);
  std::vector<std::string> seen;
  sim.at(5, [&] {
    idle(sim, id).context.transport.defer(
        [&] { seen.push_back("deferred@" + std::to_string(sim.now_ms())); });
    seen.push_back("first");
  });
  sim.at(5, [&] { seen.push_back("second"); });
  sim.at(6, [&] { seen.push_back("later"); });
  sim.run_until(10);
  EXPECT_EQ(seen, (std::vector<std::string>{"first", "second", "deferred@5", "later"}));
}

TEST(Simulator, ACrashDropsTheCallsItsNodeDeferredEvenWhenItRestartsAtOnce) {
  Simulator sim(21);
  const NodeId id = add_idle(sim);
  int ran = 0;
  sim.at(5, [&] { idle(sim, id).context.transport.defer([&] { ++ran; }); });
  sim.at(5, [&] {
    sim.crash(id, DiskFate::keep);
    sim.restart(id);
  });
  sim.at(7, [&] { idle(sim, id).context.transport.defer([&] { ran += 10; }); });
  sim.run_until(10);
  EXPECT_EQ(ran, 10);  // only the one the new life deferred
}

/// The key of the i-th unsynced batch (keys in write order are in byte order too).
std::string unsynced_key(int i) { return std::to_string(100 + i); }

/// Writes `n` unsynced batches after one synced one on node `id`, crashes it keeping its disk,
/// and returns how many of the unsynced survived, checking that they are the first ones.
std::size_t power_cut_survivors(Simulator& sim, NodeId id, int n) {
  storage::Disk& disk = idle(sim, id).context.disk;
  disk.put("synced", "s", storage::Sync::yes);
  for (int i = 0; i < n; ++i) disk.put(unsynced_key(i), "v");
  sim.crash(id, DiskFate::keep);
  EXPECT_EQ(sim.disk(id).get("synced"), "s");
  std::size_t survivors = 0;
  for (int i = 0; i < n; ++i) {
    if (!sim.disk(id).get(unsynced_key(i))) break;
    ++survivors;
  }
  EXPECT_EQ(sim.disk(id).size(), 1 + survivors) << "a later batch survived an earlier one lost";
  return survivors;
}

TEST(Simulator, APowerCutKeepsTheSyncedBatchesAndARandomPrefixOfTheOthers) {
  std::set<std::size_t> lengths;
  std::uint64_t lost = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    Simulator sim(seed);
    const NodeId id = add_idle(sim);
    lengths.insert(power_cut_survivors(sim, id, 8));
    lost += sim.stats().batches_lost;
  }
  // Thirty draws from 0..8: some cut lost everything unsynced, some kept a part.
  EXPECT_GE(lengths.size(), 4u);
  EXPECT_GT(lost, 0u);
}

TEST(Simulator, OneSeedIsOnePowerCut) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    Simulator a(seed), b(seed);
    const NodeId ia = add_idle(a), ib = add_idle(b);
    EXPECT_EQ(power_cut_survivors(a, ia, 8), power_cut_survivors(b, ib, 8));
    EXPECT_EQ(a.trace_digest(), b.trace_digest());
  }
}

TEST(Simulator, ANodesDiskFoldsMergesWithTheFunctionItWasAddedWith) {
  using lattices::GCounter;
  Simulator sim(22);
  const NodeId with = add_idle(sim, &storage::lattice_merge<GCounter<>>);
  const NodeId without = add_idle(sim);
  GCounter<> c;
  const std::vector<storage::Write> batch{
      storage::Write::merge("n", lattices::to_bytes(c.increment(1, 2))),
      storage::Write::merge("n", lattices::to_bytes(c.increment(2, 3)))};
  idle(sim, with).context.disk.write(batch, storage::Sync::yes);
  EXPECT_EQ(lattices::from_bytes<GCounter<>>(sim.disk(with).get("n").value()).value(), 5u);
  EXPECT_THROW(idle(sim, without).context.disk.write(batch, storage::Sync::yes),
               storage::StorageError);
  // The function stays with the disk across a crash.
  sim.crash(with, DiskFate::wipe);
  sim.restart(with);
  idle(sim, with).context.disk.write(batch, storage::Sync::no);
  EXPECT_EQ(lattices::from_bytes<GCounter<>>(sim.disk(with).get("n").value()).value(), 5u);
}

}  // namespace
}  // namespace calm::protocols::net
