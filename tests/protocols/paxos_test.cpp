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
#include <map>
#include <memory>
#include <optional>
#include <protocols/check/linearizability.hpp>
#include <protocols/host/host.hpp>
#include <protocols/net/simulator.hpp>
#include <protocols/paxos/replica.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace calm::protocols::paxos {
namespace {

/// The state machine: a map of strings. "p <key> <value> <uid>" puts (replies "OK"), "g <key>
/// <uid>" gets (replies the value, "" when absent). `uid` names the call, so that a command
/// applied twice is seen.
struct Kv {
  std::map<std::string, std::string> values;
  std::set<std::string> uids;
  std::uint64_t applied_twice = 0;

  std::string apply(const std::string& op) {
    std::istringstream in(op);
    std::string kind, key, value, uid;
    in >> kind >> key;
    if (kind == "p") in >> value;
    in >> uid;
    if (!uids.insert(uid).second) ++applied_twice;
    if (kind == "p") {
      values[key] = value;
      return "OK";
    }
    auto it = values.find(key);
    return it == values.end() ? "" : it->second;
  }
};

/// The sequential specification the history is checked against: one key's register.
struct KvModel {
  struct Input {
    bool put = false;
    std::string key;
    std::string value;
  };
  using Output = std::string;
  using State = std::string;
  State init() const { return ""; }
  std::string key(const Input& in) const { return in.key; }
  std::optional<State> step(const State& s, const Input& in, const Output* out) const {
    if (in.put) return in.value;
    if (out && *out != s) return std::nullopt;
    return s;
  }
  std::string describe(const Input& in, const Output* out) const {
    return (in.put ? "put " + in.key + " " + in.value : "get " + in.key) +
           (out ? " -> '" + *out + "'" : "");
  }
};
using Op = check::Operation<KvModel::Input, std::string>;
using Node = host::Host<Replica<Kv>>;

struct Faults {
  double loss = 0;
  double duplicate = 0;
  double slow = 0;
  bool partitions = false;
  bool crashes = false;  // power cuts (unsynced writes lost), the leader's often
};

/// One seeded run: three (or five) replicas, clients, faults until `heal_ms`, then quiet.
class SimRun {
 public:
  SimRun(std::uint64_t seed, int replicas, Faults faults)
      : seed_(seed), faults_(faults), sim_(seed, network(faults)) {
    for (int i = 0; i < replicas; ++i) members_.push_back(static_cast<NodeId>(i));
    durable_promise_.resize(members_.size());
    checked_commit_.resize(members_.size());
    for (int i = 0; i < replicas; ++i) add_replica(static_cast<NodeId>(i));
    sim_.after_each_event([this] { check_invariants(); });
  }

  /// Runs the clients and faults; returns an empty string or what went wrong.
  std::string go(int clients, std::uint64_t heal_ms, std::uint64_t settle_ms) {
    heal_ms_ = heal_ms;
    net::SplitMix64& rng = sim_.random();
    for (int c = 0; c < clients; ++c) {
      clients_.push_back({static_cast<std::uint64_t>(c + 1)});
      sim_.at(rng.below(50), [this, c] { next_op(static_cast<std::size_t>(c)); });
    }
    if (faults_.partitions || faults_.crashes) schedule_faults(heal_ms);
    sim_.at(heal_ms, [this] {
      sim_.heal();
      sim_.set_network({});
      for (NodeId id : members_) {
        if (!sim_.is_up(id)) sim_.restart(id);
      }
    });
    sim_.run_until(heal_ms + settle_ms);
    if (!failure_.empty()) return failure_;
    for (const Client& c : clients_) {
      if (c.busy) {
        return "a command still pending " + std::to_string(settle_ms) +
               " ms after the faults healed (client " + std::to_string(c.id) + ")";
      }
    }
    const auto r = check::check_linearizable(KvModel{}, history_);
    if (!r) return r.report;
    return "";
  }

  std::size_t operations() const { return history_.size(); }

 private:
  struct Client {
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
    bool busy = false;
    std::size_t op = 0;  // index in the history
    NodeId target = 0;
    std::uint64_t attempt = 0;  // to tell a retry's timeout from an earlier one's
  };

  static net::NetworkConfig network(const Faults& f) {
    net::NetworkConfig config;
    config.latency_min_ms = 1;
    config.latency_max_ms = 8;
    config.loss = f.loss;
    config.duplicate = f.duplicate;
    config.slow = f.slow;
    return config;
  }

