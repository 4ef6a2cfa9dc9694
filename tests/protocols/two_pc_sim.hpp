#pragma once
// The two-phase commit simulation harness (two_pc_test.cpp, two_pc_mutants_test.cpp): bank
// transfers between accounts held by three participants, begun by one or two coordinators,
// under loss, duplication, delay, partitions, crashes that lose unsynced writes and disks that
// refuse writes for a while. Checked as each step happens (the participant's app calls, the
// coordinator's outcomes): atomicity (no transaction committed by one participant and aborted
// by another; and of a batch's parts, every participant and the coordinator commit with the
// same parts refused), no commit applied twice, validity (a commit only where every participant
// voted yes) and irrevocability (an outcome never changes). After the faults heal: nothing in
// doubt, every commit record acknowledged and gone, every record the watermark passed gone
// from the participants' disks, and the bank's total what it was.
//
// With acceptors (Paxos Commit, F = 1): acceptors crash too, and one seed in two of the crash
// mixes loses a coordinator, or an acceptor, or both, for good (never restarted). Liveness
// then means: nothing in doubt anywhere once F+1 acceptors and the participants are up, with
// the coordinator gone; and, where no coordinator was lost, every acceptor's records gone.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocols/host/host.hpp"
#include "protocols/net/simulator.hpp"
#include "protocols/two_pc/acceptor.hpp"
#include "protocols/two_pc/coordinator.hpp"
#include "protocols/two_pc/participant.hpp"
#include "two_pc/bank.hpp"

namespace calm::protocols::two_pc::sim {

/// What every participant's app did, kept by the harness across crashes.
struct Ledger {
  std::map<TxId, std::set<NodeId>> yes, committed, aborted;
  std::map<std::pair<TxId, NodeId>, int> commits;  // app.commit calls
  std::map<TxId, Refusals> refused;                // the parts a commit left undone
  std::function<void(const std::string&)> fail;
  std::function<const std::vector<NodeId>*(const TxId&)> parts_of;

  void note_yes(const TxId& tx, NodeId at) { yes[tx].insert(at); }
  void note_commit(const TxId& tx, NodeId at, const Refusals& parts_refused) {
    note_refused(tx, parts_refused, "node " + std::to_string(at));
    committed[tx].insert(at);
    if (++commits[{tx, at}] > 1) {
      fail(name(tx) + " committed twice at node " + std::to_string(at));
    }
    if (aborted.contains(tx)) fail("atomicity: " + name(tx) + " committed and aborted");
    if (const auto* parts = parts_of(tx)) {
      for (NodeId p : *parts) {
        if (!yes[tx].contains(p)) {
          fail("validity: " + name(tx) + " committed without node " + std::to_string(p) +
               "'s yes vote");
        }
      }
    }
  }
  /// A commit's refused parts, as `who` applied or reported them: the same everywhere.
  void note_refused(const TxId& tx, const Refusals& parts_refused, const std::string& who) {
    const auto [it, fresh] = refused.try_emplace(tx, parts_refused);
    if (!fresh && it->second != parts_refused) {
      fail("atomicity of parts: " + name(tx) + " committed at " + who + " refusing " +
           parts(parts_refused) + ", elsewhere refusing " + parts(it->second));
    }
  }
  static std::string parts(const Refusals& list) {
    std::string out = "{";
    for (const std::uint32_t p : list) {
      if (out.size() > 1) out += ' ';
      out += std::to_string(p);
    }
    out += '}';
    return out;
  }
  void note_abort(const TxId& tx, NodeId at) {
    aborted[tx].insert(at);
    if (committed.contains(tx)) fail("atomicity: " + name(tx) + " aborted and committed");
  }
  static std::string name(const TxId& tx) {
    return "transaction " + std::to_string(tx.coordinator) + "." + std::to_string(tx.epoch) + "." +
           std::to_string(tx.number);
  }
};

using apps::bank::Bank;
using apps::bank::Move;

/// The bank's hooks that tell the ledger of participant `self`'s yes votes (its commits and
/// aborts come from its outcomes, which are on disk: ledger_outcomes); one answer in eight
/// is `later` (the harness's `on_later` then votes for it after a while, or never).
inline Bank::Hooks ledger_hooks(NodeId self, Ledger* ledger,
                                std::function<void(const TxId&)> on_later) {
  Bank::Hooks hooks;
  hooks.on_yes = [self, ledger](const TxId& tx) { ledger->note_yes(tx, self); };
  hooks.answers_later = [self, on_later = std::move(on_later)](const TxId& tx) {
    if ((tx.number * 2654435761u + tx.epoch + self) % 8 != 0) return false;
    on_later(tx);
    return true;
  };
  return hooks;
}

/// The keys under `prefix` on a node's disk.
inline std::vector<std::string> disk_keys(net::Simulator& sim, NodeId id, std::string_view prefix) {
  std::vector<std::string> out;
  sim.disk(id).scan(prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key);
    return true;
  });
  return out;
}

