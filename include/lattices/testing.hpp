#pragma once
/// The law harness, all of it: what a user includes to check a lattice or a CRDT.
///
///   lattices/testing/laws.hpp          check_lattice, check_morphism, check_monotone, Options,
///                                      rc::Arbitrary for the lattices
///   lattices/testing/mutators.hpp      Mutators<C>: the operations of any CRDT, composed
///   lattices/testing/delta_crdt.hpp    check_delta_crdt, check_crdt, DeltaCrdtModel<C>
///   lattices/testing/causal_crdts.hpp  generators and models of the dot-based CRDTs
///   lattices/testing/scalar_crdts.hpp  ... of counters, registers, TwoPSet and Causal
///   lattices/testing/sequences.hpp     ... of List and Text
///
/// Each includes what it uses; none includes this file.
#include "lattices/testing/causal_crdts.hpp"
#include "lattices/testing/delta_crdt.hpp"
#include "lattices/testing/laws.hpp"
#include "lattices/testing/mutators.hpp"
#include "lattices/testing/scalar_crdts.hpp"
#include "lattices/testing/sequences.hpp"
