#pragma once
/// FlatStore: the sorted-vector storage behind SetUnion (flat backing) and MapUnion.
///
/// Two sorted, key-disjoint runs: `base_`, the bulk, and `recent_`, at most about sqrt(n)
/// entries that small deltas land in. A small delta costs O(k log n + sqrt(n)) moves instead of
/// shifting the whole vector; when `recent_` outgrows its bound it is merged into `base_` in
/// place, from the back, without allocating beyond `base_`'s growth. Large merges are one
/// linear pass into a fresh vector, as std::set_union would do. Iteration walks both runs in
/// key order. bench/set_union.cpp and bench/map_union.cpp measure each path against the
/// plain-vector code it replaces (docs/benchmarks.md).
///
/// `Combine` decides what happens when an incoming entry meets an existing one with the same
/// key: `bool combine(Entry& existing, const Entry& incoming)` returns whether it changed
/// (for a set: never; for a map: the values are merged).
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <functional>
#include <iterator>
#include <utility>
#include <vector>

namespace calm::lattices::detail {

template <class Entry, class KeyFn>
class FlatStore {
 public:
  using key_type = std::remove_cvref_t<decltype(KeyFn{}(std::declval<const Entry&>()))>;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const Entry*;
    using reference = const Entry&;

    const_iterator() = default;
    const_iterator(const Entry* a, const Entry* a_end, const Entry* b, const Entry* b_end)
        : a_(a), a_end_(a_end), b_(b), b_end_(b_end) {
      settle();
    }

    reference operator*() const { return from_a_ ? *a_ : *b_; }
    pointer operator->() const { return from_a_ ? a_ : b_; }
    const_iterator& operator++() {
      if (from_a_) {
        ++a_;
      } else {
        ++b_;
      }
      settle();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& x, const const_iterator& y) {
      return x.a_ == y.a_ && x.b_ == y.b_;
    }

   private:
    void settle() { from_a_ = b_ == b_end_ || (a_ != a_end_ && KeyFn{}(*a_) < KeyFn{}(*b_)); }

    const Entry* a_ = nullptr;
    const Entry* a_end_ = nullptr;
    const Entry* b_ = nullptr;
    const Entry* b_end_ = nullptr;
    bool from_a_ = true;
  };

  FlatStore() = default;
  /// Adopts entries already sorted by key with no duplicate keys.
  explicit FlatStore(std::vector<Entry> sorted_unique) : base_(std::move(sorted_unique)) {
    resize_recent_bound();
  }

  const_iterator begin() const {
    return {base_.data(), base_.data() + base_.size(), recent_.data(),
            recent_.data() + recent_.size()};
  }
  const_iterator end() const {
    const Entry* a_end = base_.data() + base_.size();
    const Entry* b_end = recent_.data() + recent_.size();
    return {a_end, a_end, b_end, b_end};
  }
  std::size_t size() const { return base_.size() + recent_.size(); }
  bool empty() const { return base_.empty() && recent_.empty(); }

  const Entry* find(const key_type& key) const {
    if (const Entry* e = find_in(base_, key)) return e;
    return find_in(recent_, key);
  }
  Entry* find(const key_type& key) { return const_cast<Entry*>(std::as_const(*this).find(key)); }

  /// Inserts `entry`, or combines it into the entry with its key. Returns whether anything
  /// changed. `entry` is copied (or moved) only when its key is new.
  template <class E, class Combine>
  requires std::same_as<std::remove_cvref_t<E>, Entry>
  bool upsert(E&& entry, Combine&& combine) {
    if (Entry* existing = find_in(base_, KeyFn{}(entry))) {
      return combine(*existing, std::as_const(entry));
    }
    // One binary search of `recent_` serves both the lookup and the insertion point.
    auto pos = std::lower_bound(recent_.begin(), recent_.end(), KeyFn{}(entry), key_less{});
    if (pos != recent_.end() && !(KeyFn{}(entry) < KeyFn{}(*pos))) {
      return combine(*pos, std::as_const(entry));
    }
    recent_.insert(pos, std::forward<E>(entry));
    if (recent_.size() > recent_bound_) flush();
    return true;
  }

  template <class Combine>
  bool merge(const FlatStore& other, Combine&& combine) {
    // Merging a store into itself changes nothing (idempotence), and the passes below must
    // not read entries they are moving.
    if (other.empty() || &other == this) return false;
    // A delta no larger than `recent_`'s bound goes in entry by entry: O(k log n) searches
    // and at most one in-place flush, no allocation. (Bounding it by the room left in
    // `recent_` instead would send every small delta that arrives while `recent_` is nearly
    // full through a linear merge of the whole store into a fresh vector.)
    // A delta comparable in size to this store (two 16-entry clocks) is cheaper in one pass.
    if (other.size() <= recent_bound_ && other.size() * 8 <= size()) {
      bool changed = false;
      for (const Entry& e : other) changed |= upsert(e, combine);
      return changed;
    }
    // A store built in bulk or by a linear merge has no `recent_` run: walk it with plain
    // pointers rather than the two-run iterator.
    if (other.recent_.empty()) {
      const Entry* first = other.base_.data();
      return merge_linear(first, first + other.base_.size(), other.size(), combine);
    }
    return merge_linear(other.begin(), other.end(), other.size(), combine);
  }

  template <class Combine>
  bool merge(FlatStore&& other, Combine&& combine) {
    if (empty() && !other.empty()) {
      *this = std::move(other);
      return true;
    }
    return merge(std::as_const(other), combine);
  }

