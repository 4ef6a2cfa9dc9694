#pragma once
/// The compile-time rules of flow in one place: every diagnostic a misuse can produce. Each
/// message names the operator, the prop and the fix; tests/compile_fail/flow_*.cpp holds one
/// program per message, and docs/flow.md has the table.
///
/// The checks are written as `if constexpr (violated) static_assert(always_false<...>, msg)`
/// so that only the first broken rule is reported, not a cascade.
#include <type_traits>

#include "flow/props.hpp"

namespace calm::flow::detail {

template <class...>
inline constexpr bool always_false = false;

/// The message for a NonDeterministic value, by the operator that made it so.
template <class P>
constexpr void explain_lost_determinism() {
  constexpr Cause why = P::cause;
  if constexpr (why == Cause::fold_over_random_batch) {
    static_assert(always_false<P>,
                  "fold() over a stream with RandomBatch yields a NonDeterministic result; use "
                  "lattice_fold(), sort() the batch first, or assume_deterministic(\"why the "
                  "order does not matter\")");
  } else if constexpr (why == Cause::fold_over_dups) {
    static_assert(always_false<P>,
                  "fold() over a stream with Dups yields a NonDeterministic result; use "
                  "lattice_fold(), unique() the stream first, or assume_deterministic(\"why "
                  "duplicates do not matter\")");
  } else if constexpr (why == Cause::fold_commutative_over_dups) {
    static_assert(always_false<P>,
                  "fold_commutative() over a stream with Dups yields a NonDeterministic result; "
                  "use lattice_fold(), unique() the stream first, or assume_deterministic(\"why "
                  "duplicates do not matter\")");
  } else if constexpr (why == Cause::reduce_over_random_batch) {
    static_assert(always_false<P>,
                  "reduce() over a stream with RandomBatch yields a NonDeterministic result; use "
                  "lattice_reduce(), sort() the batch first, or assume_deterministic(\"why the "
                  "order does not matter\")");
  } else if constexpr (why == Cause::reduce_over_dups) {
    static_assert(always_false<P>,
                  "reduce() over a stream with Dups yields a NonDeterministic result; use "
                  "lattice_reduce(), unique() the stream first, or assume_deterministic(\"why "
                  "duplicates do not matter\")");
  } else if constexpr (why == Cause::count_over_dups) {
    static_assert(always_false<P>,
                  "count() over a stream with Dups yields a NonDeterministic result; unique() the "
                  "stream first, or assume_deterministic(\"why duplicates do not matter\")");
  } else if constexpr (why == Cause::enumerate_over_dups) {
    static_assert(always_false<P>,
                  "enumerate() over a stream with Dups yields a NonDeterministic result; unique() "
                  "the stream first, or assume_deterministic(\"why duplicates do not matter\")");
  } else if constexpr (why == Cause::difference_over_random_batch) {
    static_assert(always_false<P>,
                  "difference() with a stream that has RandomBatch yields a NonDeterministic "
                  "result (an item may arrive after the subtraction); sort() both sides within "
                  "the tick, or assume_deterministic(\"why every item arrives in time\")");
  } else if constexpr (why == Cause::anti_join_over_random_batch) {
    static_assert(always_false<P>,
                  "anti_join() with a stream that has RandomBatch yields a NonDeterministic "
                  "result (a key may arrive after the subtraction); sort() both sides within "
                  "the tick, or assume_deterministic(\"why every key arrives in time\")");
  } else if constexpr (why == Cause::group_fold_over_random_batch) {
    static_assert(always_false<P>,
                  "group_by().fold() over a stream with RandomBatch yields a NonDeterministic "
                  "result; use group_by().lattice_fold(), sort() the batch first, or "
                  "assume_deterministic(\"why the order does not matter\")");
  } else if constexpr (why == Cause::group_fold_over_dups) {
    static_assert(always_false<P>,
                  "group_by().fold() over a stream with Dups yields a NonDeterministic result; "
                  "use group_by().lattice_fold(), unique() the stream first, or "
                  "assume_deterministic(\"why duplicates do not matter\")");
  } else if constexpr (why == Cause::lattice_merge_by_key_over_arrival) {
    static_assert(always_false<P>,
                  "lattice_merge_by_key() over a stream with RandomBatch or Dups emits growth "
                  "steps that depend on arrival (only each key's final value does not); merge "
                  "them with group_by().lattice_fold<L>() and assume_deterministic(\"why the "
                  "input is complete\"), or sort() and unique() the input first");
  } else if constexpr (why == Cause::lattice_join_over_arrival) {
    static_assert(always_false<P>,
                  "lattice_join() with a stream that has RandomBatch or Dups emits growth steps "
                  "that depend on arrival (only each key's final pair does not); merge them with "
                  "group_by().lattice_fold<L>() and assume_deterministic(\"why the input is "
                  "complete\"), or sort() and unique() both sides first");
  } else {
    static_assert(always_false<P>,
                  "this value is NonDeterministic (declared so by hand); only "
                  "assume_deterministic(\"reason\") lets it reach a deterministic sink");
  }
}

/// Singleton::get(): the value must be deterministic.
template <class P>
constexpr void require_deterministic_get() {
  if constexpr (has_bit<P, nondeterministic_bit>) explain_lost_determinism<P>();
}

/// Stream::collect(): the items, their order and their number must be deterministic.
template <class P>
constexpr void require_plain_collect() {
  if constexpr (has_bit<P, nondeterministic_bit>) {
    explain_lost_determinism<P>();
  } else if constexpr (has_bit<P, random_batch_bit>) {
    static_assert(always_false<P>,
                  "collect() over a stream with RandomBatch returns items in arrival order, "
                  "which differs from run to run; sort() the stream first, use lattice_fold(), "
                  "or assume_deterministic(\"why the order does not matter\")");
  } else if constexpr (has_bit<P, dups_bit>) {
    static_assert(always_false<P>,
                  "collect() over a stream with Dups may return an item more than once; "
                  "unique() the stream first, use lattice_fold(), or "
                  "assume_deterministic(\"why duplicates do not matter\")");
  }
}

/// Stream::enumerate(): numbering needs a fixed order.
template <class P>
constexpr void require_ordered_enumerate() {
  if constexpr (has_bit<P, random_batch_bit>) {
    static_assert(always_false<P>,
                  "enumerate() over a stream with RandomBatch numbers items in arrival order, "
                  "which differs from run to run; sort() the stream first, or "
                  "assume_deterministic(\"why the order does not matter\")");
  }
}

/// Cycle::feed(): a loop's stream type is declared before the loop is closed, so what is fed
/// back may not add a prop to it. sort() is not offered as a fix: inside a loop it would be a
/// blocking operator on a cycle, which cannot be stratified.
template <class Declared, class Fed>
constexpr void require_declared_feed() {
  constexpr unsigned added = Fed::bits & ~Declared::bits;
  if constexpr ((added & random_batch_bit) != 0) {
    static_assert(always_false<Fed>,
                  "Cycle::feed(): the stream fed back has RandomBatch, a prop the cycle was not "
                  "declared with; declare it in cycle<T, Props<RandomBatch, ...>>() (a loop's "
                  "rounds decide the order)");
  } else if constexpr ((added & dups_bit) != 0) {
    static_assert(always_false<Fed>,
                  "Cycle::feed(): the stream fed back has Dups, a prop the cycle was not declared "
                  "with; unique() it before feed(), or declare it in cycle<T, Props<Dups, ...>>()");
  } else if constexpr ((added & nondeterministic_bit) != 0) {
    static_assert(always_false<Fed>,
                  "Cycle::feed(): the stream fed back is NonDeterministic, a prop the cycle was "
                  "not declared with; declare it in cycle<T, Props<NonDeterministic, ...>>(), or "
                  "assume_deterministic(\"reason\") before feed()");
  }
}

}  // namespace calm::flow::detail
