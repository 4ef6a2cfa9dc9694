#pragma once
/// WithBot<L>: L with a new bottom added below L's own.
///
/// Order:  bottom < every WithBot{l}; WithBot{a} <= WithBot{b} iff a <= b.
/// Bottom: the empty WithBot (distinct from WithBot{L{}}).
/// Top:    WithBot{top of L}, where L has one.   Merge: as L's, plus O(1).
///
/// Rationale: tells "nothing known yet" apart from "known to be L's bottom", e.g. a register
/// that was never written versus one written with an empty value.
#include <optional>
#include <ostream>
#include <vector>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <Lattice L>
class WithBot {
 public:
  using inner_type = L;

  WithBot() = default;
  explicit WithBot(L inner) : inner_(std::move(inner)) {}

  bool merge(const WithBot& other) {
    if (!other.inner_) return false;
    if (!inner_) {
      inner_ = other.inner_;
      return true;
    }
    return ::calm::lattices::merge(*inner_, *other.inner_);
  }

  std::partial_ordering compare(const WithBot& other) const {
    if (inner_ && other.inner_) return ::calm::lattices::compare(*inner_, *other.inner_);
    if (inner_.has_value() == other.inner_.has_value()) return std::partial_ordering::equivalent;
    return inner_ ? std::partial_ordering::greater : std::partial_ordering::less;
  }

  bool is_bot() const { return !inner_; }
  bool is_top() const requires BoundedLattice<L> {
    return inner_ && ::calm::lattices::is_top(*inner_);
  }
  const std::optional<L>& reveal() const { return inner_; }

  WithBot delta(const WithBot& other) const requires DeltaLattice<L> {
    if (!inner_) return {};
    if (!other.inner_) return *this;
    L d = ::calm::lattices::delta(*inner_, *other.inner_);
    // b already holds an L, so an L-bottom delta adds nothing.
    return ::calm::lattices::is_bot(d) ? WithBot{} : WithBot{std::move(d)};
  }

  friend bool operator==(const WithBot&, const WithBot&) = default;

  friend std::ostream& operator<<(std::ostream& os, const WithBot& w) {
    if (!w.inner_) return os << "WithBot(bot)";
    return os << "WithBot(" << *w.inner_ << ')';
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint8_t>(inner_.has_value()));
    if (inner_) ar(*inner_);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t present = 0;
    ar(present);
    detail::decode_require(present <= 1, "calm: WithBot presence flag is not 0 or 1");
    inner_.reset();
    if (present) {
      L inner{};
      ar(inner);
      inner_ = std::move(inner);
    }
  }

 private:
  std::optional<L> inner_;
};

}  // namespace calm::lattices
