// Two-phase commit, case by case, in the simulator: one coordinator (node 0) and two
// participants (nodes 1 and 2) holding bank accounts (two_pc_sim.hpp's Bank), a transfer from
// an account at node 1 to one at node 2. Each case sets up one situation of the recovery
// table in docs/two-pc.md and checks what is on the disks and what each side decided. With
// acceptors (Paxos Commit, F = 1) nodes 3, 4 and 5 are the acceptors.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "two_pc_sim.hpp"

namespace calm::protocols::two_pc {
namespace {

using sim::AcceptorNode;
using sim::Bank;
using sim::Cluster;
using sim::CoordinatorNode;
using sim::ParticipantNode;

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
  const std::string again = encode_message(Prepare{tx, tx.epoch, tx.number, "a1 -30", {}, {}});
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
  c.participant(1)->on_message(2, encode_message(Prepare{{0, 1, 0}, 1, 0, "a1 -1", {}, {}}));
  // Decisions a coordinator cannot have made: past its window, of a later epoch than its
  // own, a commit of what this participant never prepared. Nothing is recorded for them.
  c.participant(1)->on_message(0, encode_message(Decision{{0, 1, 1 << 20}, false, 1, 0}));
  c.participant(1)->on_message(0, encode_message(Decision{{0, 5, 0}, false, 1, 0}));
  c.participant(1)->on_message(0, encode_message(Decision{{0, 1, 3}, true, 1, 0}));
  c.coordinator()->on_message(1, encode_message(Vote{{0, 9, 9}, true}));  // never begun
  c.coordinator()->on_message(1, encode_message(Prepare{{0, 1, 0}, 1, 0, "", {}, {}}));
  c.sim().run_for(10);
  EXPECT_EQ(c.participant(1)->protocol().stats().rejected_messages, 6u);
  EXPECT_EQ(c.participant(1)->protocol().finished_records(), 0u);
  EXPECT_EQ(c.coordinator()->protocol().stats().rejected_messages, 2u);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
}

// ---- Paxos Commit (F = 1: acceptors 3, 4, 5) ----

TEST(PaxosCommit, ACommitIsLearnedFromTheAcceptorsAndEveryRecordIsLetGo) {
  Cluster c(1, 3);
  const TxId tx = c.transfer(30);
  c.sim().run_for(50);
  ASSERT_TRUE(c.outcome(tx));
  EXPECT_TRUE(c.outcome(tx)->committed);
  EXPECT_EQ(c.balance(1), 70);
  EXPECT_EQ(c.balance(2), 130);
  // The acceptors are the log: the coordinator wrote no record (only its epoch).
  EXPECT_TRUE(c.keys(0, "2pc-c/d/").empty());
  EXPECT_EQ(c.acceptor(3)->protocol().records(), 1u);
  EXPECT_EQ(c.keys(4, "2pc-a/r/").size(), 1u);
  // Asked after query_ms, the coordinator and both participants say it is over: let go.
  c.sim().run_for(300);
  for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) {
    EXPECT_EQ(c.acceptor(a)->protocol().records(), 0u) << a;
    EXPECT_TRUE(c.keys(a, "2pc-a/").empty()) << a;
  }
  EXPECT_TRUE(c.failures().empty());
}

// The blocking window of two-phase commit, gone: both participants voted yes, and the
// coordinator is down for good before it could tell anyone. The participants learn the
// outcome from the acceptors (it was chosen: commit), within recovery_ms and a few round
// trips, with one acceptor down as well.
TEST(PaxosCommit, PreparedParticipantsLearnTheCommitWithTheCoordinatorDownForGood) {
  Cluster c(1, 3);
  c.sim().block(3, 0);  // the acceptors' Accepted never reach the coordinator
  c.sim().block(4, 0);
  c.sim().block(5, 0);
  const TxId tx = c.transfer(30);
  c.sim().run_for(20);
  ASSERT_EQ(c.participant(1)->protocol().in_doubt(), 1u);
  ASSERT_EQ(c.participant(2)->protocol().in_doubt(), 1u);
  ASSERT_FALSE(c.outcome(tx));
  c.sim().crash(0, net::DiskFate::keep);  // and never restarted
  c.sim().crash(5, net::DiskFate::keep);  // F = 1 acceptor down too
  c.sim().heal();
  const auto took = c.run_until_resolved(3000);
  ASSERT_TRUE(took) << "still in doubt 3 s after the coordinator went down";
  EXPECT_LE(*took, ParticipantConfig{}.recovery_ms + 100);
  std::printf("in doubt for %llu ms after the coordinator went down (recovery_ms %llu)\n",
              static_cast<unsigned long long>(*took),
              static_cast<unsigned long long>(ParticipantConfig{}.recovery_ms));
  EXPECT_EQ(c.balance(1), 70);  // every yes was accepted by a majority: committed
  EXPECT_EQ(c.balance(2), 130);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
  EXPECT_EQ(c.participant(2)->protocol().app().holds(), 0u);
  EXPECT_TRUE(c.failures().empty());
}

