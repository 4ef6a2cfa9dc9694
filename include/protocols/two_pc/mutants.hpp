#pragma once
/// Two-phase commit's and Paxos Commit's planted bugs, for the test that shows the simulation
/// catches each one (tests/protocols/two_pc_mutants_test.cpp). They exist only where
/// CALM_TWO_PC_MUTANTS is defined, which no library or application target does: elsewhere
/// CALM_TWO_PC_MUTANT(m) is `false` and the compiler removes the branch.
namespace calm::protocols::two_pc {

#ifdef CALM_TWO_PC_MUTANTS
enum class Mutant {
  none,
  vote_yes_before_sync,        // a participant's yes vote leaves before its record is synced
  commit_before_log,           // the coordinator's commit record is not synced before it is sent
  forget_before_all_acks,      // the coordinator erases its record at the first ack
  abort_after_yes_on_timeout,  // a prepared participant aborts on its own timeout
  commit_on_majority,          // the coordinator commits once a majority voted yes
  presumed_commit,             // a question on a transaction with no record is answered commit
  ack_before_commit_synced,    // a participant acks a commit before it is synced
  epoch_not_bumped,            // a restarted coordinator reuses its transaction ids
  prepared_not_restored,       // a restarted participant forgets what it prepared
  ghost_prepare_staged,        // a Prepare for a decided transaction is started again
  commit_drops_refusals,       // the coordinator's commit leaves out the parts votes refused
  // Paxos Commit's
  acceptor_ignores_promise,   // an acceptor promises and accepts at or below what it promised
  acceptor_not_synced,        // an acceptor answers before its record is synced
  recovery_ignores_accepted,  // a recovery leader proposes aborted whatever was accepted
  timeout_aborts_alone,       // a coordinator aborts on its vote timeout without the acceptors
  learn_from_one_acceptor,    // a coordinator takes one acceptor's word for a vote
};
inline Mutant mutant = Mutant::none;
#define CALM_TWO_PC_MUTANT(m) \
  (::calm::protocols::two_pc::mutant == ::calm::protocols::two_pc::Mutant::m)
#else
#define CALM_TWO_PC_MUTANT(m) false
#endif

}  // namespace calm::protocols::two_pc
