// Each planted bug in paxos::Replica (the Mutant list in replica.hpp, compiled in only here)
// is caught by the simulation within 1,000 seeds: the seeds cycle through the fault mixes, and
// the test records the first that fails. Without a bug, the same seeds all pass
// (paxos_test.cpp's sweep).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "paxos_sim.hpp"

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
