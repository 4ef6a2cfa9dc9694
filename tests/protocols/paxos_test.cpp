// Multi-Paxos on the protocol host, in the simulator: a replicated key-value store driven by
// concurrent clients under network faults, crashes and partitions. After every event of every
// run: at most one value chosen per slot (agreement), only submitted commands chosen
// (validity), each command applied at most once per replica, no acceptor's promise lower than
// one it made durable. At the end of each run: every command completes once the faults heal,
// and the clients' history is linearizable (protocols/check/linearizability.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "paxos_sim.hpp"

namespace calm::protocols::paxos {
namespace {

using sim::Kv;

/// CALM_PAXOS_SEEDS and CALM_PAXOS_FIRST_SEED: the sweep's size and start (CTest's long
/// sweeps set them; a failing seed replays with CALM_PAXOS_FIRST_SEED=n CALM_PAXOS_SEEDS=1).
std::uint64_t from_env(const char* name, std::uint64_t fallback) {
  const char* s = std::getenv(name);
  return s ? std::strtoull(s, nullptr, 10) : fallback;
}

TEST(PaxosMessage, EveryKindRoundTripsThroughItsOneEncoding) {
  const Batch batch{{7, 1, "p k v 7.1"}, {8, 3, ""}};
  const std::vector<Message> all{Prepare{{3, 1}, 10},
                                 Promise{{3, 1}, 10, 1, 2, {{10, {2, 0}, batch}, {12, {3, 1}, {}}}},
                                 Accept{{3, 1}, 11, 9, batch},
                                 Accepted{{3, 1}, 11},
                                 Reject{{2, 0}, {3, 1}},
                                 Heartbeat{{3, 1}, 9, 4},
                                 HeartbeatAck{{3, 1}, 4},
                                 Learn{4},
                                 Chosen{{{4, {}, batch}, {5, {}, {}}}}};
  for (const Message& m : all) {
    const std::string bytes = encode_message(m);
    EXPECT_EQ(decode_message(bytes, {}), m);
    EXPECT_EQ(encode_message(decode_message(bytes, {})), bytes);
  }
}

TEST(PaxosMessage, MalformedFramesAreRejectedBeforeAnythingIsAllocatedForThem) {
  const std::string accept = encode_message(Accept{{3, 1}, 11, 9, {{7, 1, "op"}}});
  auto rejects = [](std::string bytes, DecodeLimits limits = {}) {
    try {
      decode_message(bytes, limits);
    } catch (const lattices::DecodeError&) {
      return true;
    }
    return false;
  };
  EXPECT_TRUE(rejects(accept.substr(0, accept.size() - 1)));  // truncated
  EXPECT_TRUE(rejects(accept + "x"));                         // trailing
  EXPECT_TRUE(rejects(std::string("\x01\x09", 2)));           // unknown kind
  EXPECT_TRUE(rejects(std::string("\x02\x07\x00", 3)));       // unknown version
  DecodeLimits small;
  small.command_bytes_max = 1;
  EXPECT_TRUE(rejects(accept, small));  // a command longer than the bound
  // A count of commands the frame cannot hold: refused, not reserved.
  std::string huge("\x01\x08", 2);
  huge += std::string("\xff\xff\xff\xff\x0f", 5);
  EXPECT_TRUE(rejects(huge));
  // A Promise chunk outside its count, and slots out of order.
  EXPECT_TRUE(rejects(encode_message(Promise{{1, 0}, 0, 2, 2, {}})));
  EXPECT_TRUE(rejects(encode_message(Chosen{{{5, {}, {}}, {4, {}, {}}}})));
}

TEST(PaxosReplica, MessagesFromOutsideTheMembershipOrThatDoNotDecodeAreCountedAndChangeNothing) {
  Config config;
  config.self = 0;
  config.members = {0, 1, 2};
  Replica<Kv> r(config, Kv{});
  host::Input input;
  input.now_ms = 5;
  r.step(9, encode_message(Prepare{{100, 9}, 0}), input);  // not a member
  r.step(1, "\x01\x01garbage", input);                     // does not decode
  EXPECT_EQ(r.stats().rejected_messages, 2u);
  EXPECT_EQ(r.promised(), Ballot{});
  const auto ready = r.ready();
  EXPECT_TRUE(ready.persist.empty());
  EXPECT_TRUE(ready.send.empty());
  EXPECT_EQ(ready.rejected.size(), 2u);
}

TEST(PaxosReplica, ACommandOfAClusterOfOneIsChosenOnlyOnceItsAcceptanceIsOnDisk) {
  net::Simulator sim(3);
  std::vector<Reply> replies;
  using Node = host::Host<Replica<Kv>>;
  sim.add_node([&](const net::NodeContext& context) {
    Config config;
    config.self = 0;
    config.members = {0};
    auto node = std::make_unique<Node>(context, Replica<Kv>(config, Kv{}));
    Node::Application app;
    app.on_final = [&](std::vector<Reply>& finals) {
      replies.insert(replies.end(), finals.begin(), finals.end());
    };
    node->set_application(std::move(app));
    return node;
  });
  auto* node = static_cast<Node*>(sim.node(0));
  sim.run_for(300);  // elects itself
  ASSERT_TRUE(node->protocol().is_leader());
  // The disk refuses the batch that holds the acceptance: nothing is chosen or applied.
  sim.disk(0).fail_writes(true);
  node->apply([](Replica<Kv>& p) { p.submit(1, 1, "p k a 1.1"); });
  sim.run_for(50);
  EXPECT_EQ(node->protocol().commit_index(), 0u);
  EXPECT_TRUE(node->protocol().machine().values.empty());
  sim.disk(0).fail_writes(false);
  sim.run_for(300);  // elects itself again (a failed batch steps it down)
  ASSERT_TRUE(node->protocol().is_leader());
  replies.clear();
  node->apply([](Replica<Kv>& p) { p.submit(1, 2, "p k b 1.2"); });
  sim.run_for(50);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].kind, Reply::Kind::applied);
  EXPECT_EQ(node->protocol().machine().values.at("k"), "b");
}

