#pragma once
/// AWSet<T, Id>: an add-wins observed-remove set, without tombstones. add(id, x) tags x with a
/// fresh dot and drops the tags of x it saw; remove(x) and clear() drop the tags they saw. So
/// an add concurrent with a remove of the same element survives it.
///
/// Order:  that of Dotted<DotMap<T, DotSet>> (a removed tag is above the same tag alive).
/// Bottom: the empty set.   Top: none.
/// Merge:  O(|a| + |b|) for a large delta: one pass over both sets' (element, dot) entries in
///         order, each dot checked against the other side's context. For a small delta (what
///         add, remove and clear return, or a group of a few): O(k log n + sqrt n) for k
///         entries and context dots, without walking the set.
/// Metadata: per element, one (element, dot) entry per concurrent adder, usually one; removed
///         elements leave only their dots in the context, which stays a version vector when
///         deltas arrive in causal order.
///
/// Rationale: the value is the Dotted<DotMap<T, DotSet>> of Almeida et al. (dotted() returns
/// it, and ORMap nests an AWSet as one), kept in a form that makes small deltas cheap:
///   - entries sorted by (element, dot) in two runs, a large base and a small recent run of at
///     most sqrt(n) entries, so an insertion moves O(sqrt n) entries, not O(n);
///   - an erased base entry is only marked dead until the next flush;
///   - a dot -> element index, built the first time a small delta removes something and kept
///     up to date by small changes, dropped by a large merge (which is O(n) anyway), so that a
///     delta's context finds what it removes without a scan.
#include <algorithm>
#include <array>
#include <cstdint>
#include <ostream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattices/dot_store.hpp"

namespace calm::lattices {

template <std::totally_ordered T, std::totally_ordered Id = std::uint64_t>
class AWSet {
 public:
  using value_type = T;
  using id_type = Id;
  using dot_type = Dot<Id>;
  using context_type = DotContext<Id>;
  using store_type = DotMap<T, DotSet<Id>>;
  using dotted_type = Dotted<store_type>;

  AWSet() = default;
  /// Adopts a dot map and its context (how ORMap hands a nested set its share).
  explicit AWSet(const dotted_type& state) : context_(state.context()) {
    for (const auto& [x, tags] : state.store()) {
      for (const dot_type& d : tags) base_.push_back({x, d});
    }
    dead_.assign(base_.size(), false);
    elements_ = state.store().size();
  }
  /// The same value as Almeida et al.'s dot map with its context.
  dotted_type dotted() const {
    store_type store;
    std::vector<dot_type> tags;
    const T* current = nullptr;
    auto flush_tags = [&] {
      if (current) store.set(*current, DotSet<Id>(tags.begin(), tags.end()));
      tags.clear();
    };
    for_each_live([&](const Entry& e) {
      if (!current || !(*current == e.element)) {
        flush_tags();
        current = &e.element;
      }
      tags.push_back(e.dot);
    });
    flush_tags();
    return dotted_type(std::move(store), context_);
  }
  /// Everything this replica has seen, removed or not.
  const context_type& context() const { return context_; }

  AWSet add(const Id& id, T x) {
    detail::require_ordered(x);
    const dot_type d = context_.next(id);
    AWSet delta;
    std::vector<dot_type> seen;
    for_each_dot_of(x, [&](const dot_type& old) { seen.push_back(old); });
    for (const dot_type& old : seen) {
      delta.context_.insert(old);
      erase_entry(x, old);
    }
    delta.context_.insert(d);
    delta.base_.push_back({x, d});
    delta.dead_.push_back(false);
    delta.elements_ = 1;
    insert_entry(std::move(x), d);
    context_.insert(d);
    return delta;
  }
  AWSet remove(const T& x) {
    AWSet delta;
    std::vector<dot_type> seen;
    for_each_dot_of(x, [&](const dot_type& d) { seen.push_back(d); });
    for (const dot_type& d : seen) {
      delta.context_.insert(d);
      erase_entry(x, d);
    }
    return delta;
  }
  AWSet clear() {
    AWSet delta;
    for_each_live([&](const Entry& e) { delta.context_.insert(e.dot); });
    base_.clear();
    dead_.clear();
    recent_.clear();
    dead_count_ = 0;
    elements_ = 0;
    index_.map.clear();
    index_.valid = false;
    return delta;
  }