using AcceptorNode = host::Host<Acceptor>;
using CoordinatorNode = host::Host<Coordinator>;
using ParticipantNode = host::Host<Participant<Bank>>;

/// Tells the ledger of participant `self`'s commits and aborts once they are written (a
/// commit in a batch that failed was rolled back, and is done again).
inline void ledger_outcomes(ParticipantNode& node, NodeId self, Ledger* ledger) {
  ParticipantNode::Application app;
  app.on_final = [self, ledger](std::vector<ParticipantOutcome>& outcomes) {
    for (const ParticipantOutcome& o : outcomes) {
      if (o.committed) {
        ledger->note_commit(o.tx, self, o.refused);
      } else {
        ledger->note_abort(o.tx, self);
      }
    }
  };
  node.set_application(std::move(app));
}

struct Faults {
  double loss = 0;
  double duplicate = 0;
  double slow = 0;
  bool partitions = false;
  bool crashes = false;  // power cuts (unsynced writes lost), of coordinators and participants
  bool disk_failures = false;     // a node's disk refuses every write for a while
  bool coordinator_lost = false;  // Paxos Commit: a coordinator crashes and never returns
  bool acceptor_lost = false;     // Paxos Commit: an acceptor crashes and never returns
  /// Not a fault: node `id` bundles its sends (message.hpp) when bit `id` is set.
  std::uint64_t bundling = 0;
};

class SimRun {
 public:
  static constexpr int accounts = 30;

  /// `acceptors`: 0 (plain two-phase commit) or 2F+1 (Paxos Commit).
  SimRun(std::uint64_t seed, int coordinators, Faults faults, int acceptors = 0)
      : faults_(faults), sim_(seed, network(faults)) {
    for (int i = 0; i < coordinators; ++i) coordinators_.push_back(static_cast<NodeId>(i));
    // The simulator numbers nodes as they are added, from 0.
    for (int i = 0; i < 3; ++i) participants_.push_back(static_cast<NodeId>(coordinators + i));
    for (int i = 0; i < acceptors; ++i) {
      acceptors_.push_back(static_cast<NodeId>(coordinators + 3 + i));
    }
    ledger_.fail = [this](const std::string& why) { fail(why); };
    ledger_.parts_of = [this](const TxId& tx) -> const std::vector<NodeId>* {
      const auto it = parts_.find(tx);
      return it == parts_.end() ? nullptr : &it->second;
    };
    for (NodeId c : coordinators_) add_coordinator(c);
    for (NodeId p : participants_) add_participant(p);
    for (NodeId a : acceptors_) add_acceptor(a);
  }