  void add_replica(NodeId id) {
    sim_.add_node([this, id](const net::NodeContext& context) {
      Config config;
      config.self = id;
      config.members = members_;
      config.seed = seed_ * 31 + id + 1;
      // Timer skew: each replica's timeouts differ.
      config.election_timeout_ms = 80 + 15 * id;
      config.heartbeat_ms = 20 + 2 * id;
      auto node = std::make_unique<Node>(context, Replica<Kv>(config, Kv{}));
      Node* raw = node.get();
      Node::Application app;
      app.on_final = [this](std::vector<Reply>& replies) {
        for (Reply& r : replies) on_reply(r);
      };
      app.on_turn_end = [this, id, raw](const std::string* failure) {
        if (failure) return;
        auto& d = durable_promise_[id];
        d = std::max(d, raw->protocol().promised());
      };
      raw->set_application(std::move(app));
      checked_commit_[id] = 0;
      return node;
    });
  }

  Node* node(NodeId id) { return static_cast<Node*>(sim_.node(id)); }

  void next_op(std::size_t c) {
    Client& client = clients_[c];
    if (sim_.now_ms() >= heal_ms_) return;  // no new commands once the faults stop
    net::SplitMix64& rng = sim_.random();
    Op op;
    op.client = client.id;
    op.input.put = rng.chance(0.5);
    op.input.key = "k" + std::to_string(rng.below(3));
    if (op.input.put) op.input.value = "v" + std::to_string(++values_);
    op.called = sim_.now_ms();
    client.seq += 1;
    client.busy = true;
    client.op = history_.size();
    history_.push_back(op);
    const std::string uid = std::to_string(client.id) + "." + std::to_string(client.seq);
    submitted_[{client.id, client.seq}] =
        op.input.put ? "p " + op.input.key + " " + op.input.value + " " + uid
                     : "g " + op.input.key + " " + uid;
    submit(c);
  }

  void submit(std::size_t c) {
    Client& client = clients_[c];
    if (!client.busy) return;
    const std::uint64_t attempt = ++client.attempt;
    if (Node* n = node(client.target)) {
      const std::string& op = submitted_.at({client.id, client.seq});
      n->apply([&](Replica<Kv>& p) { p.submit(client.id, client.seq, op); });
    }
    // No reply in time: try the next replica, same (client, seq).
    sim_.at(sim_.now_ms() + 150, [this, c, attempt] {
      Client& cl = clients_[c];
      if (!cl.busy || cl.attempt != attempt) return;
      cl.target = (cl.target + 1) % members_.size();
      submit(c);
    });
  }

  void on_reply(const Reply& r) {
    for (std::size_t c = 0; c < clients_.size(); ++c) {
      Client& client = clients_[c];
      if (client.id != r.client || client.seq != r.seq || !client.busy) continue;
      if (r.kind == Reply::Kind::applied) {
        history_[client.op].output = r.result;
        history_[client.op].returned = sim_.now_ms();
        client.busy = false;
        sim_.at(sim_.now_ms() + sim_.random().below(20), [this, c] { next_op(c); });
      } else {
        // Redirected: to the leader named, else the next replica, after a pause.
        client.target = r.leader ? *r.leader : (client.target + 1) % members_.size();
        ++client.attempt;
        sim_.at(sim_.now_ms() + 10, [this, c] { submit(c); });
      }
      return;
    }
  }

  void schedule_faults(std::uint64_t heal_ms) {
    net::SplitMix64& rng = sim_.random();
    for (std::uint64_t t = 100 + rng.below(200); t + 100 < heal_ms; t += 150 + rng.below(400)) {
      const auto kind = rng.below(4);
      if (faults_.partitions && kind < 2) {
        const NodeId a = rng.below(members_.size());
        if (kind == 0) {
          std::vector<NodeId> rest;
          for (NodeId id : members_) {
            if (id != a) rest.push_back(id);
          }
          sim_.at(t, [this, a, rest] { sim_.partition({a}, rest); });
        } else {
          const NodeId b = (a + 1 + rng.below(members_.size() - 1)) % members_.size();
          sim_.at(t, [this, a, b] { sim_.block(a, b); });
        }
        sim_.at(t + 100 + rng.below(300), [this] { sim_.heal(); });
      } else if (faults_.crashes) {
        const bool leader = rng.chance(0.7);
        const NodeId any = rng.below(members_.size());
        sim_.at(t, [this, leader, any] {
          NodeId victim = any;
          if (leader) {
            for (NodeId id : members_) {
              if (Node* n = node(id); n && n->protocol().is_leader()) victim = id;
            }
          }
          sim_.crash(victim, net::DiskFate::keep);
        });
        const NodeId restart_any = any;
        sim_.at(t + 50 + rng.below(300), [this, restart_any] {
          for (NodeId id : members_) {
            if (!sim_.is_up(id)) sim_.restart(id);
          }
          static_cast<void>(restart_any);
        });
      }
    }
  }