  bool contains(const T& x) const {
    bool found = false;
    for_each_dot_of(x, [&](const dot_type&) { found = true; });
    return found;
  }
  /// The number of elements.
  std::size_t size() const { return elements_; }
  bool empty() const { return elements_ == 0; }
  /// The elements, sorted.
  std::vector<T> elements() const {
    std::vector<T> out;
    out.reserve(elements_);
    for_each_live([&](const Entry& e) {
      if (out.empty() || !(out.back() == e.element)) out.push_back(e.element);
    });
    return out;
  }

  bool merge(const AWSet& other) {
    if (&other == this) return false;
    return other.is_small_delta_for(*this) ? merge_small(other) : merge_large(other);
  }

  /// join(a, b) without first copying `a`: a large join builds its entries afresh anyway.
  static AWSet joined(const AWSet& a, const AWSet& b) {
    if (a.is_small_delta_for(b)) {
      AWSet out = b;
      out.merge_small(a);
      return out;
    }
    if (b.is_small_delta_for(a)) {
      AWSet out = a;
      out.merge_small(b);
      return out;
    }
    AWSet out;
    const std::size_t entries_max = a.live_entries() + b.live_entries();
    if (a.is_one_run() && b.is_one_run()) {
      join_entries(RunWalk(a.base_), a.context_, RunWalk(b.base_), b.context_, entries_max,
                   out.base_, out.elements_);
    } else {
      join_entries(LiveWalk(a), a.context_, LiveWalk(b), b.context_, entries_max, out.base_,
                   out.elements_);
    }
    out.dead_.assign(out.base_.size(), false);
    out.context_ = a.context_;
    out.context_.merge(b.context_);
    return out;
  }

  bool is_bot() const { return live_entries() == 0 && context_.is_bot(); }
  std::vector<AWSet> atomize() const {
    std::vector<AWSet> atoms;
    for (const dotted_type& atom : dotted().atomize()) atoms.emplace_back(atom);
    return atoms;
  }
  std::vector<AWSet> decompose() const {
    std::vector<AWSet> parts;
    for (const dotted_type& part : dotted().decompose()) parts.emplace_back(part);
    return parts;
  }
  AWSet delta(const AWSet& other) const { return AWSet(dotted().delta(other.dotted())); }

  friend bool operator==(const AWSet& a, const AWSet& b) {
    return a.elements_ == b.elements_ && a.context_ == b.context_ && a.live() == b.live();
  }
  friend std::ostream& operator<<(std::ostream& os, const AWSet& s) {
    return os << "AWSet" << s.dotted();
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(dotted());
  }
  template <class Archive>
  void load(Archive& ar) {
    dotted_type state;
    ar(state);
    *this = AWSet(state);
  }

 private:
  struct Entry {
    T element;
    dot_type dot;
    friend bool operator==(const Entry&, const Entry&) = default;
    friend bool operator<(const Entry& a, const Entry& b) {
      // Spelled out: the joins compare entries more than they do anything else.
      if (a.element < b.element) return true;
      if (b.element < a.element) return false;
      if (a.dot.replica < b.dot.replica) return true;
      if (b.dot.replica < a.dot.replica) return false;
      return a.dot.counter < b.dot.counter;
    }
  };
  struct element_less {
    bool operator()(const Entry& e, const T& x) const { return e.element < x; }
    bool operator()(const T& x, const Entry& e) const { return x < e.element; }
  };

