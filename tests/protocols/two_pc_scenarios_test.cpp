// Two-phase commit, case by case, in the simulator: one coordinator (node 0) and two
// participants (nodes 1 and 2) holding bank accounts (two_pc_sim.hpp's Bank), a transfer from
// an account at node 1 to one at node 2. Each case sets up one situation of the recovery
// table in docs/two-pc.md and checks what is on the disks and what each side decided.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "two_pc_sim.hpp"

namespace calm::protocols::two_pc {
namespace {

using sim::Bank;
using sim::CoordinatorNode;
using sim::ParticipantNode;

class Cluster {
 public:
  explicit Cluster(std::uint64_t seed = 1) : sim_(seed, fixed_latency()) {
    ledger_.fail = [this](const std::string& why) { failures_.push_back(why); };
    ledger_.parts_of = [this](const TxId& tx) -> const std::vector<NodeId>* {
      const auto it = parts_.find(tx);
      return it == parts_.end() ? nullptr : &it->second;
    };
    sim_.add_node([this](const net::NodeContext& context) {
      CoordinatorConfig config;
      config.self = 0;
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
        Bank::Hooks hooks = sim::ledger_hooks(id, &ledger_, [](const TxId&) {});
        hooks.answers_later = [this](const TxId&) { return later_; };
        Bank bank(std::move(hooks));
        return std::make_unique<ParticipantNode>(context,
                                                 Participant<Bank>(config, std::move(bank)));
      });
    }
  }

  /// Moves `amount` from a1 (at node 1) to a2 (at node 2).
  TxId transfer(std::int64_t amount) {
    std::vector<Part> parts{{1, "a1 " + std::to_string(-amount)},
                            {2, "a2 " + std::to_string(amount)}};
    const auto tx = coordinator()->apply([&](Coordinator& c) { return c.begin(parts); });
    EXPECT_TRUE(tx.has_value());
    parts_[*tx] = {1, 2};
    return *tx;
  }

  net::Simulator& sim() { return sim_; }
  CoordinatorNode* coordinator() { return static_cast<CoordinatorNode*>(sim_.node(0)); }
  ParticipantNode* participant(NodeId id) { return static_cast<ParticipantNode*>(sim_.node(id)); }
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

  net::Simulator sim_;
  sim::Ledger ledger_;
  std::map<TxId, std::vector<NodeId>> parts_;
  std::map<TxId, Outcome> outcomes_;
  std::vector<std::string> failures_;
  bool later_ = false;
};

TEST(TwoPc, ACommitReachesEveryParticipantAndItsRecordIsCollected) {
  Cluster c;
  const TxId tx = c.transfer(30);
  c.sim().run_for(50);
  ASSERT_TRUE(c.outcome(tx));
  EXPECT_TRUE(c.outcome(tx)->committed);
  EXPECT_EQ(c.balance(1), 70);
  EXPECT_EQ(c.balance(2), 130);
  // Every ack in: no record left at the coordinator, nothing in doubt.
  EXPECT_EQ(c.coordinator()->protocol().records(), 0u);
  EXPECT_TRUE(c.keys(0, "2pc-c/d/").empty());
  EXPECT_EQ(c.participant(1)->protocol().in_doubt(), 0u);
  EXPECT_TRUE(c.keys(1, "2pc-p/t/").empty());
  EXPECT_TRUE(c.failures().empty());
}

TEST(TwoPc, ANoVoteAbortsWithNoRecordAndReleasesTheOthersHolds) {
  Cluster c;
  const TxId tx = c.transfer(150);  // a1 holds 100: node 1 votes no
  c.sim().run_for(50);
  ASSERT_TRUE(c.outcome(tx));
  EXPECT_FALSE(c.outcome(tx)->committed);
  EXPECT_NE(c.outcome(tx)->reason.find("no vote from node 1"), std::string::npos);
  EXPECT_EQ(c.balance(1), 100);
  EXPECT_EQ(c.balance(2), 100);
  EXPECT_TRUE(c.keys(0, "2pc-c/d/").empty());  // presumed abort: never written
  EXPECT_EQ(c.participant(2)->protocol().app().holds(), 0u);
  EXPECT_EQ(c.participant(2)->protocol().in_doubt(), 0u);
}

// The blocking window: both participants voted yes and the coordinator is down before it
// could decide. They stay in doubt, holding the accounts, for as long as it is down; once it
// is back (with no record: presumed abort) their next question resolves them.
TEST(TwoPc, PreparedParticipantsStayInDoubtUntilTheCoordinatorReturns) {
  Cluster c;
  c.sim().block(1, 0);  // the votes never arrive
  c.sim().block(2, 0);
  const TxId tx = c.transfer(30);
  c.sim().run_for(20);
  ASSERT_EQ(c.participant(1)->protocol().in_doubt(), 1u);
  ASSERT_EQ(c.participant(2)->protocol().in_doubt(), 1u);
  c.sim().crash(0, net::DiskFate::keep);
  c.sim().heal();
  c.sim().run_for(5000);  // however long: nobody else can decide
  EXPECT_EQ(c.participant(1)->protocol().in_doubt(), 1u);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 1u);
  EXPECT_EQ(c.participant(2)->protocol().in_doubt(), 1u);
  const std::uint64_t back = c.sim().now_ms();
  c.sim().restart(0);
  std::uint64_t resolved = 0;
  for (int ms = 0; ms < 200 && resolved == 0; ++ms) {
    c.sim().run_for(1);
    if (c.participant(1)->protocol().in_doubt() == 0 &&
        c.participant(2)->protocol().in_doubt() == 0) {
      resolved = c.sim().now_ms();
    }
  }
  ASSERT_NE(resolved, 0u) << "still in doubt 200 ms after the coordinator came back";
  EXPECT_LE(resolved - back, 50u);  // one question and its answer: within resend_ms
  EXPECT_EQ(c.balance(1), 100);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
  EXPECT_FALSE(c.outcome(tx).has_value());  // the coordinator that began it never reported
  EXPECT_TRUE(c.failures().empty());
}