/// Three replicas in a simulator, with every reply collected.
struct Trio {
  using Node = host::Host<Replica<Kv>>;
  net::Simulator sim{5};
  std::vector<Reply> replies;
  Trio() {
    for (NodeId id = 0; id < 3; ++id) {
      sim.add_node([this, id](const net::NodeContext& context) {
        Config config;
        config.self = id;
        config.members = {0, 1, 2};
        config.seed = 10 + id;
        config.limits.command_bytes_max = 1024;
        auto node = std::make_unique<Node>(context, Replica<Kv>(config, Kv{}));
        Node::Application app;
        app.on_final = [this](std::vector<Reply>& finals) {
          replies.insert(replies.end(), finals.begin(), finals.end());
        };
        node->set_application(std::move(app));
        return node;
      });
    }
  }
  Node* node(NodeId id) { return static_cast<Node*>(sim.node(id)); }
  std::optional<NodeId> leader() {
    for (NodeId id = 0; id < 3; ++id) {
      if (node(id)->protocol().is_leader()) return id;
    }
    return std::nullopt;
  }
  void submit(NodeId to, std::uint64_t client, std::uint64_t seq, std::string op) {
    node(to)->apply([&](Replica<Kv>& p) { p.submit(client, seq, op); });
  }
};

TEST(PaxosReplica, ALeaderThatCannotHearItsFollowersStepsDownAndTheyElectAnother) {
  Trio t;
  t.sim.run_for(500);
  const auto deaf = t.leader();
  ASSERT_TRUE(deaf);
  // Both followers can still hear the leader, and each other, but it cannot hear them.
  for (NodeId id = 0; id < 3; ++id) {
    if (id != *deaf) t.sim.block(id, *deaf);
  }
  t.sim.run_for(2000);
  const auto next = t.leader();
  ASSERT_TRUE(next);
  EXPECT_NE(*next, *deaf);
  t.submit(*next, 1, 1, "p k v 1.1");
  t.sim.run_for(200);
  ASSERT_FALSE(t.replies.empty());
  EXPECT_EQ(t.replies.back().kind, Reply::Kind::applied);
}