  /// context.contains(dot) for a join's walk. Entries come in element order, so consecutive
  /// dots belong to replicas in no predictable order: a context of at most `small_runs`
  /// replicas (the usual case) is searched without a branch, by a select over a fixed table
  /// padded with copies of its first run; a larger one by binary search.
  class SeenTest {
   public:
    explicit SeenTest(const context_type& context)
        : context_(context), small_(context.runs().size() <= small_runs) {
      if (!small_ || context.runs().empty()) return;
      // Padding repeats the first run, so that every id that matches picks the same counter.
      const auto& runs = context.runs();
      for (std::size_t r = 0; r < small_runs; ++r) {
        ids_[r] = runs[r < runs.size() ? r : 0].first;
        counters_[r] = runs[r < runs.size() ? r : 0].second;
      }
    }
    bool operator()(const dot_type& d) const {
      std::uint64_t run = 0;
      if (small_) {
        if (covers(d)) return true;
      } else {
        const auto& runs = context_.runs();
        auto it = std::lower_bound(runs.begin(), runs.end(), d.replica,
                                   [](const auto& run, const Id& id) { return run.first < id; });
        if (it != runs.end() && it->first == d.replica) run = it->second;
      }
      return d.counter <= run || (!context_.cloud().empty() && context_.contains(d));
    }

   private:
    /// For a context of at most four replicas: whether their runs cover `d`, without a branch.
    bool covers(const dot_type& d) const {
      // Spelled out: GCC at -O2 keeps a loop here, with its index in memory.
      auto pick = [&](std::size_t r) {
        return counters_[r] & (std::uint64_t{0} - std::uint64_t{ids_[r] == d.replica});
      };
      return d.counter <= (pick(0) | pick(1) | pick(2) | pick(3));
    }

    static constexpr std::size_t small_runs = 4;  // covers() reads exactly these four
    const context_type& context_;
    bool small_;
    std::array<Id, small_runs> ids_{};
    std::array<std::uint64_t, small_runs> counters_{};
  };

  std::size_t live_entries() const { return base_.size() - dead_count_ + recent_.size(); }
  /// Whether merging this into `target` is cheaper entry by entry than in one pass.
  bool is_small_delta_for(const AWSet& target) const {
    const std::size_t work = live_entries() + context_.runs().size() + context_.cloud().size();
    // Divided, not multiplied: a peer's context may claim 2^60 dots, and count() * 16 wraps.
    return work <= target.live_entries() / 16 && context_.count() <= target.live_entries() / 16;
  }

  /// f(entry) for every live entry, in (element, dot) order.
  template <class F>
  void for_each_live(F&& f) const {
    std::size_t i = 0;
    std::size_t j = 0;
    while (true) {
      while (i < base_.size() && dead_[i]) ++i;
      const bool base_left = i < base_.size();
      const bool recent_left = j < recent_.size();
      if (!base_left && !recent_left) return;
      if (!recent_left || (base_left && base_[i] < recent_[j])) {
        f(base_[i++]);
      } else {
        f(recent_[j++]);
      }
    }
  }
  /// The live entries in (element, dot) order, walked in place: dead base entries skipped and
  /// the recent run interleaved, so that a join reads a set as it is instead of copying it
  /// into one run first. Both branches are well predicted (dead and recent entries are few).
  class LiveWalk {
   public:
    explicit LiveWalk(const AWSet& s) : s_(s) { settle(); }
    bool done() const { return at_ == nullptr; }
    const Entry& operator*() const { return *at_; }
    const Entry* operator->() const { return at_; }
    LiveWalk& operator++() {
      if (from_base_) {
        ++b_;
      } else {
        ++r_;
      }
      settle();
      return *this;
    }

   private:
    void settle() {
      const std::vector<Entry>& base = s_.base_;
      const std::vector<Entry>& recent = s_.recent_;
      while (b_ < base.size() && s_.dead_[b_]) ++b_;
      const bool base_left = b_ < base.size(), recent_left = r_ < recent.size();
      from_base_ = base_left && (!recent_left || base[b_] < recent[r_]);
      at_ = from_base_ ? &base[b_] : recent_left ? &recent[r_] : nullptr;
    }
    const AWSet& s_;
    std::size_t b_ = 0, r_ = 0;
    bool from_base_ = false;
    const Entry* at_ = nullptr;
  };
  /// A sorted run walked with plain pointers: a set with one run and no dead entry.
  class RunWalk {
   public:
    explicit RunWalk(const std::vector<Entry>& run) : at_(run.data()), end_(at_ + run.size()) {}
    bool done() const { return at_ == end_; }
    const Entry& operator*() const { return *at_; }
    const Entry* operator->() const { return at_; }
    RunWalk& operator++() {
      ++at_;
      return *this;
    }