  void fail(const std::string& why) {
    if (failure_.empty()) failure_ = "at " + std::to_string(sim_.now_ms()) + " ms: " + why;
  }

  void check_invariants() {
    for (NodeId id : members_) {
      Node* n = node(id);
      if (!n) continue;
      const Replica<Kv>& r = n->protocol();
      if (r.promised() < durable_promise_[id])
        fail("replica " + std::to_string(id) + " went back on a promise");
      if (r.machine().applied_twice != 0)
        fail("replica " + std::to_string(id) + " applied a command twice");
      // Agreement and validity, for the slots it learned since the last check.
      const auto& chosen = r.chosen();
      for (std::uint64_t slot = checked_commit_[id]; slot < r.commit_index(); ++slot) {
        const Batch& value = chosen.at(slot);
        auto [it, fresh] = chosen_.try_emplace(slot, value);
        if (!fresh && it->second != value) {
          fail("two values chosen for slot " + std::to_string(slot));
        }
        if (fresh) {
          for (const Command& cmd : value) {
            auto s = submitted_.find({cmd.client, cmd.seq});
            if (s == submitted_.end() || s->second != cmd.op)
              fail("a command nobody submitted was chosen");
          }
        }
      }
      checked_commit_[id] = r.commit_index();
    }
  }

  std::uint64_t seed_;
  Faults faults_;
  net::Simulator sim_;
  std::vector<NodeId> members_;
  std::vector<Client> clients_;
  std::vector<Op> history_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> submitted_;
  std::map<std::uint64_t, Batch> chosen_;
  std::vector<Ballot> durable_promise_;
  std::vector<std::uint64_t> checked_commit_;
  std::uint64_t values_ = 0;
  std::uint64_t heal_ms_ = 0;
  std::string failure_;
};

Faults mix(const std::string& name, net::SplitMix64& rng) {
  Faults f;
  if (name == "none") return f;
  if (name == "loss") {
    f.loss = rng.unit() * 0.2;
    f.duplicate = rng.unit() * 0.05;
    f.slow = rng.unit() * 0.1;
  } else if (name == "partition") {
    f.partitions = true;
    f.loss = rng.unit() * 0.05;
  } else if (name == "crash") {
    f.crashes = true;
  } else {  // all
    f.loss = rng.unit() * 0.2;
    f.duplicate = rng.unit() * 0.05;
    f.slow = rng.unit() * 0.1;
    f.partitions = true;
    f.crashes = true;
  }
  return f;
}

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
                                 Heartbeat{{3, 1}, 9},
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

class PaxosSweep : public ::testing::TestWithParam<const char*> {};

TEST_P(PaxosSweep, EverySeedIsSafeLiveAndLinearizable) {
  const std::string name = GetParam();
  const std::uint64_t seeds = from_env("CALM_PAXOS_SEEDS", 50);
  const std::uint64_t first = from_env("CALM_PAXOS_FIRST_SEED", 1);
  std::uint64_t ops = 0;
  for (std::uint64_t seed = first; seed < first + seeds; ++seed) {
    net::SplitMix64 rng(seed * 7919);
    const int replicas = rng.chance(0.8) ? 3 : 5;
    SimRun run(seed, replicas, mix(name, rng));
    const std::string failure = run.go(4, 1500, 3000);
    ASSERT_EQ(failure, "") << "seed " << seed << " (" << name << ", " << replicas << " replicas)";
    ops += run.operations();
  }
  RecordProperty("operations", static_cast<int>(ops));
  std::printf("%s: %llu seeds, %llu operations\n", name.c_str(),
              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(ops));
}

INSTANTIATE_TEST_SUITE_P(Faults, PaxosSweep,
                         ::testing::Values("none", "loss", "partition", "crash", "all"));

}  // namespace
}  // namespace calm::protocols::paxos
