#pragma once
/// The shared body of the dot-based CRDTs: a Dotted<S> state, and merge, compare, atomize,
/// delta, equality and cereal forwarded to it, so that each CRDT header holds only its
/// mutators and queries.
#include <ostream>
#include <utility>
#include <vector>

#include "lattices/dot_store.hpp"

namespace calm::lattices::detail {

template <class Derived, class S>
class DottedCrdt {
 public:
  using dotted_type = Dotted<S>;
  using store_type = S;
  using id_type = typename S::id_type;
  using dot_type = Dot<id_type>;
  using context_type = DotContext<id_type>;

  DottedCrdt() = default;
  /// Adopts a dot store and its context (how ORMap hands a nested value its share).
  explicit DottedCrdt(dotted_type state) : state_(std::move(state)) {}

  const dotted_type& dotted() const { return state_; }
  /// Everything this replica has seen, removed or not.
  const context_type& context() const { return state_.context(); }

  bool merge(const Derived& other) { return state_.merge(other.state_); }
  bool is_bot() const { return state_.is_bot(); }
  std::vector<Derived> atomize() const {
    std::vector<Derived> atoms;
    for (dotted_type& atom : state_.atomize()) atoms.push_back(Derived(std::move(atom)));
    return atoms;
  }
  std::vector<Derived> decompose() const {
    std::vector<Derived> parts;
    for (dotted_type& part : state_.decompose()) parts.push_back(Derived(std::move(part)));
    return parts;
  }
  Derived delta(const Derived& other) const { return Derived(state_.delta(other.state_)); }

  friend bool operator==(const DottedCrdt&, const DottedCrdt&) = default;

  template <class Archive>
  void save(Archive& ar) const {
    ar(state_);
  }
  /// Decodes, then lets the CRDT reject states no replica can reach (`check_decoded`).
  template <class Archive>
  void load(Archive& ar) {
    ar(state_);
    if constexpr (requires(const Derived& d) { d.check_decoded(); }) {
      static_cast<const Derived&>(*this).check_decoded();
    }
  }

 protected:
  const S& store() const { return state_.store(); }
  /// The context holding exactly the dots of `part` (what a remove of `part` has seen).
  template <class Part>
  static context_type observed(const Part& part) {
    context_type seen;
    part.for_each_dot([&](const dot_type& d) { seen.insert(d); });
    return seen;
  }
  /// Merges the delta (store, context) into this replica and returns it as a Derived.
  Derived apply(S delta_store, context_type delta_context) {
    Derived delta{dotted_type(std::move(delta_store), std::move(delta_context))};
    state_.merge(delta.state_);
    return delta;
  }

  dotted_type state_;
};

}  // namespace calm::lattices::detail