// The coordinator wrote its commit record, and crashed before any participant heard: its
// restart resends the commit until every participant acked.
TEST(TwoPc, ARestartedCoordinatorResendsTheCommitsItLogged) {
  Cluster c;
  const TxId tx = c.transfer(30);
  c.sim().run_for(1);   // the Prepares arrive
  c.sim().block(0, 1);  // and the decision never does
  c.sim().block(0, 2);
  c.sim().run_for(20);
  ASSERT_TRUE(c.outcome(tx) && c.outcome(tx)->committed);
  ASSERT_EQ(c.keys(0, "2pc-c/d/").size(), 1u);
  c.sim().crash(0, net::DiskFate::keep);
  c.sim().heal();
  c.sim().restart(0);
  c.sim().run_for(100);
  EXPECT_EQ(c.balance(1), 70);
  EXPECT_EQ(c.balance(2), 130);
  EXPECT_TRUE(c.keys(0, "2pc-c/d/").empty());
  EXPECT_GT(c.coordinator()->protocol().epoch(), 1u);  // a new epoch: no id is used twice
}

// A participant that voted yes and lost power keeps its vote: it restarts in doubt, holding
// the account, and learns the outcome.
TEST(TwoPc, AParticipantRestartedAfterItsYesVoteIsInDoubtAndLearnsTheCommit) {
  Cluster c;
  const TxId tx = c.transfer(30);
  c.sim().run_for(1);
  c.sim().block(0, 1);  // node 1 votes, and hears nothing back
  c.sim().run_for(20);
  ASSERT_TRUE(c.outcome(tx) && c.outcome(tx)->committed);
  c.sim().crash(1, net::DiskFate::keep);
  c.sim().restart(1);
  EXPECT_EQ(c.participant(1)->protocol().in_doubt(), 1u);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 1u);
  c.sim().heal();
  c.sim().run_for(100);
  EXPECT_EQ(c.participant(1)->protocol().in_doubt(), 0u);
  EXPECT_EQ(c.balance(1), 70);
  EXPECT_TRUE(c.keys(0, "2pc-c/d/").empty());
}

// A participant whose app answered later and never voted aborts on its own timeout, says no,
// and refuses the transaction for good, however often its Prepare comes again.
TEST(TwoPc, AnUnansweredVoteAbortsOnTheParticipantsTimeoutAndStaysAborted) {
  Cluster c;
  c.set_later(true);
  const TxId tx = c.transfer(30);
  c.sim().run_for(400);
  ASSERT_TRUE(c.outcome(tx));
  EXPECT_FALSE(c.outcome(tx)->committed);
  EXPECT_EQ(c.participant(1)->protocol().waiting_for_app(), 0u);
  EXPECT_EQ(c.participant(1)->protocol().stats().aborted, 1u);
  // The app answers yes too late: refused, nothing held.
  const bool taken = c.participant(1)->apply(
      [&](Participant<Bank>& p) { return p.vote(tx, [](AppWrites&) { return true; }); });
  EXPECT_FALSE(taken);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
  EXPECT_EQ(c.balance(1), 100);
}