// One participant's yes never reached the acceptors and the coordinator is gone: the other
// participant's recovery ballot finds no accepted value for it and decides abort; the
// participant that never voted through the acceptors hears it too.
TEST(PaxosCommit, AVoteNoAcceptorHeardIsDecidedAbortedByARecoveryLeader) {
  Cluster c(1, 3);
  for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) {
    c.sim().block(2, a);  // node 2's yes stays with node 2
    c.sim().block(a, 0);
  }
  const TxId tx = c.transfer(30);
  c.sim().run_for(20);
  ASSERT_EQ(c.participant(2)->protocol().in_doubt(), 1u);
  c.sim().crash(0, net::DiskFate::keep);
  c.sim().heal();
  ASSERT_TRUE(c.run_until_resolved(3000));
  EXPECT_EQ(c.balance(1), 100);
  EXPECT_EQ(c.balance(2), 100);
  EXPECT_FALSE(c.outcome(tx));
  EXPECT_TRUE(c.failures().empty());
}

// The coordinator's vote timeout with a participant silent: it may not abort alone (the
// acceptors might have chosen that vote), so it leads a recovery ballot, which decides the
// silent participant's instance aborted.
TEST(PaxosCommit, TheCoordinatorsVoteTimeoutDecidesThroughTheAcceptors) {
  Cluster c(1, 3);
  c.sim().crash(2, net::DiskFate::keep);
  const TxId tx = c.transfer(30);
  c.sim().run_for(CoordinatorConfig{}.vote_timeout_ms + 50);
  ASSERT_TRUE(c.outcome(tx));
  EXPECT_FALSE(c.outcome(tx)->committed);
  EXPECT_NE(c.outcome(tx)->reason.find("acceptors"), std::string::npos) << c.outcome(tx)->reason;
  c.sim().run_for(100);
  EXPECT_EQ(c.balance(1), 100);
  EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
  // The silent participant's record stays at the acceptors until it says Done: once it is
  // back and has heard the coordinator's watermark (Progress, every 2 s when idle).
  EXPECT_EQ(c.acceptor(3)->protocol().records(), 1u);
  c.sim().restart(2);
  c.sim().run_for(2500);
  EXPECT_EQ(c.acceptor(3)->protocol().records(), 0u);
  EXPECT_TRUE(c.failures().empty());
}

// An acceptor that lost power keeps what it promised and accepted (synced before it answered).
TEST(PaxosCommit, ARestartedAcceptorKeepsWhatItAccepted) {
  Cluster c(1, 3);
  c.sim().block(3, 0);
  c.sim().block(4, 0);
  c.sim().block(5, 0);
  c.transfer(30);
  c.sim().run_for(20);
  for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) c.sim().crash(a, net::DiskFate::keep);
  c.sim().crash(0, net::DiskFate::keep);
  c.sim().heal();
  for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) c.sim().restart(a);
  ASSERT_TRUE(c.run_until_resolved(3000));
  EXPECT_EQ(c.balance(1), 70);  // the yes votes survived the acceptors' power cut
  EXPECT_EQ(c.balance(2), 130);
  EXPECT_TRUE(c.failures().empty());
}