  /// Key-ordered walk of two stores: calls only_a(e), only_b(e) or both(ea, eb) per key;
  /// a callback returning false stops the walk.
  template <class OnlyA, class OnlyB, class Both>
  static void zip(const FlatStore& a, const FlatStore& b, OnlyA&& only_a, OnlyB&& only_b,
                  Both&& both) {
    // Stores without a `recent_` run (the usual case) are walked with plain pointers.
    if (a.recent_.empty() && b.recent_.empty()) {
      const Entry* i = a.base_.data();
      const Entry* j = b.base_.data();
      zip_runs(i, i + a.base_.size(), j, j + b.base_.size(), only_a, only_b, both);
    } else {
      zip_runs(a.begin(), a.end(), b.begin(), b.end(), only_a, only_b, both);
    }
  }

  friend bool operator==(const FlatStore& a, const FlatStore& b) {
    if (a.recent_.empty() && b.recent_.empty()) return a.base_ == b.base_;
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  struct key_less {
    bool operator()(const Entry& e, const key_type& k) const { return KeyFn{}(e) < k; }
  };
  struct less_than_key {  // the other argument order, for upper_bound (a set's Entry is its key)
    bool operator()(const key_type& k, const Entry& e) const { return k < KeyFn{}(e); }
  };

  template <class Run>  // std::vector<Entry>, const or not
  static auto find_in(Run& run, const key_type& key) -> decltype(run.data()) {
    auto it = std::lower_bound(run.begin(), run.end(), key, key_less{});
    if (it == run.end() || key < KeyFn{}(*it)) return nullptr;
    return &*it;
  }

  void resize_recent_bound() {
    // sqrt(n) balances shifting `recent_` on each insert against re-merging `base_` each time
    // `recent_` fills up; below 32 entries a plain shift is cheaper than any bookkeeping (and
    // below 32 * 32 base entries the bound is 32 anyway, so skip the sqrt: a singleton
    // delta's constructor lands here).
    constexpr std::size_t floor = 32;
    const std::size_t n = base_.size();
    recent_bound_ =
        n < floor * floor ? floor : static_cast<std::size_t>(std::sqrt(static_cast<double>(n)));
  }

  /// Merges `recent_` into `base_` in place, from the back. Each recent entry finds its slot
  /// by binary search, and the base entries above it move up as one block (a memmove for
  /// trivially copyable entries): O(k log n) comparisons and one pass of block moves, rather
  /// than a comparison and a branch per base entry.
  void flush() {
    if (recent_.empty()) return;
    const std::size_t old_size = base_.size();
    base_.resize(old_size + recent_.size());
    auto unmoved_end = base_.begin() + static_cast<std::ptrdiff_t>(old_size);
    auto out = base_.end();  // [out, end) holds final entries
    for (auto r = recent_.end(); r != recent_.begin();) {
      --r;
      // Keys of the two runs are disjoint, so upper_bound is the slot of *r.
      auto slot = std::upper_bound(base_.begin(), unmoved_end, KeyFn{}(*r), less_than_key{});
      out = std::move_backward(slot, unmoved_end, out);
      *--out = std::move(*r);
      unmoved_end = slot;
    }
    recent_.clear();
    resize_recent_bound();
  }

  template <class It, class OnlyA, class OnlyB, class Both>
  static void zip_runs(It i, It i_end, It j, It j_end, OnlyA& only_a, OnlyB& only_b, Both& both) {
    while (i != i_end && j != j_end) {
      if (KeyFn{}(*i) < KeyFn{}(*j)) {
        if (!only_a(*i)) return;
        ++i;
      } else if (KeyFn{}(*j) < KeyFn{}(*i)) {
        if (!only_b(*j)) return;
        ++j;
      } else {
        if (!both(*i, *j)) return;
        ++i;
        ++j;
      }
    }
    for (; i != i_end; ++i) {
      if (!only_a(*i)) return;
    }
    for (; j != j_end; ++j) {
      if (!only_b(*j)) return;
    }
  }

  /// One pass over `base_` and the sorted range [j, j_end) into a fresh vector, with
  /// std::set_union's branch structure.
  template <class It, class Combine>
  bool merge_linear(It j, It j_end, std::size_t other_size, Combine& combine) {
    flush();
    std::vector<Entry> out;
    out.reserve(base_.size() + other_size);
    bool combined = false;  // whether an entry present on both sides changed
    auto i = base_.begin(), i_end = base_.end();
    try {
      while (i != i_end && j != j_end) {
        if (KeyFn{}(*i) < KeyFn{}(*j)) {
          out.push_back(std::move(*i));
          ++i;
        } else {
          if (KeyFn{}(*j) < KeyFn{}(*i)) {
            out.push_back(*j);
          } else {
            // Combined in a local rather than in `base_`, so that a small entry stays in
            // registers (for Max values, a conditional move instead of a conditional store).
            Entry e = std::move(*i);
            try {
              combined |= combine(e, *j);
            } catch (...) {
              *i = std::move(e);  // still a valid value, between the old one and the join
              throw;
            }
            out.push_back(std::move(e));
            ++i;
          }
          ++j;
        }
      }
    } catch (...) {
      // A value whose join is undefined (Point) or an allocation failed: keep a valid store,
      // what was merged so far followed by the untouched rest. `out` has room for all of it.
      out.insert(out.end(), std::make_move_iterator(i), std::make_move_iterator(i_end));
      base_ = std::move(out);
      resize_recent_bound();
      throw;
    }
    out.insert(out.end(), std::make_move_iterator(i), std::make_move_iterator(i_end));
    out.insert(out.end(), j, j_end);
    // New keys are exactly what makes `out` longer than `base_`: no flag per entry.
    const bool changed = combined || out.size() != base_.size();
    base_ = std::move(out);
    resize_recent_bound();
    return changed;
  }

  std::vector<Entry> base_;
  std::vector<Entry> recent_;
  std::size_t recent_bound_ = 32;
};

}  // namespace calm::lattices::detail
