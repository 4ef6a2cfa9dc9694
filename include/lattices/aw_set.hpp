#pragma once
/// AWSet<T, Id>: an add-wins observed-remove set, without tombstones. add(id, x) tags x with a
/// fresh dot and drops the tags of x it saw; remove(x) and clear() drop the tags they saw. So
/// an add concurrent with a remove of the same element survives it.
///
/// Order:  that of Dotted<DotMap<T, DotSet>> (a removed tag is above the same tag alive).
/// Bottom: the empty set.   Top: none.
/// Merge:  O(|a| + |b|) for a large delta: one pass over both sets' entries, replica by
///         replica. For a small delta (what add, remove and clear return, or a group of a
///         few): O(k log n + sqrt n) for k entries and context dots, without walking the set.
/// Metadata: per element, one (element, dot) entry per concurrent adder, usually one; removed
///         elements leave only their dots in the context, which stays a version vector when
///         deltas arrive in causal order.
///
/// Rationale: the value is the Dotted<DotMap<T, DotSet>> of Almeida et al. (dotted() returns
/// it, and ORMap nests an AWSet as one), kept in a form that makes joins and small deltas
/// cheap:
///   - entries sorted by (replica of the dot, element, counter): one group per replica that
///     added something, each sorted by element. A large join then goes group by group, and
///     within a group one side usually saw everything the other holds, so the join filters
///     that side's entries in one predictable pass instead of interleaving the two sides in
///     element order (where each step is a coin toss for the branch predictor). contains and
///     add search each group: O(R log n) for R replicas;
///   - two runs, a large base and a small recent run of at most sqrt(n) entries, so an
///     insertion moves O(sqrt n) entries, not O(n) (detail/sorted_runs.hpp, shared with
///     SetUnion and MapUnion);
///   - an erased base entry is only marked dead until the next flush;
///   - a dot -> element index, built the first time a small delta removes something and kept
///     up to date by small changes, dropped by a large merge (which is O(n) anyway), so that a
///     delta's context finds what it removes without a scan;
///   - the number of elements, kept by small changes; a large join leaves it to be counted by
///     the first size() (one pass in element order, which the join itself does not need).
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <functional>
#include <ostream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattices/detail/sorted_runs.hpp"
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
  AWSet(const AWSet&) = default;
  AWSet& operator=(const AWSet&) = default;
  /// A moved-from set is bottom. (Member-wise moves left its dead-entry count and its element
  /// count behind: size() reported the elements it no longer held, and its live-entry count
  /// wrapped below zero.)
  AWSet(AWSet&& other)
      : base_(std::move(other.base_)),
        base_groups_(std::move(other.base_groups_)),
        dead_(std::move(other.dead_)),
        recent_(std::move(other.recent_)),
        dead_count_(other.dead_count_),
        elements_(other.elements_),
        context_(std::move(other.context_)),
        index_(std::move(other.index_)) {
    other.become_bot();
  }
  AWSet& operator=(AWSet&& other) {
    if (this == &other) return *this;
    base_ = std::move(other.base_);
    base_groups_ = std::move(other.base_groups_);
    dead_ = std::move(other.dead_);
    recent_ = std::move(other.recent_);
    dead_count_ = other.dead_count_;
    elements_ = other.elements_;
    context_ = std::move(other.context_);
    index_ = std::move(other.index_);
    other.become_bot();
    return *this;
  }
  /// Adopts a dot map and its context (how ORMap hands a nested set its share).
  explicit AWSet(const dotted_type& state) : context_(state.context()) {
    std::vector<Entry> by_element;
    for (const auto& [x, tags] : state.store()) {
      for (const dot_type& d : tags) by_element.push_back({x, d});
    }
    base_ = group_by_replica(std::move(by_element));
    base_rebuilt();
    elements_.set(state.store().size());
  }
  /// The same value as Almeida et al.'s dot map with its context.
  dotted_type dotted() const {
    store_type store;
    for_each_element([&](const T& x, const std::vector<dot_type>& tags) {
      store.set(x, DotSet<Id>(tags.begin(), tags.end()));
    });
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
    // x's tags are replaced by one: the element count moves only if x was absent.
    for (const dot_type& old : seen) {
      delta.context_.insert(old);
      erase_entry(x, old, Count::unchanged);
    }
    delta.context_.insert(d);
    delta.base_.push_back({x, d});
    delta.base_rebuilt();
    delta.elements_.set(1);
    if (seen.empty()) elements_.add(1);
    insert_entry(std::move(x), d, Count::unchanged);
    context_.insert(d);
    return delta;
  }
  AWSet remove(const T& x) {
    AWSet delta;
    std::vector<dot_type> seen;
    for_each_dot_of(x, [&](const dot_type& d) { seen.push_back(d); });
    // Every tag of x goes: the element count drops once, if x was there.
    for (const dot_type& d : seen) {
      delta.context_.insert(d);
      erase_entry(x, d, Count::unchanged);
    }
    if (!seen.empty()) elements_.add(-1);
    return delta;
  }
  AWSet clear() {
    AWSet delta;
    for_each_live([&](const Entry& e) { delta.context_.insert(e.dot); });
    base_.clear();
    base_rebuilt();
    recent_.clear();
    dead_count_ = 0;
    elements_.set(0);
    index_.map.clear();
    index_.valid = false;
    return delta;
  }

  bool contains(const T& x) const {
    bool found = false;
    for_each_dot_of(x, [&](const dot_type&) { found = true; });
    return found;
  }
  /// The number of elements: O(1), or O(n R) for R replicas the first time after a large join.
  std::size_t size() const {
    if (!elements_.known()) {
      std::size_t n = 0;
      const T* last = nullptr;
      std::vector<Entry> scratch;
      for_each_live_by_element(scratch, [&](const Entry& e) {
        if (!last || !(*last == e.element)) ++n;
        last = &e.element;
      });
      elements_.set(n);
    }
    return elements_.get();
  }
  bool empty() const { return live_entries() == 0; }
  /// The elements, sorted.
  std::vector<T> elements() const {
    std::vector<T> out;
    out.reserve(live_entries());
    std::vector<Entry> scratch;
    for_each_live_by_element(scratch, [&](const Entry& e) {
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
    std::vector<Entry> a_live, b_live;  // only for a side with a recent run or dead entries
    const std::vector<Entry>& a_run = a.one_run(a_live);
    const std::vector<Entry>& b_run = b.one_run(b_live);
    join_runs(a_run, a.context_, b_run, b.context_, out.base_);
    out.elements_.forget();
    out.base_rebuilt();
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
  /// What `other` lacks of this set: the live entries `other` never saw, the context `other`
  /// lacks, and the dots both saw that are alive in `other` and removed here (Dotted::delta's
  /// value, without converting either side to it). O(k log k) for this set's k entries, plus
  /// O(n) for `other`'s n entries, or O(k log n) by `other`'s dot index when this set is a small
  /// delta for it and the index is built.
  AWSet delta(const AWSet& other) const {
    AWSet out;
    std::vector<dot_type> live;
    for_each_live([&](const Entry& e) {  // in entry order, which the base keeps
      live.push_back(e.dot);
      if (!other.context_.contains(e.dot)) out.base_.push_back(e);
    });
    std::sort(live.begin(), live.end());
    const auto removed_here = [&](const dot_type& d) {
      return context_.contains(d) && !std::binary_search(live.begin(), live.end(), d);
    };
    std::vector<dot_type> removed;
    if (other.index_.valid && is_small_delta_for(other)) {
      // is_small_delta_for bounds the context's dots by other's entries over 16.
      context_.for_each([&](const dot_type& d) {
        if (other.index_.map.contains(d) && removed_here(d)) removed.push_back(d);
      });
    } else {
      other.for_each_live([&](const Entry& e) {
        if (removed_here(e.dot)) removed.push_back(e.dot);
      });
    }
    std::sort(removed.begin(), removed.end());
    out.context_ = context_.delta(other.context_);
    context_type removed_context;
    for (const dot_type& d : removed) removed_context.insert(d);
    out.context_.merge(removed_context);
    out.base_rebuilt();
    out.elements_.forget();
    return out;
  }

  friend bool operator==(const AWSet& a, const AWSet& b) {
    // The entry counts first: a large set and a small delta differ in O(1), not O(n).
    return a.live_entries() == b.live_entries() && a.context_ == b.context_ && a.live() == b.live();
  }
  friend std::ostream& operator<<(std::ostream& os, const AWSet& s) {
    return os << "AWSet" << s.dotted();
  }

  /// The bytes of dotted(), written without building it (a delta is encoded for the disk on
  /// every write, and building the dot map allocated a tag set per element): the store's
  /// element count, each element with its dots, then the context.
  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, size());
    for_each_element([&](const T& x, const std::vector<dot_type>& tags) {
      detail::save_value(ar, x);
      detail::save_size(ar, tags.size());
      for (const dot_type& d : tags) ar(d);
    });
    ar(context_);
  }
  template <class Archive>
  void load(Archive& ar) {
    dotted_type state;
    ar(state);
    *this = AWSet(state);
  }

 private:
  /// Stored in (replica, element, counter) order: grouped by the replica that made the dot.
  struct Entry {
    T element;
    dot_type dot;
    friend bool operator==(const Entry&, const Entry&) = default;
    friend bool operator<(const Entry& a, const Entry& b) {
      // Spelled out: the joins compare entries more than they do anything else.
      if (a.dot.replica < b.dot.replica) return true;
      if (b.dot.replica < a.dot.replica) return false;
      if (a.element < b.element) return true;
      if (b.element < a.element) return false;
      return a.dot.counter < b.dot.counter;
    }
  };
  /// The order of the value: (element, replica, counter), that of dotted() and the bytes.
  static bool element_order(const Entry& a, const Entry& b) {
    if (a.element < b.element) return true;
    if (b.element < a.element) return false;
    return a.dot < b.dot;
  }
  struct element_less {
    bool operator()(const Entry& e, const T& x) const { return e.element < x; }
    bool operator()(const T& x, const Entry& e) const { return x < e.element; }
  };
  /// The element count, or "not counted yet" after a large join. Atomic because size() is
  /// const and counts on demand: two threads reading one set may both count, and store the
  /// same number.
  class ElementCount {
   public:
    ElementCount() = default;
    ElementCount(const ElementCount& other) : n_(other.n_.load(std::memory_order_relaxed)) {}
    ElementCount& operator=(const ElementCount& other) {
      n_.store(other.n_.load(std::memory_order_relaxed), std::memory_order_relaxed);
      return *this;
    }
    bool known() const { return get() != unknown; }
    std::size_t get() const { return n_.load(std::memory_order_relaxed); }
    void set(std::size_t n) const { n_.store(n, std::memory_order_relaxed); }
    void forget() { set(unknown); }
    void add(std::ptrdiff_t k) {
      if (known()) set(static_cast<std::size_t>(static_cast<std::ptrdiff_t>(get()) + k));
    }

   private:
    static constexpr std::size_t unknown = static_cast<std::size_t>(-1);
    mutable std::atomic<std::size_t> n_{0};
  };

  /// context.contains(dot) for the dots of one replica, as a join's walk asks it: the run
  /// first, the cloud (non-empty only when deltas came out of order) if that fails.
  class SeenFor {
   public:
    SeenFor(const context_type& context, const Id& replica)
        : context_(context),
          up_to_(seen_up_to(context, replica)),
          has_cloud_(!context.cloud().empty()) {}
    bool operator()(const dot_type& d) const {
      // No short cut on the run: a filter asks it of new and old entries in no order.
      const bool in_run = d.counter <= up_to_;
      if (!has_cloud_) return in_run;
      return in_run || context_.contains(d);
    }

   private:
    const context_type& context_;
    std::uint64_t up_to_;
    bool has_cloud_;
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
      while (i < base_.size() && dead_.at(i)) ++i;
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
  /// f(entry) for every live entry in the value's order, (element, replica, counter): the
  /// replica groups merged by element, R cursors for R replicas (a sort past that). The
  /// entries f sees live in the set or in `scratch`, so they outlast the call.
  template <class F>
  void for_each_live_by_element(std::vector<Entry>& scratch, F&& f) const {
    const std::vector<Entry>& run = one_run(scratch);
    std::vector<std::pair<const Entry*, const Entry*>> groups;
    for_each_group(run.data(), run.data() + run.size(), [&](const Entry* first, const Entry* last) {
      groups.emplace_back(first, last);
    });
    if (groups.size() <= 1) {
      for (const Entry& e : run) f(e);
      return;
    }
    if (groups.size() > 8) {
      std::vector<const Entry*> order;
      order.reserve(run.size());
      for (const Entry& e : run) order.push_back(&e);
      std::sort(order.begin(), order.end(),
                [](const Entry* x, const Entry* y) { return element_order(*x, *y); });
      for (const Entry* e : order) f(*e);
      return;
    }
    while (!groups.empty()) {
      std::size_t least = 0;
      for (std::size_t g = 1; g < groups.size(); ++g) {
        if (element_order(*groups[g].first, *groups[least].first)) least = g;
      }
      f(*groups[least].first);
      if (++groups[least].first == groups[least].second) {
        groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(least));
      }
    }
  }
  /// f(element, its dots in order) for every element, in order: dotted()'s store, entry by
  /// entry.
  template <class F>
  void for_each_element(F&& f) const {
    std::vector<dot_type> tags;
    const T* current = nullptr;
    std::vector<Entry> scratch;
    for_each_live_by_element(scratch, [&](const Entry& e) {
      if (current != nullptr && !(*current == e.element)) {
        f(*current, tags);
        tags.clear();
      }
      current = &e.element;
      tags.push_back(e.dot);
    });
    if (current != nullptr) f(*current, tags);
  }
  /// The end of the group of `first`'s replica in the sorted entries [first, last).
  static const Entry* group_end(const Entry* first, const Entry* last) {
    const Id& replica = first->dot.replica;
    return std::partition_point(first, last,
                                [&](const Entry& e) { return !(replica < e.dot.replica); });
  }
  /// g(first, last) for each replica's group of the sorted entries [first, last), in order.
  template <class G>
  static void for_each_group(const Entry* first, const Entry* last, G&& g) {
    while (first != last) {
      const Entry* end = group_end(first, last);
      g(first, end);
      first = end;
    }
  }
  /// The live entries as one run: the base itself when it is one, else a copy in `scratch`.
  const std::vector<Entry>& one_run(std::vector<Entry>& scratch) const {
    if (is_one_run()) return base_;
    scratch = live();
    return scratch;
  }
  /// Entries in the value's order, regrouped by replica (stable, so each group stays sorted
  /// by element).
  static std::vector<Entry> group_by_replica(std::vector<Entry> by_element) {
    std::vector<Id> replicas;
    for (const Entry& e : by_element) {
      if (replicas.size() > 8) break;
      if (std::find(replicas.begin(), replicas.end(), e.dot.replica) == replicas.end()) {
        replicas.push_back(e.dot.replica);
      }
    }
    if (replicas.size() > 8) {
      std::stable_sort(by_element.begin(), by_element.end(), [](const Entry& x, const Entry& y) {
        return x.dot.replica < y.dot.replica;
      });
      return by_element;
    }
    std::sort(replicas.begin(), replicas.end());
    std::vector<Entry> out;
    out.reserve(by_element.size());
    for (const Id& r : replicas) {
      for (Entry& e : by_element) {
        if (e.dot.replica == r) out.push_back(std::move(e));
      }
    }
    return out;
  }
  bool is_one_run() const { return recent_.empty() && dead_count_ == 0; }

  /// The live entries as one sorted run: the base copied a block at a time (between dead
  /// entries, found a word of marks at a time) with the recent entries put in between.
  std::vector<Entry> live() const {
    std::vector<Entry> out;
    out.reserve(live_entries());
    auto copy_base = [&](std::size_t from, std::size_t to) {
      while (from < to) {
        const std::size_t dead = dead_.next(from, to);
        out.insert(out.end(), base_.begin() + static_cast<std::ptrdiff_t>(from),
                   base_.begin() + static_cast<std::ptrdiff_t>(dead));
        from = dead + 1;
      }
    };
    std::size_t b = 0;
    for (const Entry& r : recent_) {
      const auto split = static_cast<std::size_t>(
          std::upper_bound(base_.begin() + static_cast<std::ptrdiff_t>(b), base_.end(), r) -
          base_.begin());
      copy_base(b, split);
      out.push_back(r);
      b = split;
    }
    copy_base(b, base_.size());
    return out;
  }

  /// f(dot) for every live dot of x: a search in each replica's group.
  template <class F>
  void for_each_dot_of(const T& x, F&& f) const {
    const Entry* const base = base_.data();
    for (std::size_t g = 0; g < base_groups_.size(); ++g) {
      const Entry* const last =
          base + (g + 1 < base_groups_.size() ? base_groups_[g + 1] : base_.size());
      for (const Entry* it = std::lower_bound(base + base_groups_[g], last, x, element_less{});
           it != last && !(x < it->element); ++it) {
        if (!dead_.at(static_cast<std::size_t>(it - base))) f(it->dot);
      }
    }
    const Entry* const recent = recent_.data();
    for_each_group(recent, recent + recent_.size(), [&](const Entry* first, const Entry* last) {
      auto [r, r_end] = std::equal_range(first, last, x, element_less{});
      for (auto it = r; it != r_end; ++it) f(it->dot);
    });
  }
  bool has_entry(const Entry& e) const {
    auto b = std::lower_bound(base_.begin(), base_.end(), e);
    if (b != base_.end() && *b == e) return !dead_.at(static_cast<std::size_t>(b - base_.begin()));
    return std::binary_search(recent_.begin(), recent_.end(), e);
  }

  /// Whether insert_entry and erase_entry keep the element count (by looking x up) or leave
  /// it to the caller, who knows.
  enum class Count { kept, unchanged };
  /// Inserts a live entry that is not present.
  void insert_entry(T x, const dot_type& d, Count count = Count::kept) {
    if (count == Count::kept && elements_.known() && !contains(x)) elements_.add(1);
    if (index_.valid) index_.map.emplace(d, x);
    Entry e{std::move(x), d};
    recent_.insert(std::upper_bound(recent_.begin(), recent_.end(), e), std::move(e));
    if (recent_.size() > detail::sorted_runs::recent_bound(base_.size())) flush();
  }
  /// Erases (x, d) if it is live.
  void erase_entry(const T& x, const dot_type& d, Count count = Count::kept) {
    const Entry key{x, d};
    bool erased = false;
    auto r = std::lower_bound(recent_.begin(), recent_.end(), key);
    if (r != recent_.end() && *r == key) {
      recent_.erase(r);
      erased = true;
    } else {
      auto b = std::lower_bound(base_.begin(), base_.end(), key);
      const auto i = static_cast<std::size_t>(b - base_.begin());
      if (b != base_.end() && *b == key && !dead_.at(i)) {
        dead_.mark(i);
        ++dead_count_;
        erased = true;
      }
    }
    if (!erased) return;
    if (index_.valid) index_.map.erase(d);
    if (count == Count::kept && elements_.known() && !contains(x)) elements_.add(-1);
    if (dead_count_ * 2 > base_.size() + 64) flush();
  }
  /// Folds the recent run into the base and drops dead entries.
  void flush() {
    if (dead_count_ != 0) {
      // Drop the dead entries in place, by moves: no copy of the live ones (a large set's
      // members would each be allocated again).
      std::size_t kept = 0;
      for (std::size_t i = 0; i < base_.size(); ++i) {
        if (dead_.at(i)) continue;
        if (kept != i) base_[kept] = std::move(base_[i]);
        ++kept;
      }
      base_.resize(kept);
    }
    detail::sorted_runs::fold_recent(base_, recent_, std::less<Entry>{});
    base_rebuilt();
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
    std::vector<Entry> other_live;
    std::vector<Entry> out;
    const bool changed = join_runs(base_, context_, other.one_run(other_live), other.context_, out);
    base_ = std::move(out);  // flush() left no recent run and no dead entry
    base_rebuilt();
    if (changed) elements_.forget();
    index_.map.clear();
    index_.valid = false;
    return context_.merge(other.context_) || changed;
  }

  /// The counter up to which `context` saw every dot of `replica`.
  static std::uint64_t seen_up_to(const context_type& context, const Id& replica) {
    const auto& runs = context.runs();
    auto it = std::lower_bound(runs.begin(), runs.end(), replica,
                               [](const auto& run, const Id& id) { return run.first < id; });
    return it != runs.end() && it->first == replica ? it->second : 0;
  }
  static std::uint64_t max_counter(const Entry* first, const Entry* last) {
    std::uint64_t m = 0;
    for (; first != last; ++first) m = std::max(m, first->dot.counter);
    return m;
  }

  /// The store part of the join of the sorted runs `mine` (seen by `here`) and `theirs` (seen
  /// by `there`), into `out`. Returns whether it differs from `mine`.
  // flatten: GCC otherwise leaves push_back and the comparisons out of line in these loops.
  [[gnu::flatten]] static bool join_runs(const std::vector<Entry>& mine, const context_type& here,
                                         const std::vector<Entry>& theirs,
                                         const context_type& there, std::vector<Entry>& out) {
    out.clear();
    out.reserve(mine.size() + theirs.size());
    bool changed = false;
    const Entry* i = mine.data();
    const Entry* const i_end = i + mine.size();
    const Entry* j = theirs.data();
    const Entry* const j_end = j + theirs.size();
    while (i != i_end || j != j_end) {
      // The next replica, and its group on each side (possibly empty).
      const Id& replica = j == j_end || (i != i_end && !(j->dot.replica < i->dot.replica))
                              ? i->dot.replica
                              : j->dot.replica;
      const Entry* gi = i;
      const Entry* gi_end = i != i_end && i->dot.replica == replica ? group_end(i, i_end) : i;
      const Entry* gj = j;
      const Entry* gj_end = j != j_end && j->dot.replica == replica ? group_end(j, j_end) : j;
      i = gi_end;
      j = gj_end;
      if (gj == gj_end || max_counter(gj, gj_end) <= seen_up_to(here, replica)) {
        // `here` saw every dot `there` holds for this replica: a filter of `mine`.
        changed |= filter_group(gi, gi_end, gj, gj_end, there, out, true);
      } else if (gi == gi_end || max_counter(gi, gi_end) <= seen_up_to(there, replica)) {
        changed |= filter_group(gj, gj_end, gi, gi_end, here, out, false);
      } else {
        changed |= merge_group(gi, gi_end, SeenFor(here, replica), gj, gj_end,
                               SeenFor(there, replica), out);
      }
    }
    return changed;
  }

  /// One replica's group when the side that keeps (k) saw every dot the other side (o) holds
  /// for it: an entry of k stays if o holds it too or o never saw its dot; an entry of o that
  /// k does not hold was removed by k. Only removals break the runs of kept entries, so the
  /// one branch left per entry is well predicted. `keeps_mine`: whether k is the side the
  /// result is compared with.
  static bool filter_group(const Entry* k, const Entry* k_end, const Entry* o, const Entry* o_end,
                           const context_type& seen_by_o, std::vector<Entry>& out,
                           bool keeps_mine) {
    bool dropped_k = false, dropped_o = false, kept_only_k = false;
    if (k == k_end) return keeps_mine ? false : o != o_end;
    const SeenFor o_saw(seen_by_o, k->dot.replica);
    for (; k != k_end; ++k) {
      // Within a group the order is (element, counter). Both are compared without a short
      // cut: whether k's next entry is also o's is a coin toss, and o's entries fall behind
      // k's only where k removed one.
      // (Named bools: clang warns on `|` between comparisons that call an operator.)
      while (o != o_end) {
        const bool less = o->element < k->element, same = o->element == k->element;
        if (!(less | (same & (o->dot.counter < k->dot.counter)))) break;
        dropped_o = true;
        ++o;
      }
      bool in_o = false;
      if (o != o_end) {
        const bool same = o->element == k->element;
        in_o = same & (o->dot.counter == k->dot.counter);
      }
      o += in_o;
      const bool keep = in_o | !o_saw(k->dot);
      if (keep) {
        out.push_back(*k);
      } else {
        dropped_k = true;
      }
      kept_only_k |= keep & !in_o;
    }
    dropped_o |= o != o_end;
    // The result differs from k if k lost an entry, and from o if o lost one or k added one.
    return keeps_mine ? dropped_k : (dropped_o || kept_only_k);
  }

  /// One replica's group when each side holds dots the other never saw (deltas that arrived
  /// out of order): both walked together in order, each dot checked against the other side.
  static bool merge_group(const Entry* i, const Entry* i_end, const SeenFor& seen_here,
                          const Entry* j, const Entry* j_end, const SeenFor& seen_there,
                          std::vector<Entry>& out) {
    bool changed = false;
    auto only_mine = [&](const Entry& e) {
      if (seen_there(e.dot)) {
        changed = true;
      } else {
        out.push_back(e);
      }
    };
    auto only_theirs = [&](const Entry& e) {
      if (!seen_here(e.dot)) {
        out.push_back(e);
        changed = true;
      }
    };
    while (i != i_end && j != j_end) {
      if (*i == *j) {
        out.push_back(*i);
        ++i;
        ++j;
      } else if (*i < *j) {
        only_mine(*i++);
      } else {
        only_theirs(*j++);
      }
    }
    for (; i != i_end; ++i) only_mine(*i);
    for (; j != j_end; ++j) only_theirs(*j);
    return changed;
  }

  void become_bot() {
    base_.clear();
    base_groups_.clear();
    dead_.clear();
    recent_.clear();
    dead_count_ = 0;
    elements_.set(0);
    context_ = context_type{};
    index_.map.clear();
    index_.valid = false;
  }

  std::vector<Entry> base_;
  /// Where each replica's group starts in the base: contains and add search each group, and
  /// the base changes only as a whole.
  std::vector<std::size_t> base_groups_;
  /// The base was replaced: no entry of it is dead, and its groups are found again.
  void base_rebuilt() {
    dead_.assign(base_.size());
    base_groups_.clear();
    const Entry* const base = base_.data();
    for_each_group(base, base + base_.size(), [&](const Entry* first, const Entry*) {
      base_groups_.push_back(static_cast<std::size_t>(first - base));
    });
  }
  /// Which base entries are erased, one bit each.
  class DeadMarks {
   public:
    /// n entries, none dead.
    void assign(std::size_t n) { words_.assign((n + 63) / 64, 0); }
    void clear() { words_.clear(); }
    bool at(std::size_t i) const { return (words_[i / 64] >> (i % 64)) & 1u; }
    void mark(std::size_t i) { words_[i / 64] |= std::uint64_t{1} << (i % 64); }
    /// The first dead index in [from, to), or `to`.
    std::size_t next(std::size_t from, std::size_t to) const {
      if (from >= to) return to;
      std::size_t w = from / 64;
      std::uint64_t bits = words_[w] & (~std::uint64_t{0} << (from % 64));
      while (bits == 0) {
        if (++w * 64 >= to) return to;
        bits = words_[w];
      }
      return std::min(to, w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
    }

   private:
    std::vector<std::uint64_t> words_;
  };
  DeadMarks dead_;
  std::vector<Entry> recent_;
  std::size_t dead_count_ = 0;
  ElementCount elements_;
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