  /// Transfers begun every few ms until `heal_ms`, faults until then; returns "" or what
  /// went wrong.
  std::string go(std::uint64_t heal_ms, std::uint64_t settle_ms) {
    for (NodeId c : coordinators_) {
      sim_.at(sim_.random().below(10), [this, c, heal_ms] { transfer(c, heal_ms); });
    }
    if (faults_.partitions || faults_.crashes || faults_.disk_failures) schedule_faults(heal_ms);
    if (faults_.coordinator_lost || faults_.acceptor_lost) {
      calm::SplitMix64& rng = sim_.random();
      if (faults_.coordinator_lost) lost_.insert(coordinators_[rng.below(coordinators_.size())]);
      if (faults_.acceptor_lost) lost_.insert(acceptors_[rng.below(acceptors_.size())]);
      for (NodeId id : lost_) {
        sim_.at(100 + rng.below(heal_ms - 100), [this, id] {
          if (sim_.is_up(id)) sim_.crash(id, net::DiskFate::keep);
          gone_.insert(id);
        });
      }
    }
    sim_.at(heal_ms, [this] {
      sim_.heal();
      sim_.set_network({});
      for (NodeId id : all()) {
        if (!sim_.is_up(id) && !gone_.contains(id)) sim_.restart(id);
      }
    });
    sim_.run_until(heal_ms + settle_ms);
    if (!failure_.empty()) return failure_;
    return check_settled(settle_ms);
  }

  std::uint64_t begun() const { return parts_.size(); }
  std::uint64_t committed() const { return committed_outcomes_; }

 private:
  static net::NetworkConfig network(const Faults& f) {
    net::NetworkConfig config;
    config.latency_min_ms = 1;
    config.latency_max_ms = 8;
    config.loss = f.loss;
    config.duplicate = f.duplicate;
    config.slow = f.slow;
    return config;
  }

  std::vector<NodeId> all() const {
    std::vector<NodeId> ids = coordinators_;
    ids.insert(ids.end(), participants_.begin(), participants_.end());
    ids.insert(ids.end(), acceptors_.begin(), acceptors_.end());
    return ids;
  }
  static std::string account(int i) {
    std::string out = "a";  // appended: GCC 12's -Wrestrict misfires on "a" + to_string
    out += std::to_string(i);
    return out;
  }
  NodeId holder(int i) const { return participants_[static_cast<std::size_t>(i) % 3]; }

  void add_coordinator(NodeId id) {
    sim_.add_node([this, id](const net::NodeContext& context) {
      CoordinatorConfig config;
      config.self = id;
      config.vote_timeout_ms = 300 + 20 * id;
      config.participants = participants_;
      config.acceptors = acceptors_;
      config.bundle_sends = bundles(id);
      auto node = std::make_unique<CoordinatorNode>(context, Coordinator(config));
      CoordinatorNode::Application app;
      app.on_final = [this](std::vector<Outcome>& outcomes) {
        for (const Outcome& o : outcomes) on_outcome(o);
      };
      node->set_application(std::move(app));
      return node;
    });
  }

  void add_participant(NodeId id) {
    sim_.add_node([this, id](const net::NodeContext& context) {
      ParticipantConfig config;
      config.self = id;
      config.vote_timeout_ms = 200 + 15 * id;
      config.resend_ms = 30 + id;
      config.acceptors = acceptors_;
      config.recovery_ms = 500 + 40 * id;
      config.recovery_retry_ms = 60 + 7 * id;
      config.bundle_sends = bundles(id);
      Bank bank(ledger_hooks(id, &ledger_, [this, id](const TxId& tx) { later(id, tx); }));
      auto node =
          std::make_unique<ParticipantNode>(context, Participant<Bank>(config, std::move(bank)));
      ledger_outcomes(*node, id, &ledger_);
      return node;
    });
  }

  bool bundles(NodeId id) const { return id < 64 && ((faults_.bundling >> id) & 1) != 0; }

  void add_acceptor(NodeId id) {
    sim_.add_node([this, id](const net::NodeContext& context) {
      AcceptorConfig config;
      config.self = id;
      config.query_ms = 300;
      config.bundle_sends = bundles(id);
      return std::make_unique<AcceptorNode>(context, Acceptor(config));
    });
  }

  CoordinatorNode* coordinator(NodeId id) { return static_cast<CoordinatorNode*>(sim_.node(id)); }
  ParticipantNode* participant(NodeId id) { return static_cast<ParticipantNode*>(sim_.node(id)); }

