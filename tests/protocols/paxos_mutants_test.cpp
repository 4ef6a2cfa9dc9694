// Each planted bug in paxos::Replica (the Mutant list in replica.hpp, compiled in only here)
// is caught by the simulation within 1,000 seeds: the seeds cycle through the fault mixes, and
// the test records the first that fails. Without a bug, the same seeds all pass
// (paxos_test.cpp's sweep).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "paxos_sim.hpp"
#include "protocols/storage/memory_disk.hpp"

namespace calm::protocols::paxos {
namespace {

struct Case {
  Mutant mutant;
  const char* name;
};

class PaxosMutant : public ::testing::TestWithParam<Case> {};

TEST_P(PaxosMutant, IsCaughtWithinAThousandSeeds) {
  const Case c = GetParam();
  mutant = c.mutant;
  // Every mix, and "all" (which deposes leaders mid-proposal most often) half the time.
  const char* mixes[] = {"none", "all", "loss", "all", "partition", "all", "crash", "all"};
  std::uint64_t ops = 0;
  std::string failure;
  std::uint64_t seed = 1;
  for (; seed <= 1000 && failure.empty(); ++seed) {
    failure = sim::run_seed(seed, mixes[seed % 8], ops);
  }
  mutant = Mutant::none;
  ASSERT_FALSE(failure.empty()) << c.name << " survived 1,000 seeds";
  std::printf("%s: caught at seed %llu (%s): %s\n", c.name,
              static_cast<unsigned long long>(seed - 1), mixes[(seed - 1) % 8],
              failure.substr(0, failure.find('\n')).c_str());
}

/// A cluster of one whose log syncs in the background (host.hpp): whether its command was
/// chosen before the sync that covers its acceptance ended. The simulation's seeds rarely
/// reach the harm this does (every reply waits for the sync anyway; only the commit index an
/// Accept carries leaves before it), so it is checked here, directly.
bool chosen_before_its_sync() {
  using Node = host::Host<Replica<sim::Kv>>;
  net::Simulator simulator(7);
  bool hold = false;  // syncs end 1 ms after they start, unless held
  std::vector<std::function<void()>> held;
  simulator.add_node([&](const net::NodeContext& context) {
    Config config;
    config.self = 0;
    config.members = {0};
    auto node = std::make_unique<Node>(context, Replica<sim::Kv>(config, sim::Kv{}));
    auto& disk = dynamic_cast<storage::MemoryDisk&>(context.disk);
    Node::Application app;
    app.background_sync = [&](std::function<void(const std::string*)> done) {
      const std::uint64_t covered = disk.batches_written();
      auto finish = [&disk, covered, done] {
        disk.sync_through(covered);
        done(nullptr);
      };
      if (hold) {
        held.push_back(finish);
      } else {
        simulator.at(simulator.now_ms() + 1, finish);
      }
    };
    node->set_application(std::move(app));
    return node;
  });
  auto* node = static_cast<Node*>(simulator.node(0));
  simulator.run_for(300);  // elects itself
  if (!node->protocol().is_leader()) return false;
  hold = true;
  node->apply([](Replica<sim::Kv>& p) { p.submit(1, 1, "p k a 1.1"); });
  simulator.run_for(50);
  const bool chosen_early = node->protocol().commit_index() > 0;
  hold = false;
  for (auto& finish : held) finish();
  simulator.run_for(50);
  EXPECT_GT(node->protocol().commit_index(), 0u);  // chosen once durable, either way
  return chosen_early;
}

TEST(PaxosMutantDirected, OwnVoteBeforeDurableChoosesBeforeTheSync) {
  mutant = Mutant::none;
  EXPECT_FALSE(chosen_before_its_sync());
  mutant = Mutant::own_vote_before_durable;
  EXPECT_TRUE(chosen_before_its_sync());
  mutant = Mutant::none;
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, PaxosMutant,
    ::testing::Values(Case{Mutant::quorum_of_half, "quorum_of_half"},
                      Case{Mutant::phase1_values_ignored, "phase1_values_ignored"},
                      Case{Mutant::lowest_ballot_adopted, "lowest_ballot_adopted"},
                      Case{Mutant::promise_not_persisted, "promise_not_persisted"},
                      Case{Mutant::accept_not_persisted, "accept_not_persisted"},
                      Case{Mutant::reply_before_sync, "reply_before_sync"},
                      Case{Mutant::promise_lowered, "promise_lowered"},
                      Case{Mutant::learn_from_any_ballot, "learn_from_any_ballot"},
                      Case{Mutant::holes_not_filled, "holes_not_filled"},
                      Case{Mutant::no_client_table, "no_client_table"},
                      Case{Mutant::campaign_skips_a_slot, "campaign_skips_a_slot"},
                      Case{Mutant::local_read, "local_read"},
                      Case{Mutant::read_index_is_commit, "read_index_is_commit"},
                      Case{Mutant::snapshot_without_client_table, "snapshot_without_client_table"}),
    [](const ::testing::TestParamInfo<Case>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace calm::protocols::paxos
