#pragma once
/// Boxed<L>: L held on the heap, and not at all while it is bottom.
///
/// Order:  L's: Boxed{a} <= Boxed{b} iff a <= b. The empty box is L's own bottom (unlike
///         WithBot, no new element is added).
/// Bottom: the empty box, which owns no memory.   Top: L's, where L has one.
/// Merge:  L's, plus O(1); into an empty box, a copy of the other side (or, from an rvalue,
///         its box taken whole).
/// Atoms, delta, decompose: L's, each boxed. Bytes: exactly L's (cereal).
///
/// Rationale: a product of lattices pays sizeof of every field even when most of them stay at
/// bottom; calm-kvs's KeyValue carried 576 bytes of counter, set and hash in every string key.
/// Boxed, an idle field costs one pointer. It is the same lattice as L and encodes to the same
/// bytes, so boxing a field of a stored struct changes no stored or sent format. A box that a
/// writer leaves at bottom (through mutable_value()) still equals the empty box, compares,
/// encodes and hashes as it, and is dropped by the next copy, merge or assignment: nothing
/// observable depends on how the value was built.
///
/// Vocabulary: `value()` (and `*`, `->`) reads, L's bottom when empty, never allocates;
/// `mutable_value()` writes, allocating the box on first use; `allocated()` says whether a
/// box is held (for memory accounting and tests, not for the value's meaning).
#include <compare>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/detail/input_archive.hpp"
#include "lattices/detail/output_archive.hpp"
#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <Lattice L>
class Boxed {
 public:
  using inner_type = L;

  Boxed() = default;
  /// Boxes `inner`, or holds nothing when it is bottom.
  explicit Boxed(L inner) { assign(std::move(inner)); }