// A Prepare that arrives again after its transaction ended (a duplicate, or one delayed past
// the decision) is not started again: its record, or the watermark past it, says no.
TEST(TwoPc, APrepareForAnEndedTransactionIsNotStartedAgain) {
  Cluster c;
  const TxId tx = c.transfer(30);
  c.sim().run_for(50);
  ASSERT_TRUE(c.outcome(tx) && c.outcome(tx)->committed);
  const std::string again = encode_message(Prepare{tx, tx.epoch, tx.number, "a1 -30"});
  c.participant(1)->on_message(0, again);
  c.sim().run_for(50);
  EXPECT_EQ(c.balance(1), 70);  // once, not twice
  EXPECT_EQ(c.participant(1)->protocol().in_doubt(), 0u);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
  EXPECT_TRUE(c.failures().empty());
}

// An application request that throws (a participant named twice) changes nothing: the
// transaction under way goes on and commits.
TEST(TwoPc, ABeginThatThrowsLeavesTheTransactionsUnderWayAlone) {
  Cluster c;
  const TxId tx = c.transfer(30);
  EXPECT_THROW(c.coordinator()->apply([](Coordinator& co) {
    return co.begin({{1, "a1 -1"}, {1, "a1 -2"}});
  }),
               std::invalid_argument);
  c.sim().run_for(50);
  ASSERT_TRUE(c.outcome(tx));
  EXPECT_TRUE(c.outcome(tx)->committed);
  EXPECT_EQ(c.balance(1), 70);
}

// A disk that refuses the coordinator's commit record: the transaction is aborted (no
// record, so nobody may hear commit), and the next one commits once the disk is back.
TEST(TwoPc, ACommitRecordThatCannotBeWrittenAbortsItsTransaction) {
  Cluster c;
  c.sim().run_for(10);  // booted, the epoch written
  const TxId tx = c.transfer(30);
  c.sim().run_for(1);  // the Prepares leave
  c.sim().disk(0).fail_writes(true);
  c.sim().run_for(10);
  c.sim().disk(0).fail_writes(false);
  c.sim().run_for(100);
  ASSERT_TRUE(c.outcome(tx));
  EXPECT_FALSE(c.outcome(tx)->committed);
  EXPECT_EQ(c.outcome(tx)->reason, "the commit record could not be written");
  EXPECT_EQ(c.balance(1), 100);
  EXPECT_EQ(c.participant(1)->protocol().in_doubt(), 0u);
  const TxId next = c.transfer(30);
  c.sim().run_for(50);
  ASSERT_TRUE(c.outcome(next) && c.outcome(next)->committed);
  EXPECT_EQ(c.balance(1), 70);
  EXPECT_TRUE(c.failures().empty());
}

// Bytes from a member that are not a message, or a message of the wrong role, change
// nothing: they are counted and logged.
TEST(TwoPc, MalformedAndMisdirectedMessagesAreRejected) {
  Cluster c;
  c.participant(1)->on_message(0, "not a frame");
  c.participant(1)->on_message(0, encode_message(Ack{{0, 1, 0}}));
  c.participant(1)->on_message(2, encode_message(Prepare{{0, 1, 0}, 1, 0, "a1 -1"}));
  // Decisions a coordinator cannot have made: past its window, of a later epoch than its
  // own, a commit of what this participant never prepared. Nothing is recorded for them.
  c.participant(1)->on_message(0, encode_message(Decision{{0, 1, 1 << 20}, false, 1, 0}));
  c.participant(1)->on_message(0, encode_message(Decision{{0, 5, 0}, false, 1, 0}));
  c.participant(1)->on_message(0, encode_message(Decision{{0, 1, 3}, true, 1, 0}));
  c.coordinator()->on_message(1, encode_message(Vote{{0, 9, 9}, true}));  // never begun
  c.coordinator()->on_message(1, encode_message(Prepare{{0, 1, 0}, 1, 0, ""}));
  c.sim().run_for(10);
  EXPECT_EQ(c.participant(1)->protocol().stats().rejected_messages, 6u);
  EXPECT_EQ(c.participant(1)->protocol().finished_records(), 0u);
  EXPECT_EQ(c.coordinator()->protocol().stats().rejected_messages, 2u);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
}

}  // namespace
}  // namespace calm::protocols::two_pc