  /// A `later` answer: the vote comes after a while (or, one time in four, never: the
  /// participant's own timeout aborts it).
  void later(NodeId id, const TxId& tx) {
    calm::SplitMix64& rng = sim_.random();
    if (rng.chance(0.25)) return;
    sim_.at(sim_.now_ms() + rng.below(300), [this, id, tx] {
      if (ParticipantNode* p = participant(id)) {
        p->apply([&](Participant<Bank>& part) {
          part.vote(tx, [&](AppWrites& w) { return part.app().stage(tx, w); });
        });
      }
    });
  }

  void transfer(NodeId c, std::uint64_t heal_ms) {
    if (sim_.now_ms() >= heal_ms) return;
    calm::SplitMix64& rng = sim_.random();
    sim_.at(sim_.now_ms() + 1 + rng.below(12), [this, c, heal_ms] { transfer(c, heal_ms); });
    CoordinatorNode* node = coordinator(c);
    if (node == nullptr) return;
    if (rng.chance(0.3)) return batch(*node, 2 + static_cast<int>(rng.below(4)));
    // From one account to one other, or (one time in three) split between two others.
    const int from = static_cast<int>(rng.below(accounts));
    const int to = (from + 1 + static_cast<int>(rng.below(accounts - 1))) % accounts;
    const std::int64_t amount = 1 + static_cast<std::int64_t>(rng.below(40));
    std::map<NodeId, std::vector<Move>> moves;
    moves[holder(from)].push_back({account(from), -amount});
    if (rng.chance(0.33) && amount > 1) {
      const int also = (to + 1) % accounts == from ? (to + 2) % accounts : (to + 1) % accounts;
      const std::int64_t part = amount / 2;
      moves[holder(to)].push_back({account(to), amount - part});
      moves[holder(also)].push_back({account(also), part});
    } else {
      moves[holder(to)].push_back({account(to), amount});
    }
    std::vector<Part> parts;
    for (const auto& [p, list] : moves) parts.push_back({p, apps::bank::move_payload(list)});
    begin(*node, std::move(parts));
  }

  /// Begins a transaction over `parts`, and remembers who takes part in it.
  void begin(CoordinatorNode& node, std::vector<Part> parts) {
    std::vector<NodeId> ids;
    for (const Part& p : parts) ids.push_back(p.participant);
    const std::optional<TxId> tx =
        node.apply([&](Coordinator& co) { return co.begin(std::move(parts)); });
    if (tx) parts_[*tx] = std::move(ids);
  }

  /// `transfers` transfers, each a part of one transaction (a batch): each commits exactly
  /// when no participant refused it.
  void batch(CoordinatorNode& node, int transfers) {
    calm::SplitMix64& rng = sim_.random();
    std::map<NodeId, apps::bank::PartMoves> moves;
    for (std::uint32_t part = 0; part < static_cast<std::uint32_t>(transfers); ++part) {
      const int from = static_cast<int>(rng.below(accounts));
      const int to = (from + 1 + static_cast<int>(rng.below(accounts - 1))) % accounts;
      const std::int64_t amount = 1 + static_cast<std::int64_t>(rng.below(60));
      for (const auto& [who, delta] : {std::pair{from, -amount}, std::pair{to, amount}}) {
        auto& list = moves[holder(who)];
        if (list.empty() || list.back().first != part) list.emplace_back(part, std::vector<Move>{});
        list.back().second.push_back({account(who), delta});
      }
    }
    std::vector<Part> parts;
    for (const auto& [p, list] : moves) parts.push_back({p, apps::bank::parts_payload(list)});
    begin(node, std::move(parts));
  }

  void on_outcome(const Outcome& o) {
    auto [it, fresh] = outcomes_.try_emplace(o.tx, o.committed);
    if (!fresh && it->second != o.committed) {
      fail("irrevocability: " + Ledger::name(o.tx) + " decided both ways");
    }
    if (o.committed) {
      ledger_.note_refused(o.tx, o.refused, "the coordinator");
      if (fresh) ++committed_outcomes_;
      if (ledger_.aborted.contains(o.tx)) {
        fail("atomicity: " + Ledger::name(o.tx) + " committed after a participant aborted it");
      }
    } else if (ledger_.committed.contains(o.tx)) {
      fail("atomicity: " + Ledger::name(o.tx) + " reported aborted, committed somewhere");
    }
  }

