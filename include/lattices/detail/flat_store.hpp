#pragma once
/// FlatStore: the sorted-vector storage behind SetUnion (flat backing) and MapUnion.
///
/// Two sorted, key-disjoint runs: `base_`, the bulk, and `recent_`, at most about sqrt(n)
/// entries that small deltas land in. A small delta costs O(k log n + sqrt(n)) moves instead of
/// shifting the whole vector; when `recent_` outgrows its bound it is merged into `base_` in
/// place, from the back, without allocating beyond `base_`'s growth. Large merges are one
/// linear pass into a fresh vector, as std::set_union would do. Iteration walks both runs in
/// key order.
///
/// `Combine` decides what happens when an incoming entry meets an existing one with the same
/// key: `bool combine(Entry& existing, const Entry& incoming)` returns whether it changed
/// (for a set: never; for a map: the values are merged).
#include <algorithm>
#include <cmath>
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
  Entry* find(const key_type& key) {
    return const_cast<Entry*>(std::as_const(*this).find(key));
  }

  /// Inserts `entry`, or combines it into the entry with its key. Returns whether anything
  /// changed.
  template <class Combine>
  bool upsert(Entry entry, Combine&& combine) {
    if (Entry* existing = find(KeyFn{}(entry))) return combine(*existing, std::as_const(entry));
    auto pos = std::lower_bound(recent_.begin(), recent_.end(), KeyFn{}(entry), key_less{});
    recent_.insert(pos, std::move(entry));
    if (recent_.size() > recent_bound_) flush();
    return true;
  }

  template <class Combine>
  bool merge(const FlatStore& other, Combine&& combine) {
    if (other.empty()) return false;
    if (other.size() <= small_delta_bound()) {
      bool changed = false;
      for (const Entry& e : other) changed |= upsert(e, combine);
      return changed;
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
    auto i = a.begin(), i_end = a.end();
    auto j = b.begin(), j_end = b.end();
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

  friend bool operator==(const FlatStore& a, const FlatStore& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  struct key_less {
    bool operator()(const Entry& e, const key_type& k) const { return KeyFn{}(e) < k; }
  };

  static const Entry* find_in(const std::vector<Entry>& run, const key_type& key) {
    auto it = std::lower_bound(run.begin(), run.end(), key, key_less{});
    if (it == run.end() || key < KeyFn{}(*it)) return nullptr;
    return &*it;
  }

  std::size_t small_delta_bound() const { return recent_bound_ - recent_.size(); }

  void resize_recent_bound() {
    // sqrt(n) balances shifting `recent_` on each insert against re-merging `base_` each time
    // `recent_` fills up; below 32 entries a plain shift is cheaper than any bookkeeping.
    recent_bound_ = std::max<std::size_t>(32, static_cast<std::size_t>(
                                                  std::sqrt(static_cast<double>(base_.size()))));
  }

  /// Merges `recent_` into `base_` in place, from the back.
  void flush() {
    if (recent_.empty()) return;
    std::size_t i = base_.size(), j = recent_.size();
    base_.resize(i + j);
    std::size_t k = i + j;
    while (j > 0) {
      if (i > 0 && KeyFn{}(recent_[j - 1]) < KeyFn{}(base_[i - 1])) {
        base_[--k] = std::move(base_[--i]);
      } else {
        base_[--k] = std::move(recent_[--j]);
      }
    }
    recent_.clear();
    resize_recent_bound();
  }

  template <class It, class Combine>
  bool merge_linear(It j, It j_end, std::size_t other_size, Combine& combine) {
    flush();
    std::vector<Entry> out;
    out.reserve(base_.size() + other_size);
    bool changed = false;
    auto i = base_.begin(), i_end = base_.end();
    while (i != i_end && j != j_end) {
      if (KeyFn{}(*i) < KeyFn{}(*j)) {
        out.push_back(std::move(*i++));
      } else if (KeyFn{}(*j) < KeyFn{}(*i)) {
        out.push_back(*j++);
        changed = true;
      } else {
        changed |= combine(*i, *j);
        out.push_back(std::move(*i++));
        ++j;
      }
    }
    out.insert(out.end(), std::make_move_iterator(i), std::make_move_iterator(i_end));
    if (j != j_end) {
      changed = true;
      out.insert(out.end(), j, j_end);
    }
    base_ = std::move(out);
    resize_recent_bound();
    return changed;
  }

  std::vector<Entry> base_;
  std::vector<Entry> recent_;
  std::size_t recent_bound_ = 32;
};

}  // namespace calm::lattices::detail
