#pragma once
/// List<T, Id>: a replicated sequence of values (Fugue; detail/sequence.hpp has the algorithm).
///
/// State:  a set of elements (id, value, parent, side) and a set of tombstones (ids).
/// Order:  a <= b  iff every element and every tombstone of a is in b.
/// Bottom: the empty list.   Top: none.
/// Merge:  the union of both sets; the document is the in-order walk of the Fugue tree of the
///         elements, without the tombstoned ones. O(n log n) over the runs of both sides, unless
///         one side is bottom (a copy).
///
/// Mutators, each applying itself here and returning its delta:
///   insert(replica, pos, value) / insert(replica, pos, first, last): before the element now at
///   `pos` (pos == size() appends); erase(pos, n). Positions count visible elements.
/// Concurrent inserts at one place never interleave: each replica's run stays together.
/// A tombstone keeps the element's id and place, not its value (docs/crdts.md#sequences).
///
/// Rationale: a state-based sequence needs no causal delivery; an element that arrives before
/// its parent waits, pending, inside the value, so deltas may be reordered, duplicated or
/// lost and retransmitted like any other calm delta.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <ostream>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/detail/sequence.hpp"

namespace calm::lattices {

namespace detail {
template <class T>
struct ListContent {
  using Storage = std::vector<T>;
  /// LPUSH after LPUSH shares a piece (detail/sequence.hpp): readers below take a piece's
  /// values through slot(), or backwards when it is a backward run.
  static constexpr bool backward_runs = true;
  /// A document's forward run holds at most this many values (detail/sequence.hpp).
  static constexpr std::uint64_t run_values_max = 64;
  static void append(Storage& s, const Storage& more) {
    s.insert(s.end(), more.begin(), more.end());
  }
  static void append(Storage& s, Storage&& more) {
    s.insert(s.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  /// `more` before the values of `s` (a rebuild's backward run taking its next lower id).
  static void prepend(Storage& s, Storage&& more) {
    s.insert(s.begin(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  /// Values [from, length) moved out of `s`, which keeps the rest.
  static Storage split_off(Storage& s, std::uint64_t from, std::uint64_t) {
    const auto at = s.begin() + static_cast<std::ptrdiff_t>(from);
    Storage out(std::make_move_iterator(at), std::make_move_iterator(s.end()));
    s.erase(at, s.end());
    return out;
  }
  /// Values [from, to) moved out of `s` (a rebuild's input, whose values each go once).
  static Storage take(Storage& s, std::uint64_t from, std::uint64_t to) {
    return Storage(std::make_move_iterator(s.begin() + static_cast<std::ptrdiff_t>(from)),
                   std::make_move_iterator(s.begin() + static_cast<std::ptrdiff_t>(to)));
  }
  static Storage slice(const Storage& s, std::uint64_t from, std::uint64_t to, std::uint64_t) {
    return Storage(s.begin() + static_cast<std::ptrdiff_t>(from),
                   s.begin() + static_cast<std::ptrdiff_t>(to));
  }
  /// Text's walk position; a vector is indexed, and needs none.
  struct Cursor {};
  static Storage slice(const Storage& s, std::uint64_t from, std::uint64_t to, std::uint64_t length,
                       Cursor&) {
    return slice(s, from, to, length);
  }
  /// The runs [at[i], at[i + 1]) of `s`, for 0 = at[0] < ... < at.back() = its length.
  static std::vector<Storage> cut(Storage&& s, const std::vector<std::uint64_t>& at,
                                  std::uint64_t) {
    std::vector<Storage> out;
    out.reserve(at.size() - 1);
    for (std::size_t i = 0; i + 1 < at.size(); ++i) {
      out.emplace_back(std::make_move_iterator(s.begin() + static_cast<std::ptrdiff_t>(at[i])),
                       std::make_move_iterator(s.begin() + static_cast<std::ptrdiff_t>(at[i + 1])));
    }
    return out;
  }
  static Storage max_each(const Storage& a, const Storage& b, std::uint64_t) {
    Storage out;
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) out.push_back(std::max(a[i], b[i]));
    return out;
  }
  /// The bytes element k holds, as far as the type says (decompose's part sizes).
  static std::size_t element_bytes(const Storage& s, std::uint64_t k) {
    if constexpr (requires { s[k].size(); }) {
      return sizeof(T) + s[k].size();
    } else {
      return sizeof(T);
    }
  }
  static void truncate(Storage& s, std::uint64_t n, std::uint64_t) {
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(n), s.end());
  }
};
}  // namespace detail

/// T is totally ordered so that two definitions of one element id (forged, or from colliding
/// replica ids) still join to one answer: the greater value.
template <std::semiregular T, std::totally_ordered Id = std::uint64_t>
requires std::totally_ordered<T>
class List : public detail::SequenceBase<List<T, Id>, Id, detail::ListContent<T>> {
  using Base = detail::SequenceBase<List<T, Id>, Id, detail::ListContent<T>>;
  friend Base;

 public:
  using value_type = T;
  using typename Base::ElementId;
  static constexpr const char* type_name = "List";

  /// Inserts `value` before the element at `pos`, by `replica`; returns the delta.
  List insert(const Id& replica, std::size_t pos, T value) {
    refuse_nan(value);
    std::vector<T> one;
    one.push_back(std::move(value));
    return this->insert_run(replica, pos, std::move(one), 1);
  }
  /// Inserts [first, last) as one run before the element at `pos`; returns the delta.
  template <std::input_iterator It>
  List insert(const Id& replica, std::size_t pos, It first, It last) {
    std::vector<T> run(first, last);
    for (const T& x : run) refuse_nan(x);
    const std::uint64_t n = run.size();
    return this->insert_run(replica, pos, std::move(run), n);
  }

  /// The value at `pos` (a copy: std::vector<bool> has no references to give); throws
  /// std::out_of_range past the end.
  T at(std::size_t pos) const {
    if (pos >= this->size()) throw std::out_of_range("calm: List::at past the end");
    const auto w = this->locate(pos);
    const auto& p = this->leaves_[w.leaf].pieces[w.piece];
    return p.content[p.slot(w.offset)];
  }
  /// The visible values, in order.
  std::vector<T> values() const {
    std::vector<T> out;
    out.reserve(this->size());
    this->for_each_visible_piece([&](const auto& p) {
      if (p.backward) {
        out.insert(out.end(), p.content.rbegin(), p.content.rend());
      } else {
        out.insert(out.end(), p.content.begin(), p.content.end());
      }
    });
    return out;
  }
  std::vector<T> reveal() const { return values(); }

  /// Calls f(value) for every visible value, in order.
  template <class F>
  void for_each(F f) const {
    this->for_each_visible_piece([&](const auto& p) { each_value(p, f); });
  }
  /// Calls f(value) for the visible values at positions [from, to) (to clamped to size()), in
  /// order: O(leaves between the last edit and `from`, plus leaf_pieces_max, plus to - from).
  template <class F>
  void for_each(std::size_t from, std::size_t to, F f) const {
    to = std::min(to, this->size());
    if (from >= to) return;
    const auto w = this->locate(from);
    std::size_t left = to - from;
    for (std::size_t leaf = w.leaf; leaf < this->leaves_.size() && left > 0; ++leaf) {
      const auto& pieces = this->leaves_[leaf].pieces;
      for (std::size_t i = leaf == w.leaf ? w.piece : 0; i < pieces.size() && left > 0; ++i) {
        const auto& p = pieces[i];
        if (p.deleted) continue;
        for (std::uint64_t k = leaf == w.leaf && i == w.piece ? w.offset : 0;
             k < p.length && left > 0; ++k, --left) {
          f(p.content[p.slot(k)]);
        }
      }
    }
  }

 private:
  /// NaN is not equal to itself: a list holding it would not equal itself, nor decode.
  static void refuse_nan(const T& x) {
    if constexpr (std::is_floating_point_v<T>) {
      if (x != x) throw std::domain_error("calm: NaN is not a lattice value");
    }
  }
  static void show_content(std::ostream& os, const std::vector<T>& values) {
    os << '[';
    const char* sep = "";
    for (const T& x : values) {
      os << sep;
      if constexpr (requires { os << x; }) {
        os << x;
      } else {
        os << '?';
      }
      sep = ", ";
    }
    os << ']';
  }
  /// f(value) for each of a piece's values, in document order.
  template <class Piece, class F>
  static void each_value(const Piece& p, F&& f) {
    if (p.backward) {
      for (auto it = p.content.rbegin(); it != p.content.rend(); ++it) f(*it);
    } else {
      for (const T& x : p.content) f(x);
    }
  }
  template <class Archive, class Piece>
  static void save_values(Archive& ar, std::span<const Piece* const> pieces) {
    for (const Piece* p : pieces) each_value(*p, [&](const T& x) { detail::save_value(ar, x); });
  }
  template <class Archive, class Piece>
  static void load_values(Archive& ar, const std::vector<Piece*>& pieces) {
    for (Piece* p : pieces) {
      // One value at a time: a length that lies runs out of bytes before it runs out of memory.
      // And at most one element per byte left, so that a T that encodes in no bytes at all
      // (an empty struct) cannot make a forged length a loop of 2^63 steps.
      if constexpr (requires { ar.require_count(p->length, ""); }) {
        ar.require_count(p->length, "a list piece");
      }
      for (std::uint64_t i = 0; i < p->length; ++i) {
        T x{};
        detail::load_value(ar, x);
        p->content.push_back(std::move(x));
      }
    }
  }
};

}  // namespace calm::lattices