  void schedule_faults(std::uint64_t heal_ms) {
    calm::SplitMix64& rng = sim_.random();
    const std::vector<NodeId> ids = all();
    for (std::uint64_t t = 50 + rng.below(150); t + 100 < heal_ms; t += 100 + rng.below(300)) {
      const auto kind = rng.below(4);
      const NodeId a = ids[rng.below(ids.size())];
      if (faults_.disk_failures && rng.chance(0.3)) {
        sim_.at(t, [this, a] { sim_.disk(a).fail_writes(true); });
        sim_.at(t + 10 + rng.below(80), [this, a] { sim_.disk(a).fail_writes(false); });
      }
      if (faults_.partitions && kind < 2) {
        if (kind == 0) {
          std::vector<NodeId> rest;
          for (NodeId id : ids) {
            if (id != a) rest.push_back(id);
          }
          sim_.at(t, [this, a, rest] { sim_.partition({a}, rest); });
        } else {
          const NodeId b = ids[rng.below(ids.size())];
          if (a != b) sim_.at(t, [this, a, b] { sim_.block(a, b); });
        }
        sim_.at(t + 50 + rng.below(300), [this] { sim_.heal(); });
      } else if (faults_.crashes) {
        // A coordinator half the time: the window where participants are in doubt.
        const NodeId victim = rng.chance(0.5) ? coordinators_[rng.below(coordinators_.size())] : a;
        sim_.at(t, [this, victim] {
          if (sim_.is_up(victim)) sim_.crash(victim, net::DiskFate::keep);
        });
        sim_.at(t + 30 + rng.below(300), [this, victim] {
          if (!sim_.is_up(victim) && !gone_.contains(victim)) sim_.restart(victim);
        });
      }
    }
  }

  std::string check_settled(std::uint64_t settle_ms) {
    const std::string after = " " + std::to_string(settle_ms) + " ms after the faults healed";
    std::int64_t total = 0;
    for (NodeId id : participants_) {
      ParticipantNode* p = participant(id);
      if (p == nullptr) return "participant " + std::to_string(id) + " down at the end";
      const Participant<Bank>& part = p->protocol();
      if (part.in_doubt() != 0 || part.waiting_for_app() != 0) {
        return "participant " + std::to_string(id) + " still has " +
               std::to_string(part.in_doubt()) + " transactions in doubt and " +
               std::to_string(part.waiting_for_app()) + " undecided" + after;
      }
      if (part.app().holds() != 0) {
        return "participant " + std::to_string(id) + " still holds accounts" + after;
      }
      // A coordinator gone for good sends no more watermarks: its records stay.
      if (coordinator_gone()) continue;
      if (part.finished_records() != 0) {
        return "participant " + std::to_string(id) + " still keeps " +
               std::to_string(part.finished_records()) + " records the watermark passed" + after;
      }
      for (const char* kind : {"2pc-p/t/", "2pc-p/c/", "2pc-p/x/"}) {
        if (!keys(id, kind).empty()) {
          return "participant " + std::to_string(id) + " still has " +
                 std::to_string(keys(id, kind).size()) + " keys " + kind + " on disk" + after;
        }
      }
    }
    for (int i = 0; i < accounts; ++i) {
      total += participant(holder(i))->protocol().app().balance(account(i));
    }
    // The acceptors let go of every transaction, once its coordinator and participants said
    // it is over for them (a coordinator gone for good never says so).
    for (NodeId id : acceptors_) {
      if (gone_.contains(id) || coordinator_gone()) continue;
      auto* node = static_cast<AcceptorNode*>(sim_.node(id));
      if (node->protocol().records() != 0 || !keys(id, "2pc-a/").empty()) {
        return "acceptor " + std::to_string(id) + " still keeps " +
               std::to_string(node->protocol().records()) + " transactions" + after;
      }
    }
    if (total != accounts * Bank::opening_balance) {
      return "the bank's total is " + std::to_string(total) + ", not " +
             std::to_string(accounts * Bank::opening_balance);
    }
    for (NodeId id : coordinators_) {
      if (gone_.contains(id)) continue;
      const Coordinator& co = coordinator(id)->protocol();
      if (co.collecting() != 0 || co.records() != 0 || !keys(id, "2pc-c/d/").empty()) {
        return "coordinator " + std::to_string(id) + " still holds " +
               std::to_string(co.collecting()) + " transactions collecting votes and " +
               std::to_string(keys(id, "2pc-c/d/").size()) + " commit records" + after;
      }
    }
    // Every commit reported reached every participant of the transaction.
    for (const auto& [tx, committed] : outcomes_) {
      if (!committed) continue;
      const auto& at = ledger_.committed[tx];
      if (at.size() != parts_.at(tx).size()) {
        return Ledger::name(tx) + " reported committed, committed by " + std::to_string(at.size()) +
               " of " + std::to_string(parts_.at(tx).size()) + " participants";
      }
    }
    return "";
  }