  Boxed(const Boxed& other) {
    if (!other.is_bot()) box_ = std::make_unique<L>(*other.box_);
  }
  /// Takes the box: `other` is left empty (bottom).
  Boxed(Boxed&& other) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    if (this == &other) return *this;
    if (other.is_bot()) {
      box_.reset();
    } else if (box_) {
      *box_ = *other.box_;  // reuses this box
    } else {
      box_ = std::make_unique<L>(*other.box_);
    }
    return *this;
  }
  Boxed& operator=(Boxed&& other) noexcept = default;
  /// The same as `*this = Boxed(inner)`, reusing the box when one is held.
  Boxed& operator=(L inner) {
    assign(std::move(inner));
    return *this;
  }

  static Boxed top() requires requires {
    { L::top() } -> std::convertible_to<L>;
  }
  { return Boxed(L::top()); }

  /// The value: L's bottom when no box is held.
  const L& value() const { return box_ ? *box_ : bottom(); }
  const L& operator*() const { return value(); }
  const L* operator->() const { return &value(); }
  /// The value, to write in place; allocates a bottom L first when no box is held.
  L& mutable_value() {
    if (!box_) box_ = std::make_unique<L>();
    return *box_;
  }
  /// Whether a box is held. An empty box is always bottom; a held one may be too (left so by
  /// a writer through mutable_value()).
  bool allocated() const { return box_ != nullptr; }

  bool merge(const Boxed& other) {
    if (other.is_bot()) return false;
    if (!box_) {
      box_ = std::make_unique<L>(*other.box_);
      return true;
    }
    return ::calm::lattices::merge(*box_, *other.box_);
  }
  bool merge(Boxed&& other) {
    // A box merged into itself: the join is the box, which the reset below would empty.
    if (this == &other || other.is_bot()) return false;
    if (is_bot()) {
      box_ = std::move(other.box_);  // other is above bottom: the join is other
      return true;
    }
    const bool changed = ::calm::lattices::merge(*box_, std::move(*other.box_));
    other.box_.reset();  // a moved-from Boxed is bottom, never a moved-from L
    return changed;
  }

  /// The join of every box, moving from them: L's own join_all of the values inside.
  static Boxed join_all(std::vector<Boxed>& values) {
    std::vector<L> inner;
    inner.reserve(values.size());
    for (Boxed& b : values) {
      if (!b.box_) continue;
      inner.push_back(std::move(*b.box_));
      b.box_.reset();  // a moved-from Boxed is bottom, never a moved-from L
    }
    return Boxed(::calm::lattices::join_all(inner));
  }

  std::partial_ordering compare(const Boxed& other) const {
    if (!box_ && !other.box_) return std::partial_ordering::equivalent;
    return ::calm::lattices::compare(value(), other.value());
  }

  bool is_bot() const { return !box_ || ::calm::lattices::is_bot(*box_); }
  bool is_top() const requires BoundedLattice<L> { return ::calm::lattices::is_top(value()); }
  /// L's plain value: Boxed is transparent.
  decltype(auto) reveal() const { return ::calm::lattices::reveal(value()); }

  Boxed delta(const Boxed& other) const requires DeltaLattice<L> {
    if (is_bot()) return {};
    return Boxed(::calm::lattices::delta(*box_, other.value()));
  }
  std::vector<Boxed> atomize() const requires Atomizable<L> {
    return boxed_each(is_bot() ? std::vector<L>{} : ::calm::lattices::atomize(*box_));
  }
  std::vector<Boxed> decompose() const requires Decomposable<L> {
    return boxed_each(is_bot() ? std::vector<L>{} : ::calm::lattices::decompose(*box_));
  }

  friend bool operator==(const Boxed& a, const Boxed& b) {
    if (!a.box_ && !b.box_) return true;
    return a.value() == b.value();
  }

  friend std::ostream& operator<<(std::ostream& os, const Boxed& b) requires
      requires(std::ostream& o, const L& l) {
    o << l;
  }
  { return os << b.value(); }

  /// L's bytes, nothing added: an empty box writes L's bottom. calm's own archive takes those
  /// bytes made once: calm-kvs encodes a KeyValue of eight boxes, most of them empty, at
  /// every write (to check that its delta fits in a message), and each empty map or set was
  /// several nested cereal calls.
  template <class Archive>
  void save(Archive& ar) const {
    if constexpr (std::is_same_v<Archive, detail::StringOutputArchive>) {
      if (const std::string* bytes = box_ ? nullptr : bottom_bytes()) {
        ar.write(bytes->data(), bytes->size());
        return;
      }
    }
    ar(value());
  }
  template <class Archive>
  void load(Archive& ar) {
    // An empty box's bytes are bottom's, which a decode of L would read to the same bottom,
    // stopping where they end (decoding reads left to right and cannot tell them from the
    // bytes save wrote): skip them without building an L. A received KeyValue delta holds
    // eight boxes, most of them empty.
    if constexpr (std::is_same_v<Archive, detail::BoundedInputArchive>) {
      if (const std::string* bytes = bottom_bytes(); bytes != nullptr && ar.skip_prefix(*bytes)) {
        box_.reset();
        return;
      }
    }
    L inner{};
    ar(inner);
    assign(std::move(inner));
  }

 private:
  /// One bottom per L, for value() of an empty box. A function-local static: safe to use
  /// from other statics' initializers, whatever the order of translation units.
  static const L& bottom() {
    static const L bot{};
    return bot;
  }

  /// bottom()'s bytes without the archive's header byte, or null when they depend on what the
  /// archive wrote before them. A type with cereal class versions or shared pointers (a
  /// user's, say) writes its version or object once per archive: encoded twice in one
  /// archive, its bottom gives two different runs of bytes, and then it is not cached.
  static const std::string* bottom_bytes() {
    static const std::optional<std::string> bytes = []() -> std::optional<std::string> {
      std::string out;
      detail::StringOutputArchive archive(&out);
      archive(bottom());
      const std::size_t once = out.size() - 1;
      archive(bottom());
      if (out.size() != 1 + 2 * once || out.compare(1 + once, once, out, 1, once) != 0) {
        return std::nullopt;
      }
      return out.substr(1, once);
    }();
    return bytes ? &*bytes : nullptr;
  }

  void assign(L inner) {
    if (::calm::lattices::is_bot(inner)) {
      box_.reset();
    } else if (box_) {
      *box_ = std::move(inner);
    } else {
      box_ = std::make_unique<L>(std::move(inner));
    }
  }

  static std::vector<Boxed> boxed_each(std::vector<L> parts) {
    std::vector<Boxed> out;
    out.reserve(parts.size());
    for (L& part : parts) out.emplace_back(std::move(part));
    return out;
  }

  std::unique_ptr<L> box_;
};

}  // namespace calm::lattices

/// Boxed<L> hashes as L does, where L has an std::hash: equal values, equal hashes.
template <class L>
requires requires(const L& l) {
  { std::hash<L>{}(l) } -> std::convertible_to<std::size_t>;
}
struct std::hash<calm::lattices::Boxed<L>> {
  std::size_t operator()(const calm::lattices::Boxed<L>& b) const
      noexcept(noexcept(std::hash<L>{}(b.value()))) {
    return std::hash<L>{}(b.value());
  }
};
