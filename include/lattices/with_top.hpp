#pragma once
/// WithTop<L>: L with a new top added above every value of L.
///
/// Order:  every WithTop{l} < top; WithTop{a} <= WithTop{b} iff a <= b.
/// Bottom: WithTop{L{}}.   Top: WithTop::top() (is_top).   Merge: as L's, plus O(1).
///
/// Rationale: a sticky "poisoned" or "sealed" state: once any replica reaches top, every
/// replica does, whatever L holds. At top the inner value is reset to bottom so that
/// equality does not depend on how top was reached.
#include <cstdint>
#include <ostream>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <Lattice L>
class WithTop {
 public:
  using inner_type = L;

  WithTop() = default;
  explicit WithTop(L inner) : inner_(std::move(inner)) {}

  static WithTop top() {
    WithTop w;
    w.top_ = true;
    return w;
  }

  bool merge(const WithTop& other) {
    if (top_) return false;
    if (other.top_) {
      become_top();
      return true;
    }
    return ::calm::lattices::merge(inner_, other.inner_);
  }

  std::partial_ordering compare(const WithTop& other) const {
    if (top_ || other.top_) {
      if (top_ == other.top_) return std::partial_ordering::equivalent;
      return top_ ? std::partial_ordering::greater : std::partial_ordering::less;
    }
    return ::calm::lattices::compare(inner_, other.inner_);
  }

  bool is_bot() const { return !top_ && ::calm::lattices::is_bot(inner_); }
  bool is_top() const { return top_; }
  /// The inner value; L's bottom at top.
  const L& reveal() const { return inner_; }

  WithTop delta(const WithTop& other) const requires DeltaLattice<L> {
    if (other.top_) return {};
    if (top_) return *this;
    return WithTop{::calm::lattices::delta(inner_, other.inner_)};
  }

  friend bool operator==(const WithTop&, const WithTop&) = default;

  friend std::ostream& operator<<(std::ostream& os, const WithTop& w) {
    if (w.top_) return os << "WithTop(top)";
    return os << "WithTop(" << w.inner_ << ')';
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint8_t>(top_));
    if (!top_) ar(inner_);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t top = 0;
    ar(top);
    detail::decode_require(top <= 1, "calm: WithTop flag is not 0 or 1");
    inner_ = L{};
    top_ = top == 1;
    if (!top_) ar(inner_);
  }

 private:
  void become_top() {
    top_ = true;
    inner_ = L{};
  }

  L inner_{};
  bool top_ = false;
};

}  // namespace calm::lattices