   private:
    const Entry* at_;
    const Entry* end_;
  };
  bool is_one_run() const { return recent_.empty() && dead_count_ == 0; }

  std::vector<Entry> live() const {
    std::vector<Entry> out;
    out.reserve(live_entries());
    for_each_live([&](const Entry& e) { out.push_back(e); });
    return out;
  }

  /// f(dot) for every live dot of x.
  template <class F>
  void for_each_dot_of(const T& x, F&& f) const {
    auto [b, b_end] = std::equal_range(base_.begin(), base_.end(), x, element_less{});
    for (auto it = b; it != b_end; ++it) {
      if (!dead_[static_cast<std::size_t>(it - base_.begin())]) f(it->dot);
    }
    auto [r, r_end] = std::equal_range(recent_.begin(), recent_.end(), x, element_less{});
    for (auto it = r; it != r_end; ++it) f(it->dot);
  }
  bool has_entry(const Entry& e) const {
    auto b = std::lower_bound(base_.begin(), base_.end(), e);
    if (b != base_.end() && *b == e) return !dead_[static_cast<std::size_t>(b - base_.begin())];
    return std::binary_search(recent_.begin(), recent_.end(), e);
  }

  /// Inserts a live entry that is not present.
  void insert_entry(T x, const dot_type& d) {
    if (!contains(x)) ++elements_;
    if (index_.valid) index_.map.emplace(d, x);
    Entry e{std::move(x), d};
    recent_.insert(std::upper_bound(recent_.begin(), recent_.end(), e), std::move(e));
    std::size_t bound = 32;
    while (bound * bound < base_.size()) bound *= 2;
    if (recent_.size() > bound) flush();
  }
  /// Erases (x, d) if it is live; keeps the element count.
  void erase_entry(const T& x, const dot_type& d) {
    const Entry key{x, d};
    bool erased = false;
    auto r = std::lower_bound(recent_.begin(), recent_.end(), key);
    if (r != recent_.end() && *r == key) {
      recent_.erase(r);
      erased = true;
    } else {
      auto b = std::lower_bound(base_.begin(), base_.end(), key);
      const auto i = static_cast<std::size_t>(b - base_.begin());
      if (b != base_.end() && *b == key && !dead_[i]) {
        dead_[i] = true;
        ++dead_count_;
        erased = true;
      }
    }
    if (!erased) return;
    if (index_.valid) index_.map.erase(d);
    if (!contains(x)) --elements_;
    if (dead_count_ * 2 > base_.size() + 64) flush();
  }
  /// Folds the recent run into the base and drops dead entries.
  void flush() {
    if (dead_count_ != 0) {
      base_ = live();
    } else {
      // In place, from the back: each base entry moves at most once, as a block.
      const std::size_t old_size = base_.size();
      base_.resize(old_size + recent_.size());
      auto out = base_.end();
      auto b = base_.begin() + static_cast<std::ptrdiff_t>(old_size);
      for (auto r = recent_.end(); r != recent_.begin();) {
        --r;
        auto split = std::upper_bound(base_.begin(), b, *r);
        out = std::move_backward(split, b, out);
        b = split;
        *--out = std::move(*r);
      }
    }
    dead_.assign(base_.size(), false);
    recent_.clear();
    dead_count_ = 0;
  }
  void build_index() {
    index_.map.clear();
    index_.map.reserve(live_entries());
    for_each_live([&](const Entry& e) { index_.map.emplace(e.dot, e.element); });
    index_.valid = true;
  }

