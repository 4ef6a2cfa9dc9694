// Multi-Paxos scenarios scripted message by message (paxos_test.cpp sweeps random ones):
// five replicas driven by hand, every step a delay, loss or partition of the fault model.
#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <map>
#include <vector>

#include "paxos_sim.hpp"

namespace calm::protocols::paxos {
namespace {

using sim::Kv;
using R = Replica<Kv>;

struct Net {
  std::vector<R> r;
  std::uint64_t now = 0;
  struct Msg {
    NodeId from, to;
    std::string bytes;
  };
  std::deque<Msg> wire;  // sent, not yet delivered
  std::vector<Reply> replies;

  Net() {
    for (NodeId i = 0; i < 5; ++i) {
      Config c;
      c.self = i;
      c.members = {0, 1, 2, 3, 4};
      c.seed = 100 + i;
      c.election_timeout_ms = 100;
      c.heartbeat_ms = 20;
      c.resend_ms = 1000000;  // no resends: keeps the script readable
      r.emplace_back(c, Kv{});
    }
  }
  host::Input in() {
    host::Input i;
    i.now_ms = now;
    return i;
  }
  void collect(NodeId id) {
    auto ready = r[id].ready();
    for (auto& o : ready.send_first) wire.push_back({id, o.to, std::move(o.bytes)});
    for (auto& o : ready.send) wire.push_back({id, o.to, std::move(o.bytes)});
    for (auto& f : ready.final) replies.push_back(f);
    // As a host that writes each batch at once: it is durable now, and what that decides
    // (the leader's own vote) goes out with the next.
    if (r[id].durable(++flushes[id])) collect(id);
  }
  std::uint64_t flushes[5] = {};
  void tick(NodeId id) {
    r[id].tick(in());
    collect(id);
  }
  void start_all() {
    for (NodeId i = 0; i < 5; ++i) tick(i);
  }
  /// Delivers every queued message from `from` to `to` (either may be -1 for any) for which
  /// `keep` says yes; drops the others only if `drop` is set.
  template <class Pred>
  int deliver(Pred pred) {
    int n = 0;
    std::deque<Msg> rest;
    std::deque<Msg> now_;
    now_.swap(wire);
    for (auto& m : now_) {
      if (pred(m)) {
        r[m.to].step(m.from, m.bytes, in());
        collect(m.to);
        ++n;
      } else {
        rest.push_back(std::move(m));
      }
    }
    for (auto& m : wire) rest.push_back(std::move(m));
    wire.swap(rest);
    return n;
  }
  void drop(std::function<bool(const Msg&)> pred) {
    std::deque<Msg> rest;
    for (auto& m : wire)
      if (!pred(m)) rest.push_back(std::move(m));
    wire.swap(rest);
  }
  int deliver_all_between(std::set<NodeId> side) {
    int total = 0, n;
    do {
      n = deliver([&](const Msg& m) { return side.count(m.from) && side.count(m.to); });
      total += n;
    } while (n > 0);
    return total;
  }
  static int kind(const Msg& m) { return static_cast<unsigned char>(m.bytes[1]); }
};

void submit_w(Net& n) {
  // Node 0, still leader at (2,0) on its side, puts command w in slot 1; node 1 accepts it.
  n.r[0].submit(12, 1, "p k w 12.1");
  n.collect(0);
  n.drop([](const Net::Msg& m) { return m.from == 0 && m.to != 1; });
  n.deliver_all_between({0, 1});
}

/// A deposed leader, cut off with one follower, hears (through a slow answer to a Learn it
/// sent as a follower) that a newer leader chose v in slot 1, while it proposes w there,
/// before or after. Five replicas; every step is a delay, a loss or a partition. Found by a
/// review: the old leader took the Chosen into its commit index, and its follower then took
/// its own accepted w as chosen.
class PaxosScenario : public ::testing::TestWithParam<bool> {};

TEST_P(PaxosScenario, ALeaderCutOffNeverVouchesForASlotANewerLeaderChose) {
  const bool learn_first = GetParam();
  Net n;
  n.start_all();
  // Node 2 becomes leader at (1,2).
  n.now = 300;
  n.tick(2);
  n.deliver_all_between({0, 1, 2, 3, 4});
  ASSERT_TRUE(n.r[2].is_leader());
  // Command a: its Accept reaches 3 and 4 only (lost to 0 and 1). Chosen at slot 0.
  n.r[2].submit(10, 1, "p k a 10.1");
  n.collect(2);
  n.drop([](const Net::Msg& m) { return m.to == 0 || m.to == 1; });
  n.deliver_all_between({2, 3, 4});
  ASSERT_EQ(n.r[2].commit_index(), 1u);
  // Node 2's Heartbeat (commit 1) reaches node 0, which asks node 2 for slot 0 (Learn{0}).
  n.now = 330;
  n.tick(2);
  n.deliver([](const Net::Msg& m) { return m.from == 2 && m.to == 0; });
  n.drop([](const Net::Msg& m) { return m.from == 2; });
  n.now = 340;
  n.tick(0);
  // the Learn{0} to node 2: held back (a slow message); node 0's HeartbeatAck dropped
  Net::Msg learn{};
  bool found = false;
  for (auto& m : n.wire) {
    if (std::holds_alternative<Learn>(decode_message(m.bytes, {}))) {
      learn = m;
      found = true;
    }
  }
  ASSERT_TRUE(found);
  n.wire.clear();
  // Node 0 campaigns; its Prepare reaches 1 and 3: leader at (2,0), re-proposes slot 0 = a;
  // the Accept for slot 0 reaches node 1 only.
  n.now = 600;
  n.tick(0);
  n.deliver([](const Net::Msg& m) { return m.from == 0 && (m.to == 1 || m.to == 3); });
  n.drop([](const Net::Msg& m) { return m.from == 0 && (m.to == 2 || m.to == 4); });
  n.deliver([](const Net::Msg& m) { return m.to == 0; });  // the Promises
  ASSERT_TRUE(n.r[0].is_leader());
  n.deliver([](const Net::Msg& m) { return m.from == 0 && m.to == 1; });
  n.drop([](const Net::Msg& m) { return m.from == 0 || m.to == 0; });
  // Partition {0,1} | {2,3,4}. Node 2's Heartbeat to 3 is refused (3 promised (2,0)): node 2
  // steps down, campaigns at (3,2) with 3 and 4, and chooses command v in slot 1.
  n.now = 620;
  n.tick(2);
  n.drop([](const Net::Msg& m) { return m.to == 0 || m.to == 1; });
  n.deliver_all_between({2, 3, 4});
  ASSERT_FALSE(n.r[2].is_leader());
  n.now = 1000;
  n.tick(2);
  n.drop([](const Net::Msg& m) { return m.to == 0 || m.to == 1; });
  n.deliver_all_between({2, 3, 4});
  ASSERT_TRUE(n.r[2].is_leader());
  n.r[2].submit(11, 1, "p k v 11.1");
  n.collect(2);
  n.drop([](const Net::Msg& m) { return m.to == 0 || m.to == 1; });
  n.deliver_all_between({2, 3, 4});
  ASSERT_EQ(n.r[2].commit_index(), 2u);
  if (!learn_first) submit_w(n);
  // The slow Learn{0} finally reaches node 2; its Chosen (slots 0 and 1) reaches node 0.
  n.wire.push_back(learn);
  n.deliver([](const Net::Msg& m) { return m.to == 2 && m.from == 0; });
  n.deliver([](const Net::Msg& m) { return m.from == 2 && m.to == 0; });
  n.drop([](const Net::Msg&) { return true; });
  if (learn_first) submit_w(n);
  // Node 0's next Heartbeat carries its commit index to node 1.
  n.now = 1100;
  n.tick(0);
  n.deliver([](const Net::Msg& m) { return m.from == 0 && m.to == 1; });
  // Agreement: wherever two replicas both know a slot chosen, they know the same value.
  for (NodeId a = 0; a < 5; ++a) {
    for (NodeId b = a + 1; b < 5; ++b) {
      for (const auto& [slot, value] : n.r[a].chosen()) {
        auto it = n.r[b].chosen().find(slot);
        if (it != n.r[b].chosen().end()) {
          EXPECT_EQ(value, it->second) << "replicas " << a << " and " << b << ", slot " << slot;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ProposalBeforeOrAfterTheChosen, PaxosScenario, ::testing::Bool());

}  // namespace
}  // namespace calm::protocols::paxos