  bool coordinator_gone() const {
    return std::any_of(coordinators_.begin(), coordinators_.end(),
                       [&](NodeId c) { return gone_.contains(c); });
  }

  std::vector<std::string> keys(NodeId id, std::string_view prefix) {
    return disk_keys(sim_, id, prefix);
  }

  void fail(const std::string& why) {
    if (failure_.empty()) failure_ = "at " + std::to_string(sim_.now_ms()) + " ms: " + why;
  }

  Faults faults_;
  net::Simulator sim_;
  std::vector<NodeId> coordinators_, participants_, acceptors_;
  std::set<NodeId> lost_, gone_;  // to be lost for good; lost
  Ledger ledger_;
  std::map<TxId, std::vector<NodeId>> parts_;
  std::map<TxId, bool> outcomes_;
  std::uint64_t committed_outcomes_ = 0;
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
    f.disk_failures = true;
  } else {  // all
    f.loss = rng.unit() * 0.2;
    f.duplicate = rng.unit() * 0.05;
    f.slow = rng.unit() * 0.1;
    f.partitions = true;
    f.crashes = true;
    f.disk_failures = true;
  }
  return f;
}

/// One seed of a mix: one coordinator (one seed in three: two), three participants,
/// `acceptors` acceptors, faults for 1.5 s, then 3 s to settle. Returns "" or what went wrong; adds
/// the transactions begun and committed to the counts.
/// `bundles`: a random half of the nodes bundle their sends (the others send each message
/// alone; every node takes bundles).
inline std::string run_seed(std::uint64_t seed, const std::string& mix_name, std::uint64_t& begun,
                            std::uint64_t& committed, int acceptors = 0, bool bundles = false) {
  calm::SplitMix64 rng(seed * 7919 + 17);
  const int coordinators = rng.chance(0.67) ? 1 : 2;
  Faults faults = mix(mix_name, rng);
  if (acceptors > 0 && faults.crashes && rng.chance(0.5)) {
    const auto which = rng.below(3);
    faults.coordinator_lost = which != 1;
    faults.acceptor_lost = which != 0;
  }
  if (bundles) faults.bundling = rng.next();
  SimRun run(seed, coordinators, faults, acceptors);
  std::string failure = run.go(1500, 3000);
  begun += run.begun();
  committed += run.committed();
  return failure;
}