TEST(PaxosReplica, ALeaderThatStepsDownTellsTheClientsOfItsProposalsToRetryElsewhere) {
  Trio t;
  t.sim.run_for(500);
  const auto cut = t.leader();
  ASSERT_TRUE(cut);
  for (NodeId id = 0; id < 3; ++id) {
    if (id == *cut) continue;
    t.sim.block(id, *cut);
    t.sim.block(*cut, id);
  }
  // Proposed, never chosen: the leader steps down (check quorum) with it in flight.
  t.submit(*cut, 1, 1, "p k v 1.1");
  t.sim.run_for(1000);
  ASSERT_EQ(t.replies.size(), 1u);
  EXPECT_EQ(t.replies[0].kind, Reply::Kind::not_leader);
  EXPECT_FALSE(t.node(*cut)->protocol().is_leader());
  // The client retries the same (client, seq) at the new leader: applied once.
  t.sim.heal();
  t.sim.run_for(1000);  // the replica that was cut off campaigned meanwhile: let it settle
  const auto next = t.leader();
  ASSERT_TRUE(next);
  t.submit(*next, 1, 1, "p k v 1.1");
  t.sim.run_for(300);
  ASSERT_EQ(t.replies.size(), 2u);
  EXPECT_EQ(t.replies[1].kind, Reply::Kind::applied);
}

TEST(PaxosReplica, ACommandLongerThanAFrameAllowsIsRefusedAndTheLogGoesOn) {
  Trio t;
  t.sim.run_for(500);
  const auto leader = t.leader();
  ASSERT_TRUE(leader);
  t.submit(*leader, 1, 1, "p k " + std::string(2000, 'x') + " 1.1");
  t.submit(*leader, 1, 2, "p k small 1.2");
  t.sim.run_for(200);
  ASSERT_EQ(t.replies.size(), 2u);
  EXPECT_EQ(t.replies[0].kind, Reply::Kind::too_large);
  EXPECT_EQ(t.replies[1].kind, Reply::Kind::applied);
}

TEST(PaxosMessage, RoundsAndSlotsPastNumberMaxAreRefusedSoNothingWraps) {
  auto rejects = [](const Message& m) {
    try {
      decode_message(encode_message(m), {});
    } catch (const lattices::DecodeError&) {
      return true;
    }
    return false;
  };
  EXPECT_TRUE(rejects(Prepare{{UINT64_MAX, 1}, 0}));
  EXPECT_TRUE(rejects(Accept{{1, 1}, UINT64_MAX, 0, {}}));
  EXPECT_FALSE(rejects(Accept{{1, 1}, (std::uint64_t{1} << 48) - 1, 0, {}}));
}

class PaxosSweep : public ::testing::TestWithParam<const char*> {};

TEST_P(PaxosSweep, EverySeedIsSafeLiveAndLinearizable) {
  const std::string name = GetParam();
  const std::uint64_t seeds = from_env("CALM_PAXOS_SEEDS", 50);
  const std::uint64_t first = from_env("CALM_PAXOS_FIRST_SEED", 1);
  std::uint64_t ops = 0;
  for (std::uint64_t seed = first; seed < first + seeds; ++seed) {
    int replicas = 0;
    const std::string failure = sim::run_seed(seed, name, ops, &replicas);
    ASSERT_EQ(failure, "") << "seed " << seed << " (" << name << ", " << replicas << " replicas)";
  }
  RecordProperty("operations", static_cast<int>(ops));
  std::printf("%s: %llu seeds, %llu operations\n", name.c_str(),
              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(ops));
}

INSTANTIATE_TEST_SUITE_P(Faults, PaxosSweep,
                         ::testing::Values("none", "loss", "partition", "crash", "all"));

}  // namespace
}  // namespace calm::protocols::paxos
