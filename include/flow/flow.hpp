#pragma once
/// calm::flow: typed latticeflow streams. `#include <flow/flow.hpp>` brings all of it.
///
///   props.hpp      RandomBatch, Dups, NonDeterministic; Props<...>; has_prop_v, is_deterministic_v
///   rules.hpp      every compile-time rule and its diagnostic
///   stream.hpp     Stream and Singleton, made of one layer per operator family:
///     chain.hpp      what every chain is made of (context, type erasure, derive)
///     sinks.hpp      the tail Stream and Singleton share: for_each, assume_deterministic, explain
///     stateless.hpp  map, filter, filter_map, flat_map, inspect, map_lattice, merge, tee
///     keyed.hpp      join, cross_join, lattice_merge_by_key, lattice_join, unique, enumerate
///     blocking.hpp   sort, difference, anti_join, the folds, group_by
///     sources.hpp    standalone source_iter, source_unordered
///   graph.hpp      Graph (ticks, strata, fixpoints), Channel (runtime input), Cycle
///   scheduler.hpp  the runtime under a Graph
///   explain.hpp    explain(): text, Mermaid, DOT
///
/// See docs/flow.md for the concepts, the rule table and the runtime.
#include "flow/explain.hpp"
#include "flow/graph.hpp"
#include "flow/props.hpp"
#include "flow/rules.hpp"
#include "flow/scheduler.hpp"
#include "flow/stream.hpp"