TEST(PaxosCommit, AnAcceptorRejectsMessagesThatBreakTheRules) {
  Cluster c(1, 3);
  const TxId tx{0, 1, 0};
  auto send = [&](NodeId from, const Message& m) {
    c.acceptor(3)->on_message(from, encode_message(m));
    c.sim().run_for(2);
  };
  const std::uint64_t before = c.acceptor(3)->protocol().stats().rejected_messages;
  send(1, Accept{tx, {0, 2}, {1, 2}, {{2, true}}});  // a round 0 not its sender's
  send(1, Accept{tx, {0, 1}, {2}, {{1, true}}});     // its sender not a participant
  send(1, Claim{tx, {0, 1}, {1, 2}});                // a claim at round 0
  send(1, Claim{tx, {1, 1}, {1, 1}});                // a participant named twice
  send(1, Accept{tx, {1, 1}, {1, 2}, {{1, true}}});  // not every instance
  send(0, Ack{tx});                                  // not an acceptor's message
  send(9, Claim{tx, {1, 9}, {1, 2}});                // a leader not in the transaction
  send(9, Accept{tx, {1, 9}, {1, 2}, {{1, true}, {2, true}}});
  c.acceptor(3)->on_message(1, "\x01\x09garbage");
  c.sim().run_for(2);
  EXPECT_EQ(c.acceptor(3)->protocol().stats().rejected_messages - before, 9u);
  EXPECT_EQ(c.acceptor(3)->protocol().records(), 0u);
  // Once it has a record, a list of participants that differs is refused too.
  send(1, Accept{tx, {0, 1}, {1, 2}, {{1, true}}});
  send(2, Accept{tx, {0, 2}, {1, 2, 3}, {{2, true}}});
  EXPECT_EQ(c.acceptor(3)->protocol().stats().rejected_messages - before, 10u);
  EXPECT_EQ(c.acceptor(3)->protocol().records(), 1u);
  // A participant hears Learned only on what it holds: forged outcomes leave nothing behind.
  for (std::uint64_t n = 0; n < 1000; ++n) {
    c.participant(1)->on_message(5, encode_message(Message{Learned{{77, 3, n}, false}}));
  }
  c.sim().run_for(2);
  EXPECT_EQ(c.participant(1)->protocol().finished_records(), 0u);
  EXPECT_TRUE(c.keys(1, "2pc-p/x/").empty());
}

// Regressions found by review (each failed before its fix). A participant that leads a
// recovery ballot, restarts, and leads round 1 again must not give ballot (1, 1) a second
// value: acceptors promise a Claim only above what they promised, so the rerun is refused
// and moves to a higher round.
TEST(PaxosCommit, ARestartedRecoveryLeaderNeverGivesItsOldBallotASecondValue) {
  Cluster c(1, 3);
  for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) c.sim().block(a, 0);
  c.sim().block(2, 3);  // node 2's yes reaches acceptor 5 only
  c.sim().block(2, 4);
  c.transfer(30);
  c.sim().run_for(20);
  c.sim().crash(0, net::DiskFate::keep);  // the coordinator, for good
  c.sim().crash(2, net::DiskFate::keep);  // node 2 down for a while
  c.sim().block(1, 5);
  const Acceptor& a3 = c.acceptor(3)->protocol();
  const Acceptor& a4 = c.acceptor(4)->protocol();
  const auto promised4 = a4.stats().promised, accepted3 = a3.stats().accepted;
  for (int i = 0; i < 3000 && a4.stats().promised == promised4; ++i) c.sim().run_for(1);
  c.sim().block(1, 4);  // node 1's Accept at (1, 1) reaches acceptor 3 only
  for (int i = 0; i < 50 && a3.stats().accepted == accepted3; ++i) c.sim().run_for(1);
  ASSERT_GT(a3.stats().accepted, accepted3);
  c.sim().crash(1, net::DiskFate::keep);
  c.sim().heal();
  c.sim().block(1, 3);
  c.sim().restart(1);  // leads round 1 again, with acceptors 4 and 5
  for (int i = 0; i < 3000 && c.participant(1)->protocol().in_doubt() != 0; ++i) {
    c.sim().run_for(1);
  }
  c.sim().heal();
  c.sim().block(2, 5);
  c.sim().run_for(10);
  c.sim().restart(2);  // leads its own ballot, with acceptors 3 and 4
  ASSERT_TRUE(c.run_until_resolved(5000));
  EXPECT_EQ(c.balance(1) + c.balance(2), 200);  // both committed or both aborted
  EXPECT_TRUE(c.failures().empty()) << c.failures().front();
}

