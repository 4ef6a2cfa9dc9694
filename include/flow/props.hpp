#pragma once
/// What a stream's type knows about its items: a compile-time set of three props.
///
/// | prop               | meaning                                                            |
/// |--------------------|--------------------------------------------------------------------|
/// | `RandomBatch`      | batching and order depend on arrival: another run may differ       |
/// | `Dups`             | an item may arrive more than once                                  |
/// | `NonDeterministic` | the contents themselves may differ from run to run                 |
///
/// `Props<RandomBatch, Dups>` is the set; the order of its arguments does not matter
/// (`Props<Dups, RandomBatch>` is the same type). A NonDeterministic set also remembers the
/// first operator that lost determinism (its `cause`), so that a sink that needs a
/// deterministic input can say which operator to fix (see rules.hpp).
///
/// Rationale: the set is a bitmask rather than a type list so that equal sets are equal types,
/// which keeps the `Stream` and `Singleton` types that users spell short and comparable.
#include <string>
#include <type_traits>

namespace calm::flow {

/// Batching and order depend on arrival.
struct RandomBatch {};
/// An item may arrive more than once.
struct Dups {};
/// The contents may differ from run to run.
struct NonDeterministic {};

namespace cause {
/// Why a value is NonDeterministic: the first operator that lost determinism. `unknown` is a
/// set spelled by hand, e.g. `Props<NonDeterministic>`.
enum class Cause {
  unknown,
  fold_over_random_batch,
  fold_over_dups,
  fold_commutative_over_dups,
  reduce_over_random_batch,
  reduce_over_dups,
  count_over_dups,
  enumerate_over_dups,
  difference_over_random_batch,
  anti_join_over_random_batch,
  group_fold_over_random_batch,
  group_fold_over_dups,
  lattice_merge_by_key_over_arrival,
  lattice_join_over_arrival,
};
}  // namespace cause
using cause::Cause;

namespace detail {
inline constexpr unsigned random_batch_bit = 1u;
inline constexpr unsigned dups_bit = 2u;
inline constexpr unsigned nondeterministic_bit = 4u;

template <class P>
inline constexpr unsigned bit_of = 0u;
template <>
inline constexpr unsigned bit_of<RandomBatch> = random_batch_bit;
template <>
inline constexpr unsigned bit_of<Dups> = dups_bit;
template <>
inline constexpr unsigned bit_of<NonDeterministic> = nondeterministic_bit;

template <class P>
inline constexpr bool is_prop_v = std::is_same_v<P, RandomBatch> || std::is_same_v<P, Dups> ||
                                  std::is_same_v<P, NonDeterministic>;
}  // namespace detail

/// The set itself. Users spell it `Props<...>`; `Why` is kept only while NonDeterministic is in
/// the set.
template <unsigned Bits, Cause Why = Cause::unknown>
struct PropSet {
  static_assert(Bits <= 7u, "calm::flow: a prop set has three props");
  static_assert(Why == Cause::unknown || (Bits & detail::nondeterministic_bit) != 0,
                "calm::flow: a cause is kept only with NonDeterministic");
  static constexpr unsigned bits = Bits;
  static constexpr Cause cause = Why;
  using props = PropSet;  // so that has_prop_v works on a set as on a stream
};

/// `Props<RandomBatch, Dups>`: the set of the props listed, in any order.
template <class... P>
requires(detail::is_prop_v<P>&&...) using Props = PropSet<(0u | ... | detail::bit_of<P>)>;

namespace detail {
template <class P>
inline constexpr bool is_prop_set_v = false;
template <unsigned B, Cause C>
inline constexpr bool is_prop_set_v<PropSet<B, C>> = true;

template <class P, unsigned Bit>
inline constexpr bool has_bit = (P::bits & Bit) != 0;

/// P without the props in Bits (a cause goes with NonDeterministic).
template <class P, unsigned Bits>
using without = PropSet<(P::bits & ~Bits),
                        ((P::bits & ~Bits) & nondeterministic_bit) ? P::cause : Cause::unknown>;

/// P with the props in Bits (NonDeterministic is added with its own rule, see `lose`).
template <class P, unsigned Bits>
using with = PropSet<(P::bits | Bits), P::cause>;

/// P made NonDeterministic by `Why`, unless it already was (then the earlier cause stays).
template <class P, Cause Why>
using lose =
    PropSet<(P::bits | nondeterministic_bit), has_bit<P, nondeterministic_bit> ? P::cause : Why>;

/// P made NonDeterministic by `Why` when `Lost` holds, else P.
template <class P, bool Lost, Cause Why>
using lose_if = std::conditional_t<Lost, lose<P, Why>, P>;

/// The union of two sets; the left side's cause wins when both have one.
template <class P, class Q>
using either = PropSet<(P::bits | Q::bits), has_bit<P, nondeterministic_bit>   ? P::cause
                                            : has_bit<Q, nondeterministic_bit> ? Q::cause
                                                                               : Cause::unknown>;

/// "{RandomBatch, Dups}": the set as explain() prints it.
template <class P>
std::string props_name() {
  std::string out = "{";
  auto add = [&](bool present, const char* name) {
    if (!present) return;
    if (out.size() > 1) out += ", ";
    out += name;
  };
  add(has_bit<P, random_batch_bit>, "RandomBatch");
  add(has_bit<P, dups_bit>, "Dups");
  add(has_bit<P, nondeterministic_bit>, "NonDeterministic");
  return out + "}";
}
}  // namespace detail

/// Whether the stream, singleton or prop set `S` has the prop `P`.
template <class S, class P>
requires detail::is_prop_v<P>
inline constexpr bool has_prop_v = (S::props::bits & detail::bit_of<P>) != 0;

/// Whether every run yields the same thing: for a Stream the same items in the same order and
/// multiplicity, for a Singleton the same value. True exactly when `S` has no props.
template <class S>
inline constexpr bool is_deterministic_v = S::props::bits == 0u;

}  // namespace calm::flow