/// The scenarios' cluster (two_pc_scenarios_test.cpp): one coordinator (node 0), two
/// participants (nodes 1 and 2) holding a1 and a2, and with Paxos Commit three acceptors
/// (nodes 3 to 5); fixed latency of 1 ms.
class Cluster {
 public:
  /// `acceptors`: 0 (plain two-phase commit) or 3 (Paxos Commit, nodes 3 to 5).
  explicit Cluster(std::uint64_t seed = 1, int acceptors = 0) : sim_(seed, fixed_latency()) {
    for (int i = 0; i < acceptors; ++i) acceptors_.push_back(static_cast<NodeId>(3 + i));
    ledger_.fail = [this](const std::string& why) { failures_.push_back(why); };
    ledger_.parts_of = [this](const TxId& tx) -> const std::vector<NodeId>* {
      const auto it = parts_.find(tx);
      return it == parts_.end() ? nullptr : &it->second;
    };
    sim_.add_node([this](const net::NodeContext& context) {
      CoordinatorConfig config;
      config.self = 0;
      config.acceptors = acceptors_;
      auto node = std::make_unique<CoordinatorNode>(context, Coordinator(config));
      CoordinatorNode::Application app;
      app.on_final = [this](std::vector<Outcome>& outcomes) {
        for (Outcome& o : outcomes) outcomes_[o.tx] = o;
      };
      node->set_application(std::move(app));
      return node;
    });
    for (NodeId id : {NodeId{1}, NodeId{2}}) {
      sim_.add_node([this, id](const net::NodeContext& context) {
        ParticipantConfig config;
        config.self = id;
        config.acceptors = acceptors_;
        Bank::Hooks hooks = sim::ledger_hooks(id, &ledger_, [](const TxId&) {});
        hooks.answers_later = [this](const TxId&) { return later_; };
        Bank bank(std::move(hooks));
        auto node =
            std::make_unique<ParticipantNode>(context, Participant<Bank>(config, std::move(bank)));
        ledger_outcomes(*node, id, &ledger_);
        return node;
      });
    }
    for (NodeId id : acceptors_) {
      sim_.add_node([id](const net::NodeContext& context) {
        AcceptorConfig config;
        config.self = id;
        config.query_ms = 100;
        return std::make_unique<AcceptorNode>(context, Acceptor(config));
      });
    }
  }

  /// Moves `amount` from a1 (at node 1) to a2 (at node 2).
  TxId transfer(std::int64_t amount) {
    std::vector<Part> parts{{1, "a1 " + std::to_string(-amount)},
                            {2, "a2 " + std::to_string(amount)}};
    const auto tx = coordinator()->apply([&](Coordinator& c) { return c.begin(parts); });
    if (!tx) throw std::logic_error("the coordinator refused a transfer");
    parts_[*tx] = {1, 2};
    return *tx;
  }

  net::Simulator& sim() { return sim_; }
  CoordinatorNode* coordinator() { return static_cast<CoordinatorNode*>(sim_.node(0)); }
  ParticipantNode* participant(NodeId id) { return static_cast<ParticipantNode*>(sim_.node(id)); }
  AcceptorNode* acceptor(NodeId id) { return static_cast<AcceptorNode*>(sim_.node(id)); }
  /// Runs until neither participant is in doubt, at most `limit_ms`; the time it took, or
  /// nothing.
  std::optional<std::uint64_t> run_until_resolved(std::uint64_t limit_ms) {
    const std::uint64_t from = sim_.now_ms();
    for (std::uint64_t ms = 0; ms < limit_ms; ++ms) {
      sim_.run_for(1);
      if (participant(1)->protocol().in_doubt() == 0 &&
          participant(2)->protocol().in_doubt() == 0) {
        return sim_.now_ms() - from;
      }
    }
    return std::nullopt;
  }
  std::int64_t balance(NodeId id) {
    return participant(id)->protocol().app().balance("a" + std::to_string(id));
  }
  std::optional<Outcome> outcome(const TxId& tx) const {
    const auto it = outcomes_.find(tx);
    return it == outcomes_.end() ? std::nullopt : std::optional<Outcome>(it->second);
  }
  /// Keys on a node's disk under `prefix`.
  std::vector<std::string> keys(NodeId id, std::string_view prefix) {
    return sim::disk_keys(sim_, id, prefix);
  }
  void set_later(bool later) { later_ = later; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  static net::NetworkConfig fixed_latency() {
    net::NetworkConfig config;
    config.latency_min_ms = 1;
    config.latency_max_ms = 1;
    return config;
  }

  std::vector<NodeId> acceptors_;
  net::Simulator sim_;
  sim::Ledger ledger_;
  std::map<TxId, std::vector<NodeId>> parts_;
  std::map<TxId, Outcome> outcomes_;
  std::vector<std::string> failures_;
  bool later_ = false;
};

}  // namespace calm::protocols::two_pc::sim
