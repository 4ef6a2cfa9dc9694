// Transfers between bank accounts held by three participants, made atomic by two-phase
// commit, with power cuts in the middle. The accounts live in apps/two_pc/bank.hpp, the
// participant's application: prepare checks and holds the accounts a transfer moves, commit
// applies it, abort releases it, and everything it writes lands on disk in the protocol's own
// batches. Here all of it runs in the deterministic simulator: one coordinator (node 0) and
// three participants (nodes 1 to 3), each on the protocol host with a disk that loses what was
// not synced when the power goes. Whatever crashes, the total of all balances never changes,
// and every transfer is applied by all of its participants or by none.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocols/host/host.hpp"
#include "protocols/net/simulator.hpp"
#include "protocols/two_pc/coordinator.hpp"
#include "protocols/two_pc/participant.hpp"
#include "two_pc/bank.hpp"

namespace tpc = calm::protocols::two_pc;
namespace net = calm::protocols::net;
using calm::apps::bank::Bank;
using calm::apps::bank::move_payload;

using CoordinatorNode = calm::protocols::host::Host<tpc::Coordinator>;
using ParticipantNode = calm::protocols::host::Host<tpc::Participant<Bank>>;

constexpr int accounts = 60;  // "acct0" .. "acct59", account i at participant 1 + i % 3
net::NodeId holder(int account) { return static_cast<net::NodeId>(1 + account % 3); }
std::string name(int account) { return "acct" + std::to_string(account); }

int main() {
  net::NetworkConfig network;
  network.loss = 0.05;  // and messages arrive in any order, 1-10 ms late
  net::Simulator sim(/*seed=*/2026, network);

  // Which participants applied which transaction: to show that none is half done.
  std::map<tpc::TxId, std::set<net::NodeId>> applied;
  std::map<tpc::TxId, std::size_t> parts_of;
  std::map<tpc::TxId, bool> outcome;

  sim.add_node([&](const net::NodeContext& context) {
    tpc::CoordinatorConfig config;
    config.self = 0;
    auto node = std::make_unique<CoordinatorNode>(context, tpc::Coordinator(config));
    CoordinatorNode::Application app;
    app.on_final = [&](std::vector<tpc::Outcome>& outcomes) {
      for (const tpc::Outcome& o : outcomes) outcome[o.tx] = o.committed;
    };
    node->set_application(std::move(app));
    return node;
  });
  for (net::NodeId id = 1; id <= 3; ++id) {
    sim.add_node([&, id](const net::NodeContext& context) {
      tpc::ParticipantConfig config;
      config.self = id;
      Bank::Hooks hooks;
      hooks.on_commit = [&, id](const tpc::TxId& tx) { applied[tx].insert(id); };
      return std::make_unique<ParticipantNode>(
          context, tpc::Participant<Bank>(config, Bank(std::move(hooks))));
    });
  }
  auto coordinator = [&] { return static_cast<CoordinatorNode*>(sim.node(0)); };
  auto participant = [&](net::NodeId id) { return static_cast<ParticipantNode*>(sim.node(id)); };

  auto total = [&] {
    std::int64_t sum = 0;
    for (int a = 0; a < accounts; ++a) {
      sum += participant(holder(a))->protocol().app().balance(name(a));
    }
    return sum;
  };

  // A transfer every 3 ms for 3 s, between random accounts, of 1 to 60. One that finds an
  // account held by another, or short of money, is voted no and aborted.
  std::uint64_t begun = 0;
  for (std::uint64_t t = 0; t < 3000; t += 3) {
    sim.at(t, [&] {
      if (coordinator() == nullptr) return;  // down: the application waits
      calm::SplitMix64& rng = sim.random();
      const int from = static_cast<int>(rng.below(accounts));
      const int to = (from + 1 + static_cast<int>(rng.below(accounts - 1))) % accounts;
      const std::int64_t amount = 1 + static_cast<std::int64_t>(rng.below(60));
      std::map<net::NodeId, std::vector<calm::apps::bank::Move>> moves;
      moves[holder(from)].push_back({name(from), -amount});
      moves[holder(to)].push_back({name(to), amount});
      std::vector<tpc::Part> parts;
      for (const auto& [id, list] : moves) parts.push_back({id, move_payload(list)});
      const std::size_t n = parts.size();
      const auto tx =
          coordinator()->apply([&](tpc::Coordinator& c) { return c.begin(std::move(parts)); });
      if (tx) {
        parts_of[*tx] = n;
        ++begun;
      }
    });
  }
  // Power cuts: the coordinator twice (participants that voted yes wait, in doubt, until it
  // is back), and each participant once.
  const std::vector<std::pair<std::uint64_t, net::NodeId>> cuts{
      {400, 0}, {900, 2}, {1400, 0}, {1900, 1}, {2400, 3}};
  for (const auto& [at, id] : cuts) {
    sim.at(at, [&, id = id] {
      std::printf("%5llu ms  power cut at node %llu\n",
                  static_cast<unsigned long long>(sim.now_ms()),
                  static_cast<unsigned long long>(id));
      sim.crash(id, net::DiskFate::keep);
    });
    sim.at(at + 250, [&, id = id] { sim.restart(id); });
  }

  int failures = 0;
  for (std::uint64_t t = 500; t <= 5000; t += 500) {
    sim.run_until(t);
    bool all_up = true;
    std::size_t in_doubt = 0;
    for (net::NodeId id = 1; id <= 3; ++id) {
      if (participant(id) == nullptr) {
        all_up = false;
      } else {
        in_doubt += participant(id)->protocol().in_doubt();
      }
    }
    if (!all_up) continue;
    // (Read node by node, the sum can be off while a commit is on its way to some of its
    // participants; once nothing is in doubt it is the opening total.)
    std::printf("%5llu ms  %llu transfers begun, %zu in doubt, total %lld\n",
                static_cast<unsigned long long>(t), static_cast<unsigned long long>(begun),
                in_doubt, static_cast<long long>(total()));
  }

  std::size_t committed = 0, half_done = 0;
  for (const auto& [tx, parts] : parts_of) {
    const std::size_t at = applied[tx].size();
    if (at == parts) ++committed;
    if (at != 0 && at != parts) ++half_done;
  }
  for (const auto& [tx, ok] : outcome) {
    if (ok && applied[tx].size() != parts_of[tx]) ++half_done;
  }
  const std::int64_t expected = std::int64_t{accounts} * Bank::opening_balance;
  std::printf(
      "%llu transfers: %zu committed at every participant, %zu half done; total %lld "
      "(opening %lld)\n",
      static_cast<unsigned long long>(begun), committed, half_done, static_cast<long long>(total()),
      static_cast<long long>(expected));
  if (total() != expected) ++failures;
  if (half_done != 0) ++failures;
  for (net::NodeId id = 1; id <= 3; ++id) {
    if (participant(id)->protocol().in_doubt() != 0) ++failures;
  }
  std::printf(failures == 0 ? "the total never changed, and no transfer is half done\n"
                            : "FAILED\n");
  return failures == 0 ? 0 : 1;
}
