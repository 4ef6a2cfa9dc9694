#pragma once
/// VecUnion<L>: a vector of lattices merged index by index; the shorter is padded with bottom.
///
/// Order:  a <= b  iff  a[i] <= b[i] for every index (a missing index is bottom).
/// Bottom: the empty vector. Trailing bottoms are trimmed, so {} == {L{}}.
/// Top:    none.
/// Merge:  O(max(|a|, |b|)) element merges.
///
/// Rationale: the lattice of fixed-position slots (a log of Point<T>, per-slot maxima);
/// trimming keeps equality independent of how long a vector was padded.
#include <compare>
#include <initializer_list>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <Lattice L>
class VecUnion {
 public:
  using value_type = L;
  using const_iterator = typename std::vector<L>::const_iterator;

  VecUnion() = default;
  VecUnion(std::initializer_list<L> elements) : elements_(elements) { trim(); }
  explicit VecUnion(std::vector<L> elements) : elements_(std::move(elements)) { trim(); }

  /// The value at `index`, bottom past the end.
  const L& get(std::size_t index) const {
    static const L bottom{};
    return index < elements_.size() ? elements_[index] : bottom;
  }
  /// One past the last non-bottom index.
  std::size_t size() const { return elements_.size(); }
  const_iterator begin() const { return elements_.begin(); }
  const_iterator end() const { return elements_.end(); }
  const std::vector<L>& reveal() const { return elements_; }

  /// Merges `value` into slot `index`; returns whether it changed. `value` is taken by value:
  /// it may refer into this vector, which growing would invalidate.
  bool merge_at(std::size_t index, L value) {
    if (::calm::lattices::is_bot(value)) return false;
    if (index >= elements_.max_size()) throw std::length_error("calm: VecUnion index too large");
    if (index >= elements_.size()) elements_.resize(index + 1);
    return ::calm::lattices::merge(elements_[index], std::move(value));
  }

  bool merge(const VecUnion& other) {
    if (this == &other) return false;
    if (other.elements_.size() > elements_.size()) elements_.resize(other.elements_.size());
    bool changed = false;
    try {
      for (std::size_t i = 0; i < other.elements_.size(); ++i) {
        changed |= ::calm::lattices::merge(elements_[i], other.elements_[i]);
      }
    } catch (...) {
      trim();  // a partial lattice's join failed part-way: keep the value canonical
      throw;
    }
    return changed;
  }

  std::partial_ordering compare(const VecUnion& other) const {
    auto order = std::partial_ordering::equivalent;
    const std::size_t n = std::max(size(), other.size());
    for (std::size_t i = 0; i < n && order != std::partial_ordering::unordered; ++i) {
      order = detail::combine(order, ::calm::lattices::compare(get(i), other.get(i)));
    }
    return order;
  }

  bool is_bot() const { return elements_.empty(); }

  std::vector<VecUnion> atomize() const requires Atomizable<L> {
    std::vector<VecUnion> atoms;
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      for (L& part : ::calm::lattices::atomize(elements_[i])) {
        VecUnion atom;
        atom.merge_at(i, part);
        atoms.push_back(std::move(atom));
      }
    }
    return atoms;
  }

  VecUnion delta(const VecUnion& other) const requires DeltaLattice<L> {
    std::vector<L> out(elements_.size());
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      out[i] = ::calm::lattices::delta(elements_[i], other.get(i));
    }
    return VecUnion(std::move(out));
  }

  friend bool operator==(const VecUnion&, const VecUnion&) = default;

  friend std::ostream& operator<<(std::ostream& os, const VecUnion& v) {
    os << "VecUnion[";
    const char* sep = "";
    for (const L& x : v.elements_) {
      os << sep << x;
      sep = ", ";
    }
    return os << ']';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, elements_.size());
    for (const L& x : elements_) ar(x);
  }
  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t n = detail::load_size(ar);
    elements_.clear();
    elements_.reserve(detail::bounded_reserve(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      L x{};
      ar(x);
      elements_.push_back(std::move(x));
    }
    detail::decode_require(elements_.empty() || !::calm::lattices::is_bot(elements_.back()),
                           "calm: VecUnion ends in bottom (not trimmed)");
  }

 private:
  void trim() {
    while (!elements_.empty() && ::calm::lattices::is_bot(elements_.back())) elements_.pop_back();
  }

  std::vector<L> elements_;
};

}  // namespace calm::lattices
