#pragma once
/// FlatStore: the sorted-vector storage behind SetUnion (flat backing) and MapUnion.
///
/// Two sorted, key-disjoint runs (detail/sorted_runs.hpp, shared with AWSet): `base_`, the
/// bulk, and `recent_`, at most about sqrt(n) entries that small deltas land in. A small delta
/// costs O(k log n + sqrt(n)) moves instead of shifting the whole vector; when `recent_` outgrows
/// its bound it is merged into `base_` in place, from the back, without allocating beyond `base_`'s
/// growth. Large merges are one linear pass into a fresh vector, as std::set_union would do.
/// Iteration walks both runs in key order. bench/set_union.cpp and bench/map_union.cpp measure each
/// path against the plain-vector code it replaces (docs/benchmarks.md).
///
/// `Combine` decides what happens when an incoming entry meets an existing one with the same
/// key: `bool combine(Entry& existing, const Entry& incoming)` returns whether it changed
/// (for a set: never; for a map: the values are merged).
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <iterator>
#include <utility>
#include <vector>

#include "lattices/detail/sorted_runs.hpp"

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
  /// A copy is one run: the recent run only saves work for a store that small deltas keep
  /// landing in, and a fresh value has none yet; one run makes its first merge a plain one.
  FlatStore(const FlatStore& other) : recent_bound_(other.recent_bound_) {
    if (other.recent_.empty()) {
      base_ = other.base_;
    } else {
      base_.reserve(other.size());
      std::merge(other.base_.begin(), other.base_.end(), other.recent_.begin(), other.recent_.end(),
                 std::back_inserter(base_),
                 [](const Entry& a, const Entry& b) { return KeyFn{}(a) < KeyFn{}(b); });
      resize_recent_bound();
    }
  }
  FlatStore(FlatStore&&) noexcept = default;
  FlatStore& operator=(const FlatStore& other) {
    if (this != &other) *this = FlatStore(other);
    return *this;
  }
  FlatStore& operator=(FlatStore&&) noexcept = default;
  ~FlatStore() = default;

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
    // One binary search of each run serves both the lookup and the insertion point.
    auto in_base = std::lower_bound(base_.begin(), base_.end(), KeyFn{}(entry), key_less{});
    if (in_base != base_.end() && !(KeyFn{}(entry) < KeyFn{}(*in_base))) {
      return combine(*in_base, std::as_const(entry));
    }
    auto pos = std::lower_bound(recent_.begin(), recent_.end(), KeyFn{}(entry), key_less{});
    if (pos != recent_.end() && !(KeyFn{}(entry) < KeyFn{}(*pos))) {
      return combine(*pos, std::as_const(entry));
    }
    // A small store keeps one run: shifting up to twice the recent run's bound costs about
    // what shifting the recent run would, and a second run would slow every merge and walk.
    if (base_.size() < 2 * recent_bound_) {
      base_.insert(in_base, std::forward<E>(entry));
      resize_recent_bound();
      return true;
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
    return merge_linear(other, combine);
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

  template <class Run>  // std::vector<Entry>, const or not
  static auto find_in(Run& run, const key_type& key) -> decltype(run.data()) {
    auto it = std::lower_bound(run.begin(), run.end(), key, key_less{});
    if (it == run.end() || key < KeyFn{}(*it)) return nullptr;
    return &*it;
  }

  void resize_recent_bound() { recent_bound_ = sorted_runs::recent_bound(base_.size()); }

  /// Folds `recent_` into `base_` (sorted_runs::fold_recent).
  void flush() {
    if (recent_.empty()) return;
    sorted_runs::fold_recent(
        base_, recent_, [](const Entry& a, const Entry& b) { return KeyFn{}(a) < KeyFn{}(b); });
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

  /// Finds, in [first, last), the first entry whose key is not below `key`, by galloping from
  /// `first`: O(log d) for an answer d entries on, so that many nearby searches cost about one
  /// pass.
  template <class Ptr>
  static Ptr gallop(Ptr first, Ptr last, const key_type& key) {
    const auto n = static_cast<std::size_t>(last - first);
    std::size_t low = 0, step = 1;
    while (step < n && KeyFn{}(first[step]) < key) {
      low = step;
      step *= 2;
    }
    return std::lower_bound(first + low, first + std::min(step, n), key, key_less{});
  }

  /// The larger of a store's two runs (`main`) and the smaller (`side`), as pointer ranges.
  /// The runs are sorted and key-disjoint, so either may play either part.
  template <class Ptr>
  struct Runs {
    Ptr main, main_end, side, side_end;
  };
  template <class Store>
  static auto runs_of(Store& s) {
    auto* b = s.base_.data();
    auto* r = s.recent_.data();
    const std::size_t nb = s.base_.size(), nr = s.recent_.size();
    using Ptr = decltype(b);
    return nb >= nr ? Runs<Ptr>{b, b + nb, r, r + nr} : Runs<Ptr>{r, r + nr, b, b + nb};
  }

  /// One pass that merges this store's two runs and `other`'s two into a fresh vector, without
  /// flushing either store first. The two main runs are merged with std::set_union's branch
  /// structure; the side runs (at most about sqrt(n) entries each) cut that merge into
  /// segments, found by galloping, and each side entry is placed between two segments.
  template <class Combine>
  bool merge_linear(const FlatStore& other, Combine& combine) {
    Runs<Entry*> mine = runs_of(*this);
    Runs<const Entry*> theirs = runs_of(other);
    std::vector<Entry> out;
    out.reserve(size() + other.size());
    bool combined = false;  // whether an entry present on both sides changed
    Entry* i = mine.main;
    const Entry* j = theirs.main;
    Entry* mine_side = mine.side;
    const Entry* their_side = theirs.side;
    // Combined in a local rather than in place, so that a small entry stays in registers (for
    // Max values, a conditional move instead of a conditional store). If `combine` throws (a
    // Point with two values, or an allocation), `*source` gets the local back.
    auto push_combined = [&](Entry* source, const Entry& incoming) {
      Entry e = std::move(*source);
      try {
        combined |= combine(e, incoming);
      } catch (...) {
        *source = std::move(e);
        throw;
      }
      out.push_back(std::move(e));
    };
    // Merges the main runs up to [i_end, j_end). The loop runs on locals, which the compiler
    // keeps in registers; `i` and `j` learn where it stopped, also when `combine` throws.
    auto merge_mains = [&](Entry* i_end, const Entry* j_end) {
      Entry* a = i;
      const Entry* b = j;
      try {
        while (a != i_end && b != j_end) {
          if (KeyFn{}(*a) < KeyFn{}(*b)) {
            out.push_back(std::move(*a));
            ++a;
          } else {
            if (KeyFn{}(*b) < KeyFn{}(*a)) {
              out.push_back(*b);
            } else {
              push_combined(a, *b);
              ++a;
            }
            ++b;
          }
        }
      } catch (...) {
        i = a;
        j = b;
        throw;
      }
      i = a;
      j = b;
      for (; i != i_end; ++i) out.push_back(std::move(*i));
      out.insert(out.end(), j, j_end);
      j = j_end;
    };
    try {
      while (mine_side != mine.side_end || their_side != theirs.side_end) {
        // The next side entry's key splits the main runs: everything below it first.
        const bool from_mine =
            their_side == theirs.side_end ||
            (mine_side != mine.side_end && !(KeyFn{}(*their_side) < KeyFn{}(*mine_side)));
        const key_type& key = from_mine ? KeyFn{}(*mine_side) : KeyFn{}(*their_side);
        merge_mains(gallop(i, mine.main_end, key), gallop(j, theirs.main_end, key));
        // At most one entry with `key` on each side: in its side run or next in its main run.
        // Each is stepped past only once it is in `out`, so that a throw leaves it in place.
        const bool mine_in_side = mine_side != mine.side_end && !(key < KeyFn{}(*mine_side));
        const bool mine_in_main = !mine_in_side && i != mine.main_end && !(key < KeyFn{}(*i));
        const bool theirs_in_side = their_side != theirs.side_end && !(key < KeyFn{}(*their_side));
        const Entry* their_at = theirs_in_side                                 ? their_side
                                : j != theirs.main_end && !(key < KeyFn{}(*j)) ? j
                                                                               : nullptr;
        Entry* mine_at = mine_in_side ? mine_side : mine_in_main ? i : nullptr;
        if (mine_at && their_at) {
          push_combined(mine_at, *their_at);
        } else if (mine_at) {
          out.push_back(std::move(*mine_at));
        } else {
          out.push_back(*their_at);
        }
        if (mine_in_side) ++mine_side;
        if (mine_in_main) ++i;
        if (theirs_in_side) {
          ++their_side;
        } else if (their_at) {
          ++j;
        }
      }
      merge_mains(mine.main_end, theirs.main_end);
    } catch (...) {
      // Keep a valid store: what was merged so far, then this store's untouched entries, all
      // above it. The untouched main run follows `out` in one run, the untouched side entries
      // stay apart as the recent run (key-disjoint from the rest, as before).
      out.insert(out.end(), std::make_move_iterator(i), std::make_move_iterator(mine.main_end));
      std::vector<Entry> side(std::make_move_iterator(mine_side),
                              std::make_move_iterator(mine.side_end));
      base_ = std::move(out);
      recent_ = std::move(side);
      resize_recent_bound();
      throw;
    }
    // New keys are exactly what makes `out` longer than this store: no flag per entry.
    const bool changed = combined || out.size() != size();
    base_ = std::move(out);
    recent_.clear();
    resize_recent_bound();
    return changed;
  }

  std::vector<Entry> base_;
  std::vector<Entry> recent_;
  std::size_t recent_bound_ = sorted_runs::recent_floor;
};

}  // namespace calm::lattices::detail