  bool merge_small(const AWSet& other) {
    bool changed = false;
    std::vector<dot_type> other_live;
    other.for_each_live([&](const Entry& e) {
      other_live.push_back(e.dot);
      if (has_entry(e) || context_.contains(e.dot)) return;
      insert_entry(e.element, e.dot);
      changed = true;
    });
    std::sort(other_live.begin(), other_live.end());
    // The dots the other side saw and removed: drop them here too.
    other.context_.for_each([&](const dot_type& d) {
      if (!context_.contains(d) || std::binary_search(other_live.begin(), other_live.end(), d)) {
        return;
      }
      if (!index_.valid) build_index();
      auto it = index_.map.find(d);
      if (it == index_.map.end()) return;
      const T x = it->second;
      erase_entry(x, d);
      changed = true;
    });
    return context_.merge(other.context_) || changed;
  }

  bool merge_large(const AWSet& other) {
    flush();  // in place: this side's entries become one run without a copy
    std::vector<Entry> out;
    const std::size_t entries_max = base_.size() + other.live_entries();
    const bool changed = other.is_one_run()
                             ? join_entries(RunWalk(base_), context_, RunWalk(other.base_),
                                            other.context_, entries_max, out, elements_)
                             : join_entries(LiveWalk(*this), context_, LiveWalk(other),
                                            other.context_, entries_max, out, elements_);
    base_ = std::move(out);  // flush() left no recent run and no dead entry
    dead_.assign(base_.size(), false);
    index_.map.clear();
    index_.valid = false;
    return context_.merge(other.context_) || changed;
  }

  /// The store part of the join of (the entries `i` walks, here) and (those `j` walks, there),
  /// in (element, dot) order, into `out`, and its number of elements. Returns whether it
  /// differs from what `i` walks.
  // flatten: GCC otherwise leaves push_back and the comparisons out of line in this loop.
  template <class Walk>
  [[gnu::flatten]] static bool join_entries(Walk i, const context_type& here, Walk j,
                                            const context_type& there, std::size_t entries_max,
                                            std::vector<Entry>& out, std::size_t& elements) {
    const SeenTest seen_here(here);
    const SeenTest seen_there(there);
    out.clear();
    out.reserve(entries_max);
    bool changed = false;
    elements = 0;
    auto keep = [&](const Entry& e) {
      if (out.empty() || !(out.back().element == e.element)) ++elements;
      out.push_back(e);
    };
    auto only_mine = [&](const Entry& e) {
      if (seen_there(e.dot)) {
        changed = true;
      } else {
        keep(e);
      }
    };
    auto only_theirs = [&](const Entry& e) {
      if (!seen_here(e.dot)) {
        keep(e);
        changed = true;
      }
    };
    // By hand rather than with zip_sorted: the common case, the same entry on both sides, is
    // tested first with one equality instead of two three-field comparisons.
    while (!i.done() && !j.done()) {
      if (i->element == j->element && i->dot == j->dot) {
        keep(*i);
        ++i;
        ++j;
      } else if (*i < *j) {
        only_mine(*i);
        ++i;
      } else {
        only_theirs(*j);
        ++j;
      }
    }
    for (; !i.done(); ++i) only_mine(*i);
    for (; !j.done(); ++j) only_theirs(*j);
    return changed;
  }

  std::vector<Entry> base_;
  std::vector<bool> dead_;
  std::vector<Entry> recent_;
  std::size_t dead_count_ = 0;
  std::size_t elements_ = 0;
  context_type context_;
  /// A cache: a copy starts without it (copying hash nodes would cost more than the join
  /// that follows), and rebuilds it when a small delta first needs it.
  struct DotIndex {
    std::unordered_map<dot_type, T> map;
    bool valid = false;
    DotIndex() = default;
    DotIndex(const DotIndex&) {}
    DotIndex(DotIndex&&) noexcept = default;
    DotIndex& operator=(const DotIndex&) {
      map.clear();
      valid = false;
      return *this;
    }
    DotIndex& operator=(DotIndex&&) noexcept = default;
  };
  DotIndex index_;
};

}  // namespace calm::lattices
