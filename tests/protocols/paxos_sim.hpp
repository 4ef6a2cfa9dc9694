#pragma once
// The Multi-Paxos simulation harness (paxos_test.cpp, paxos_mutants_test.cpp): a replicated
// key-value store driven by concurrent clients under network faults, crashes and partitions,
// its invariants checked after every simulator event, its history checked for
// linearizability at the end.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/check/linearizability.hpp"
#include "protocols/check/models.hpp"
#include "protocols/host/host.hpp"
#include "protocols/net/simulator.hpp"
#include "protocols/paxos/replica.hpp"
#include "protocols/storage/memory_disk.hpp"

namespace calm::protocols::paxos::sim {

/// The state machine: a map of strings. "p <key> <value> <uid>" puts (replies "OK"), "g <key>
/// <uid>" gets (replies the value, "" when absent). `uid` names the call, so that a command
/// applied twice is seen.
struct Kv {
  std::map<std::string, std::string> values;
  std::set<std::string> uids;
  std::uint64_t applied_twice = 0;
  /// A hash of every command applied, in order: replicas that applied the same slots agree.
  std::uint64_t chain = 0;

  std::string apply(const std::string& op) {
    chain = (chain ^ std::hash<std::string>{}(op)) * 1099511628211ull;
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
  /// The whole state, for snapshots: the values and the uids (so that a command applied
  /// again after a snapshot is still seen).
  std::string snapshot() const {
    std::string out;
    net::codec::put_varint(out, values.size());
    for (const auto& [k, v] : values) {
      net::codec::put_bytes(out, k);
      net::codec::put_bytes(out, v);
    }
    net::codec::put_varint(out, uids.size());
    for (const std::string& u : uids) net::codec::put_bytes(out, u);
    net::codec::put_varint(out, applied_twice);
    net::codec::put_u64(out, chain);
    return out;
  }
  void restore(std::string_view bytes) {
    net::codec::Reader in(bytes, "kv snapshot");
    Kv fresh;
    for (std::uint64_t n = in.count(2, bytes.size(), "count"); n > 0; --n) {
      std::string k = in.bytes(bytes.size(), "key");
      fresh.values[k] = in.bytes(bytes.size(), "value");
    }
    for (std::uint64_t n = in.count(1, bytes.size(), "count"); n > 0; --n) {
      fresh.uids.insert(in.bytes(bytes.size(), "uid"));
    }
    fresh.applied_twice = in.varint();
    fresh.chain = in.u64();
    in.expect_end();
    *this = std::move(fresh);
  }
  /// A get, read-only (Replica::read).
  std::string query(const std::string& op) const {
    std::istringstream in(op);
    std::string kind, key;
    in >> kind >> key;
    auto it = values.find(key);
    return it == values.end() ? "" : it->second;
  }
};

/// The sequential specification the history is checked against: a register per key.
using KvModel = check::KeyValueModel;
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
    calm::SplitMix64& rng = sim_.random();
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
  /// Snapshots the replicas up at the end installed from a peer (since their last start).
  std::uint64_t snapshots_installed() {
    std::uint64_t n = 0;
    for (NodeId id : members_) {
      if (Node* r = node(id)) n += r->protocol().stats().snapshots_installed;
    }
    return n;
  }

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
      // Snapshots often (a quarter of the seeds never), so that truncation, and replicas
      // catching up by a peer's snapshot, happen under every fault.
      constexpr std::uint64_t snapshot_every[] = {0, 3, 7, 20};
      config.snapshot_every_slots = snapshot_every[seed_ % 4];
      auto node = std::make_unique<Node>(context, Replica<Kv>(config, Kv{}));
      Node* raw = node.get();
      Node::Application app;
      app.on_final = [this](std::vector<Reply>& replies) {
        for (Reply& r : replies) on_reply(r);
      };
      app.on_turn_end = [this, id, raw](const std::string* failure) {
        // The promise in memory is durable when no turn is held for a background sync and
        // none waits to be written.
        if (failure || raw->turns_held() > 0 || raw->flush_due()) return;
        auto& d = durable_promise_[id];
        d = std::max(d, raw->protocol().promised());
      };
      // Half the seeds (those with bit 1 set, so that every fault mix of the mutant test's
      // rotation meets both) sync in the background (host.hpp), as calm-kvs does: a sync
      // covers the batches written before it starts and ends 0-3 ms later (when bit 2 is set
      // too: 0-39 ms, a slow disk, slower than a round trip), and a power cut meanwhile loses
      // what it had not covered yet.
      if ((seed_ >> 1) % 2 == 1) {
        const std::uint64_t sync_ms_max = (seed_ >> 2) % 2 == 0 ? 4 : 40;
        auto& disk = dynamic_cast<storage::MemoryDisk&>(context.disk);
        auto incarnation = std::make_shared<bool>(true);  // dies with the node
        app.background_sync = [this, &disk, incarnation,
                               sync_ms_max](std::function<void(const std::string*)> done) {
          const std::uint64_t covered = disk.batches_written();
          std::weak_ptr<bool> alive = incarnation;
          sim_.at(sim_.now_ms() + sim_.random().below(sync_ms_max), [&disk, alive, covered, done] {
            if (alive.expired()) return;  // crashed meanwhile: the sync never finished
            disk.sync_through(covered);
            done(nullptr);
          });
        };
      }
      raw->set_application(std::move(app));
      checked_commit_[id] = 0;
      return node;
    });
  }

  Node* node(NodeId id) { return static_cast<Node*>(sim_.node(id)); }

  void next_op(std::size_t c) {
    Client& client = clients_[c];
    if (sim_.now_ms() >= heal_ms_) return;  // no new commands once the faults stop
    calm::SplitMix64& rng = sim_.random();
    Op op;
    op.client = client.id;
    // Client 1 mostly reads; the others read and write alike.
    op.input.put = rng.chance(client.id == 1 ? 0.1 : 0.5);
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
      // Gets are read-index reads; puts go through the log.
      n->apply([&](Replica<Kv>& p) {
        if (op.starts_with("g ")) {
          p.read(client.id, client.seq, op);
        } else {
          p.submit(client.id, client.seq, op);
        }
      });
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
    calm::SplitMix64& rng = sim_.random();
    for (std::uint64_t t = 100 + rng.below(200); t + 100 < heal_ms; t += 150 + rng.below(400)) {
      const auto kind = rng.below(4);
      if (faults_.partitions && kind < 2) {
        const NodeId a = rng.below(members_.size());
        if (kind == 0) {
          // One replica cut off both ways: the leader, most often (its clients may still
          // reach it, as a client on its side of the partition would).
          const bool leader = rng.chance(0.7);
          sim_.at(t, [this, a, leader] {
            NodeId cut = a;
            if (leader) {
              for (NodeId id : members_) {
                if (Node* n = node(id); n && n->protocol().is_leader()) cut = id;
              }
            }
            std::vector<NodeId> rest;
            for (NodeId id : members_) {
              if (id != cut) rest.push_back(id);
            }
            sim_.partition({cut}, rest);
          });
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
      // The same state after the same number of slots, snapshots installed or not (agreement
      // below checks only the slots a replica still holds).
      auto [at, first] = chain_at_.try_emplace(r.applied_index(), r.machine().chain);
      if (!first && at->second != r.machine().chain) {
        fail("replica " + std::to_string(id) + " differs from another after slot " +
             std::to_string(r.applied_index()));
      }
      // Agreement and validity, for the slots it learned since the last check.
      const auto& chosen = r.chosen();
      // (Slots below its snapshot it never held: it installed a peer's snapshot.)
      for (std::uint64_t slot = std::max(checked_commit_[id], r.snapshot_index());
           slot < r.commit_index(); ++slot) {
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
  std::map<std::uint64_t, std::uint64_t> chain_at_;  // applied slots -> Kv::chain there
  std::vector<Ballot> durable_promise_;
  std::vector<std::uint64_t> checked_commit_;
  std::uint64_t values_ = 0;
  std::uint64_t heal_ms_ = 0;
  std::string failure_;
};

inline Faults mix(const std::string& name, calm::SplitMix64& rng) {
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

/// One seed of a mix: three replicas (one seed in five: five), four clients, faults for
/// 1.5 s, then 3 s to settle. Returns "" or what went wrong; adds the operations run to `ops`
/// (and the snapshots installed from peers to `*installed`).
inline std::string run_seed(std::uint64_t seed, const std::string& mix_name, std::uint64_t& ops,
                            int* replicas_out = nullptr, std::uint64_t* installed = nullptr) {
  calm::SplitMix64 rng(seed * 7919);
  const int replicas = rng.chance(0.8) ? 3 : 5;
  if (replicas_out) *replicas_out = replicas;
  SimRun run(seed, replicas, mix(mix_name, rng));
  std::string failure = run.go(4, 1500, 3000);
  ops += run.operations();
  if (installed) *installed += run.snapshots_installed();
  return failure;
}

}  // namespace calm::protocols::paxos::sim