// A participant says Done only once what makes it say so is durable: here it aborted on a
// recovery leader's word, said Done, the acceptors let go, and it lost power; had the abort
// not been synced with the Done, it would be in doubt again, and a stale Accept landing on
// the acceptors' fresh records would let its own recovery commit what the other aborted.
TEST(PaxosCommit, ADoneIsSyncedSoACollectedTransactionIsNeverDecidedAgain) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Cluster c(seed, 3);
    for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) c.sim().block(a, 0);
    c.sim().block(2, 4);  // node 2's yes reaches acceptor 3 only
    c.sim().block(2, 5);
    const TxId tx = c.transfer(30);
    c.sim().run_for(20);
    c.sim().crash(0, net::DiskFate::keep);
    c.sim().block(2, 3);
    c.sim().block(1, 5);
    const Acceptor& a3 = c.acceptor(3)->protocol();
    const Acceptor& a4 = c.acceptor(4)->protocol();
    const auto promised4 = a4.stats().promised, accepted3 = a3.stats().accepted;
    for (int i = 0; i < 3000 && a4.stats().promised == promised4; ++i) c.sim().run_for(1);
    c.sim().block(1, 4);  // node 1's Accept (all prepared) reaches acceptor 3 only
    for (int i = 0; i < 50 && a3.stats().accepted == accepted3; ++i) c.sim().run_for(1);
    ASSERT_GT(a3.stats().accepted, accepted3);
    c.sim().heal();
    c.sim().block(1, 3);  // node 1's next ballot meets 4 and 5: node 2's instance aborted
    for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) c.sim().block(2, a);
    for (int i = 0; i < 3000 && c.participant(1)->protocol().in_doubt() != 0; ++i) {
      c.sim().run_for(1);
    }
    c.sim().run_for(5);  // node 2 hears Learned abort
    ASSERT_EQ(c.balance(1), 100) << "seed " << seed;
    ASSERT_EQ(c.participant(2)->protocol().in_doubt(), 0u) << "seed " << seed;
    c.sim().heal();
    c.sim().restart(0);  // a new epoch: Done for the old one
    c.sim().run_for(400);
    c.sim().crash(2, net::DiskFate::keep);
    const std::string stale =
        encode_message(Message{Accept{tx, {1, 1}, {1, 2}, {{1, true}, {2, true}}}});
    c.acceptor(4)->on_message(1, stale);
    c.acceptor(5)->on_message(1, stale);
    c.sim().run_for(5);
    c.sim().restart(2);
    c.run_until_resolved(3000);
    EXPECT_EQ(c.balance(2), 100) << "seed " << seed;
    ASSERT_TRUE(c.failures().empty()) << "seed " << seed << ": " << c.failures().front();
  }
}

// A recovery ballot needs four one-way delays and two syncs at the acceptors; on a slow
// network it must still complete (a ballot that hears answers is not abandoned).
TEST(PaxosCommit, ARecoveryBallotCompletesOnASlowNetwork) {
  for (std::uint64_t latency : {5u, 25u, 26u, 60u, 150u, 400u}) {
    Cluster c(1, 3);
    net::NetworkConfig slow;
    slow.latency_min_ms = latency;
    slow.latency_max_ms = latency;
    c.sim().set_network(slow);
    for (NodeId a : {NodeId{3}, NodeId{4}, NodeId{5}}) c.sim().block(a, 0);
    c.transfer(30);
    c.sim().run_for(4 * latency + 50);
    c.sim().crash(0, net::DiskFate::keep);
    c.sim().heal();
    EXPECT_TRUE(c.run_until_resolved(20000)) << "in doubt after 20 s at " << latency << " ms";
    EXPECT_EQ(c.balance(1), 70) << latency;
  }
}

// A coordinator and a participant configured with different acceptors (or one of them with
// none) could decide one transaction both ways: the participant votes no and holds nothing.
TEST(PaxosCommit, AParticipantVotesNoToACoordinatorWithOtherAcceptors) {
  for (const int acceptors : {0, 3}) {
    Cluster c(1, acceptors);
    const std::vector<NodeId> others =
        acceptors == 0 ? std::vector<NodeId>{3, 4, 5} : std::vector<NodeId>{};
    const std::uint64_t before = c.participant(1)->protocol().stats().rejected_messages;
    c.participant(1)->on_message(
        0, encode_message(Message{Prepare{{0, 1, 0}, 1, 0, "a1 -1", {1, 2}, others}}));
    c.sim().run_for(5);
    EXPECT_EQ(c.participant(1)->protocol().stats().rejected_messages - before, 1u) << acceptors;
    EXPECT_EQ(c.participant(1)->protocol().in_doubt(), 0u);
    EXPECT_EQ(c.participant(1)->protocol().app().holds(), 0u);
  }
}

}  // namespace
}  // namespace calm::protocols::two_pc
