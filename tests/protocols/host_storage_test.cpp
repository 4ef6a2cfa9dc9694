// The host over the simulator's MemoryDisk: a turn's writes are one batch, flushed by defer
// after the turn's other events; a batch the disk refuses sends nothing and rolls back; what a
// host wrote is restored from its prefix at boot.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/host/host.hpp"
#include "protocols/net/simulator.hpp"
#include "protocols/storage/memory_disk.hpp"

namespace calm::protocols::host {
namespace {

/// Persists each note under "note/<text>" and tells node 1 about it; reloads them at boot.
struct Notes {
  using Final = NoFinal;
  static constexpr std::string_view disk_prefix = "note/";

  void restore(std::string key, std::string_view) { restored.push_back(std::move(key)); }
  void step(NodeId, std::string_view, const Input&) {}
  void tick(const Input&) {}
  std::uint64_t tick_delay_ms(bool) const { return 1000; }
  Ready<Final> ready() { return std::exchange(pending, {}); }
  std::uint64_t checkpoint() const { return written; }
  void rollback(std::uint64_t, std::span<const storage::Write> failed, const DurableRead&) {
    rolled_back += failed.size();
  }

  void note(const std::string& text) {
    pending.persist.push_back(storage::Write::put(std::string(disk_prefix) + text, "1"));
    pending.send.push_back({1, text});
    ++written;
  }

  Ready<Final> pending;
  std::uint64_t written = 0;
  std::size_t rolled_back = 0;
  std::vector<std::string> restored;
};

class Sink final : public net::Node {
 public:
  void on_start() override {}
  void on_message(net::NodeId, std::string_view) override {}
  void on_timer(net::TimerId) override {}
};

struct HostedPair {
  HostedPair() : sim(3) {
    sim.add_node([this](const net::NodeContext& c) {
      auto host = std::make_unique<Host<Notes>>(c, Notes{});
      Host<Notes>::Application app;
      app.on_turn_end = [this](const std::string* failure) {
        turn_ends.push_back(failure ? *failure : "ok");
      };
      host->set_application(std::move(app));
      return host;
    });
    sim.add_node([](const net::NodeContext&) { return std::make_unique<Sink>(); });
  }
  Host<Notes>& host() { return static_cast<Host<Notes>&>(*sim.node(0)); }
  void note_at(std::uint64_t time, std::string text) {
    sim.at(time, [this, text] { host().apply([&](Notes& n) { n.note(text); }); });
  }

  net::Simulator sim;
  std::vector<std::string> turn_ends;
};

TEST(HostOnMemoryDisk, TheWritesOfOneTurnAreOneBatchFlushedAfterTheTurn) {
  HostedPair p;
  p.note_at(5, "a");
  p.note_at(5, "b");  // queued before the first note's flush: the same turn
  p.note_at(6, "c");
  p.sim.run_until(10);
  EXPECT_EQ(p.host().batches_written(), 2u);
  EXPECT_EQ(p.turn_ends, (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(p.sim.disk(0).get("note/b"), "1");
  EXPECT_EQ(p.sim.stats().sent, 3u);
}

TEST(HostOnMemoryDisk, ABatchTheDiskRefusesSendsNothingAndRollsBack) {
  HostedPair p;
  p.sim.at(4, [&] { p.sim.disk(0).fail_writes(true); });
  p.note_at(5, "a");
  p.sim.at(6, [&] { p.sim.disk(0).fail_writes(false); });
  p.note_at(7, "b");
  p.sim.run_until(10);
  EXPECT_EQ(p.host().batches_failed(), 1u);
  EXPECT_EQ(p.host().batches_written(), 1u);
  EXPECT_EQ(p.host().protocol().rolled_back, 1u);
  ASSERT_EQ(p.turn_ends.size(), 2u);
  EXPECT_NE(p.turn_ends[0].find("fail writes"), std::string::npos) << p.turn_ends[0];
  EXPECT_EQ(p.sim.disk(0).get("note/a"), std::nullopt);
  EXPECT_EQ(p.sim.stats().sent, 1u);  // b only
}

TEST(HostOnMemoryDisk, ARestartedHostRestoresWhatSurvivedUnderItsPrefixOnly) {
  HostedPair p;
  p.sim.disk(0).put("meta/x", "not ours", storage::Sync::yes);  // sorts first
  p.note_at(5, "a");
  p.sim.at(6, [&] { p.sim.disk(0).sync(); });
  p.note_at(7, "b");
  p.sim.run_until(10);
  p.sim.crash(0, net::DiskFate::keep);  // "a" is synced; "b" may or may not survive
  p.sim.restart(0);
  const std::vector<std::string>& restored = p.host().protocol().restored;
  ASSERT_GE(restored.size(), 1u);
  EXPECT_EQ(restored[0], "a");
  EXPECT_LE(restored.size(), 2u);
}

}  // namespace
}  // namespace calm::protocols::host
