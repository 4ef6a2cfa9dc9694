#pragma once
/// check_delta_crdt<C>(): every mutator's delta, shipped over a faulty network, converges.
///
/// A CRDT type C opts in by specializing DeltaCrdtModel<C> (below). The harness then runs
/// random operation sequences at 2 to 5 replicas, ships each mutator's delta to the other
/// replicas in random order, duplicated, dropped and retransmitted, and joined into delta
/// groups first; and checks that all replicas end equal to each other and to a reference
/// model of the type fed the same operations.
#include <cstdint>

#include "lattices/testing.hpp"

namespace calm::lattices::testing {

/// What check_delta_crdt<C>() needs to know about C. Specialize it with these members:
///
///   using Op = ...;           // one mutator call, with its arguments; needs operator<<
///                             // (counterexamples print it)
///   using Reference = ...;    // the reference model at one replica: a plain, obviously right
///                             // value (an OR-set with tombstones, a list of increments, the
///                             // set of writes with what each overwrote). Needs a default
///                             // constructor (the initial state) and a member
///                             // `void merge(const Reference&)` that takes in an effect.
///   using Observation = ...;  // what a user reads (elements, value, ...); == and operator<<
///
///   // The operations replica `replica` (1..n) may issue; the generator may look at nothing
///   // but its argument.
///   static rc::Gen<Op> gen_op(std::uint64_t replica);
///   // Runs the mutator at `replica` and returns the delta it returned.
///   static C apply(C& crdt, std::uint64_t replica, const Op& op);
///   // Applies the same operation to the reference at `replica`; `op_id` is unique in the run
///   // (a tag for OR-set tombstones). Returns the effect to merge at the other replicas.
///   static Reference apply(Reference& ref, std::uint64_t replica, const Op& op,
///                          std::uint64_t op_id);
///   static Observation observe(const C& crdt);
///   static Observation observe(const Reference& ref);
///
///   // Optional. When true (the default), after every delivery each replica's observation
///   // must equal its reference's. Set it false for types whose deltas carry more than the
///   // operation's own effect (a counter's delta is the replica's whole running total), which
///   // are then compared once every delta has reached every replica.
///   static constexpr bool compare_each_step = true;
template <class C>
struct DeltaCrdtModel;

}  // namespace calm::lattices::testing
