#pragma once
/// AWSet<T, Id>: an add-wins observed-remove set, without tombstones. add(id, x) tags x with a
/// fresh dot and drops the tags of x it saw; remove(x) and clear() drop the tags they saw. So
/// an add concurrent with a remove of the same element survives it.
///
/// Order:  that of Dotted<DotMap<T, DotSet>> (a removed tag is above the same tag alive).
/// Bottom: the empty set.   Top: none.
/// Merge:  O(|a| + |b|) for a large delta: one pass over both sets' entries, replica by
///         replica. For a small delta (what add, remove and clear return, or a group of a
///         few): O(k (R log n + 128)) for k entries and context dots and R replicas, without
///         walking the set: the cost of an add does not grow with the set.
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
///   - in chunks of at most 128 entries (detail::ChunkedVector, as DotMap keeps its keys), so
///     an insertion or erasure moves the entries of one chunk, not O(n) or O(sqrt n) of them
///     (an earlier sorted base plus a recent run of sqrt(n) entries made each add move about
///     sqrt(n) entries: 1,000 at a million members); a join walks the chunks with a cursor as
///     fast as a flat vector, and the entry count of each replica's group lets it skip to a
///     group's end;
///   - a dot -> element index, built the first time a small delta removes something and kept
///     up to date by small changes, dropped by a large merge (which is O(n) anyway), so that a
///     delta's context finds what it removes without a scan;
///   - the number of elements, kept by small changes; a large join leaves it to be counted by
///     the first size() (one pass in element order, which the join itself does not need).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <ostream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattices/detail/chunked_vector.hpp"
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
      : entries_(std::move(other.entries_)),
        replicas_(std::move(other.replicas_)),
        elements_(other.elements_),
        context_(std::move(other.context_)),
        index_(std::move(other.index_)) {
    other.become_bot();
  }
  AWSet& operator=(AWSet&& other) {
    if (this == &other) return *this;
    entries_ = std::move(other.entries_);
    replicas_ = std::move(other.replicas_);
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
    for (Entry& e : group_by_replica(std::move(by_element))) append(std::move(e));
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
    typename Entries::iterator last_seen;
    for_each_entry_of(*this, x, [&](typename Entries::iterator it) {
      seen.push_back(it->dot);
      last_seen = it;
    });
    if (seen.size() == 1 && seen.front().replica == id) {
      // x's one tag is this replica's own (a re-add): the fresh dot is above every dot of
      // `id`, so the entry keeps its place and only its counter changes: one search, not
      // the three of an erase and an insert.
      delta.context_.insert(seen.front());
      delta.context_.insert(d);
      delta.append({x, d});
      delta.elements_.set(1);
      if (index_.valid) {
        index_.map.emplace(d, x);  // what throws first
        index_.map.erase(seen.front());
      }
      last_seen->dot = d;
      context_.insert(d);
      return delta;
    }
    // x's tags are replaced by one: the element count moves only if x was absent.
    for (const dot_type& old : seen) {
      delta.context_.insert(old);
      erase_entry(x, old, Count::unchanged);
    }
    delta.context_.insert(d);
    delta.append({x, d});
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
    entries_.clear();
    replicas_.clear();
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
      for_each_live_by_element([&](const Entry& e) {
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
    for_each_live_by_element([&](const Entry& e) {
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
    join_runs(a, b, out.entries_, out.replicas_);
    out.elements_.forget();
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
    for_each_live([&](const Entry& e) {  // in entry order, as append needs
      live.push_back(e.dot);
      if (!other.context_.contains(e.dot)) out.append(e);
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
      // Each of other's dots is looked up in this context: by bitmap, up to 64 bits an entry.
      const typename context_type::Lookup seen(context_, 64 * std::uint64_t{other.live_entries()});
      other.for_each_live([&](const Entry& e) {
        if (seen.contains(e.dot) && !std::binary_search(live.begin(), live.end(), e.dot)) {
          removed.push_back(e.dot);
        }
      });
    }
    std::sort(removed.begin(), removed.end());
    out.context_ = context_.delta(other.context_);
    context_type removed_context;
    for (const dot_type& d : removed) removed_context.insert(d);
    out.context_.merge(removed_context);
    out.elements_.forget();
    return out;
  }

  friend bool operator==(const AWSet& a, const AWSet& b) {
    // The entry counts first: a large set and a small delta differ in O(1), not O(n).
    return a.live_entries() == b.live_entries() && a.context_ == b.context_ &&
           a.entries_ == b.entries_;
  }
  friend std::ostream& operator<<(std::ostream& os, const AWSet& s) {
    return os << "AWSet" << s.dotted();
  }

  /// The bytes of dotted(), written without building it (a delta is encoded for the disk on
  /// every write): the store's element count, each element with its dots, then the context.
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

  using Entries = detail::ChunkedVector<Entry>;
  using Cursor = typename Entries::cursor;
  using Appender = typename Entries::appender;
  /// How many entries one replica's dots tag: the groups of `entries_`, in replica order.
  struct Group {
    Id replica;
    std::size_t entries;
  };
  using Groups = std::vector<Group>;

  std::size_t live_entries() const { return entries_.size(); }
  /// Whether merging this into `target` is cheaper entry by entry than in one pass.
  bool is_small_delta_for(const AWSet& target) const {
    const std::size_t work = live_entries() + context_.runs().size() + context_.cloud().size();
    // Divided, not multiplied: a peer's context may claim 2^60 dots, and count() * 16 wraps.
    return work <= target.live_entries() / 16 && context_.count() <= target.live_entries() / 16;
  }

  /// f(entry) for every live entry, in entry order.
  template <class F>
  void for_each_live(F&& f) const {
    for (Cursor it = entries_.first(), end = entries_.last(); it != end; ++it) f(*it);
  }
  /// f(entry) for every live entry in the value's order, (element, replica, counter): the
  /// replica groups merged by element, R cursors for R replicas (a sort past that).
  template <class F>
  void for_each_live_by_element(F&& f) const {
    if (replicas_.size() <= 1) {
      for_each_live(f);
      return;
    }
    if (replicas_.size() > 8) {
      std::vector<const Entry*> order;
      order.reserve(entries_.size());
      for_each_live([&](const Entry& e) { order.push_back(&e); });
      std::sort(order.begin(), order.end(),
                [](const Entry* x, const Entry* y) { return element_order(*x, *y); });
      for (const Entry* e : order) f(*e);
      return;
    }
    struct Run {
      Cursor at;
      std::size_t left;
    };
    std::vector<Run> runs;
    Cursor at = entries_.first();
    for (const Group& g : replicas_) {
      runs.push_back({at, g.entries});
      at.advance(g.entries);
    }
    while (!runs.empty()) {
      std::size_t least = 0;
      for (std::size_t r = 1; r < runs.size(); ++r) {
        if (element_order(*runs[r].at, *runs[least].at)) least = r;
      }
      f(*runs[least].at);
      if (--runs[least].left == 0) {
        runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(least));
      } else {
        ++runs[least].at;
      }
    }
  }
  /// f(element, its dots in order) for every element, in order: dotted()'s store, entry by
  /// entry.
  template <class F>
  void for_each_element(F&& f) const {
    std::vector<dot_type> tags;
    const T* current = nullptr;
    for_each_live_by_element([&](const Entry& e) {
      if (current != nullptr && !(*current == e.element)) {
        f(*current, tags);
        tags.clear();
      }
      current = &e.element;
      tags.push_back(e.dot);
    });
    if (current != nullptr) f(*current, tags);
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
  /// Appends an entry above every entry held (a set built in entry order).
  void append(Entry e) {
    CALM_ASSERT(entries_.empty() || entries_.back() < e, "AWSet::append in entry order");
    const bool new_group = replicas_.empty() || !(replicas_.back().replica == e.dot.replica);
    if (new_group) replicas_.reserve(replicas_.size() + 1);  // what throws comes first
    entries_.push_back(std::move(e));
    if (new_group) {
      replicas_.push_back({entries_.back().dot.replica, 1});
    } else {
      ++replicas_.back().entries;
    }
  }
  /// The group of `replica`, or where it would go.
  typename Groups::iterator group_of(const Id& replica) {
    return std::lower_bound(replicas_.begin(), replicas_.end(), replica,
                            [](const Group& g, const Id& r) { return g.replica < r; });
  }

  /// f(dot) for every live dot of x: a search in each replica's group.
  template <class F>
  void for_each_dot_of(const T& x, F&& f) const {
    for_each_entry_of(*this, x, [&](auto it) { f(it->dot); });
  }
  /// f(position) for every live entry of x in `self` (const or not): a search in each
  /// replica's group.
  template <class Self, class F>
  static void for_each_entry_of(Self& self, const T& x, F&& f) {
    for (const Group& g : self.replicas_) {
      const auto before = [&](const Entry& e, const T& key) {
        if (e.dot.replica < g.replica) return true;
        if (g.replica < e.dot.replica) return false;
        return e.element < key;
      };
      for (auto it = self.entries_.lower_bound(x, before);
           it != self.entries_.end() && it->dot.replica == g.replica && !(x < it->element); ++it) {
        f(it);
      }
    }
  }
  bool has_entry(const Entry& e) const {
    const auto it = entries_.lower_bound(e, std::less<Entry>{});
    return it != entries_.end() && *it == e;
  }

  /// Whether insert_entry and erase_entry keep the element count (by looking x up) or leave
  /// it to the caller, who knows.
  enum class Count { kept, unchanged };
  /// Inserts a live entry that is not present.
  void insert_entry(T x, const dot_type& d, Count count = Count::kept) {
    if (count == Count::kept && elements_.known() && !contains(x)) elements_.add(1);
    Entry e{std::move(x), d};
    auto group = group_of(d.replica);
    const bool new_group = group == replicas_.end() || !(group->replica == d.replica);
    if (new_group) group = replicas_.insert(group, Group{d.replica, 0});
    try {
      if (index_.valid) index_.map.emplace(d, e.element);
      const auto at = entries_.lower_bound(e, std::less<Entry>{});  // before e moves
      entries_.insert(at, std::move(e));
    } catch (...) {
      if (index_.valid) index_.map.erase(d);
      if (new_group) replicas_.erase(group);
      throw;
    }
    ++group->entries;
  }
  /// Erases (x, d) if it is live.
  void erase_entry(const T& x, const dot_type& d, Count count = Count::kept) {
    const Entry key{x, d};
    const auto it = entries_.lower_bound(key, std::less<Entry>{});
    if (it == entries_.end() || !(*it == key)) return;
    entries_.erase(it);
    auto group = group_of(d.replica);
    CALM_ASSERT(group != replicas_.end() && group->replica == d.replica && group->entries > 0,
                "AWSet: an entry's replica has a group");
    if (--group->entries == 0) replicas_.erase(group);
    if (index_.valid) index_.map.erase(d);
    if (count == Count::kept && elements_.known() && !contains(x)) elements_.add(-1);
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
    Entries out;
    Groups groups;
    const bool changed = join_runs(*this, other, out, groups);
    entries_ = std::move(out);
    replicas_ = std::move(groups);
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
  /// Whether `seen_up_to` covers every dot in [first, last) of `side`'s group of `replica`:
  /// by side's own context first (it saw each dot it holds; when it has no cloud, none above
  /// its run), by a pass over the group when that bound is not enough.
  static bool all_seen(const AWSet& side, const Id& replica, Cursor first, Cursor last,
                       std::uint64_t seen_up_to_counter) {
    if (first == last) return true;
    if (side.context_.cloud().empty() && seen_up_to(side.context_, replica) <= seen_up_to_counter) {
      return true;
    }
    for (; first != last; ++first) {
      if (first->dot.counter > seen_up_to_counter) return false;
    }
    return true;
  }

  /// The store part of the join of `a` (what the result is compared with) and `b`, into
  /// `out` and its groups. Returns whether it differs from a's entries.
  // flatten: GCC otherwise leaves push_back and the comparisons out of line in these loops.
  [[gnu::flatten]] static bool join_runs(const AWSet& a, const AWSet& b, Entries& out,
                                         Groups& out_groups) {
    out.clear();
    out.reserve(a.entries_.size() + b.entries_.size());
    out_groups.clear();
    Appender to(out);
    bool changed = false;
    Cursor i = a.entries_.first();
    Cursor j = b.entries_.first();
    auto ga = a.replicas_.begin();
    auto gb = b.replicas_.begin();
    while (ga != a.replicas_.end() || gb != b.replicas_.end()) {
      // The next replica, and its group on each side (possibly empty), skipped to by its size.
      const Id replica =
          gb == b.replicas_.end() || (ga != a.replicas_.end() && !(gb->replica < ga->replica))
              ? ga->replica
              : gb->replica;
      const Cursor gi = i;
      if (ga != a.replicas_.end() && ga->replica == replica) i.advance((ga++)->entries);
      const Cursor gj = j;
      if (gb != b.replicas_.end() && gb->replica == replica) j.advance((gb++)->entries);
      const std::size_t before = out.size();
      if (all_seen(b, replica, gj, j, seen_up_to(a.context_, replica))) {
        // `a` saw every dot `b` holds for this replica: a filter of a's entries.
        changed |= filter_group(gi, i, gj, j, b.context_, to, true);
      } else if (all_seen(a, replica, gi, i, seen_up_to(b.context_, replica))) {
        changed |= filter_group(gj, j, gi, i, a.context_, to, false);
      } else {
        changed |= merge_group(gi, i, SeenFor(a.context_, replica), gj, j,
                               SeenFor(b.context_, replica), to);
      }
      if (out.size() != before) out_groups.push_back({replica, out.size() - before});
    }
    return changed;
  }

  /// One replica's group when the side that keeps (k) saw every dot the other side (o) holds
  /// for it: an entry of k stays if o holds it too or o never saw its dot; an entry of o that
  /// k does not hold was removed by k. Only removals break the runs of kept entries, so the
  /// kept entries go out a run at a time. `keeps_mine`: whether k is the side the result is
  /// compared with.
  static bool filter_group(Cursor k, Cursor k_end, Cursor o, Cursor o_end,
                           const context_type& seen_by_o, Appender& out, bool keeps_mine) {
    if (k == k_end) return keeps_mine ? false : o != o_end;
    const SeenFor o_saw(seen_by_o, k->dot.replica);
    // o's counters, when they are dense enough for a table by counter (at most 4 slots per
    // entry) and o's context has no cloud: then whether o holds an entry of k is a lookup,
    // without a branch. In element order it is a coin toss (old and new adds interleave), and
    // a branch on it, or on the walk of o below, mispredicts about once in two entries: the
    // join of two 10k-element replicas took 121 us that way and about 70 us by the table.
    std::size_t o_count = 0;
    std::uint64_t low = ~std::uint64_t{0}, high = 0;
    for (Cursor c = o; c != o_end; ++c) {
      ++o_count;
      low = std::min(low, c->dot.counter);
      high = std::max(high, c->dot.counter);
    }
    if (o_count != 0 && (high - low) / 4 <= o_count && seen_by_o.cloud().empty()) {
      const std::uint64_t up_to = seen_up_to(seen_by_o, k->dot.replica);
      return filter_by_counters(k, k_end, o, o_end, o_count, low, high, up_to, out, keeps_mine);
    }
    bool dropped_k = false, dropped_o = false, kept_only_k = false;
    // k a contiguous span at a time: a raw pointer in the loop, a chunk's step outside it;
    // the kept entries go out a run at a time (only a drop ends one).
    while (k != k_end) {
      const Entry* const stop = k.span_end(k_end);
      const Entry* run = &*k;
      for (const Entry* e = run; e != stop; ++e) {
        // Within a group the order is (element, counter). Both are compared without a short
        // cut: whether k's next entry is also o's is a coin toss, and o's entries fall behind
        // k's only where k removed one.
        // (Named bools: clang warns on `|` between comparisons that call an operator.)
        while (o != o_end) {
          const bool less = o->element < e->element, same = o->element == e->element;
          if (!(less | (same & (o->dot.counter < e->dot.counter)))) break;
          dropped_o = true;
          ++o;
        }
        bool in_o = false;
        if (o != o_end) {
          const bool same = o->element == e->element;
          in_o = same & (o->dot.counter == e->dot.counter);
          o.step_if(in_o);
        }
        const bool keep = in_o | !o_saw(e->dot);
        if (!keep) {
          out.append(run, e);
          run = e + 1;
          dropped_k = true;
        }
        kept_only_k |= keep & !in_o;
      }
      out.append(run, stop);
      k.jump_to(stop);
    }
    dropped_o |= o != o_end;
    // The result differs from k if k lost an entry, and from o if o lost one or k added one.
    return keeps_mine ? dropped_k : (dropped_o || kept_only_k);
  }

  /// filter_group with o's entries in a table by counter over [low, high] (o_count entries),
  /// when o saw its replica's dots up to `up_to` and none above (a context without a cloud).
  /// An entry of k is o's when o has an entry under its dot with the same element (a forged
  /// value may name another element under a known dot: then, as in the walk, it is not).
  static bool filter_by_counters(Cursor k, Cursor k_end, Cursor o, Cursor o_end,
                                 std::size_t o_count, std::uint64_t low, std::uint64_t high,
                                 std::uint64_t up_to, Appender& out, bool keeps_mine) {
    const std::uint64_t span = high - low;  // <= 4 * o_count: the caller checked
    std::vector<const Entry*> table(static_cast<std::size_t>(span) + 1, nullptr);
    const Entry** const slots = table.data();
    for (; o != o_end; ++o) slots[o->dot.counter - low] = &*o;
    bool dropped_k = false;
    std::uint64_t only_k = 0;
    std::size_t matched = 0;
    while (k != k_end) {
      const Entry* const stop = k.span_end(k_end);
      const Entry* run = &*k;
      for (const Entry* e = run; e != stop; ++e) {
        // No branch but a drop's (whether o holds the entry is a coin toss): the slot is read
        // at a clamped index, a miss compares e with itself, and the flags are integers, not
        // bools, which the compiler would test one by one.
        const std::uint64_t c = e->dot.counter;
        const std::uint64_t at = c - low;  // wraps below low: then above span
        const Entry* const slot = slots[std::min(at, span)];
        const std::uint64_t hit =
            static_cast<std::uint64_t>(at <= span) & static_cast<std::uint64_t>(slot != nullptr);
        const std::uintptr_t pick = std::uintptr_t{0} - static_cast<std::uintptr_t>(hit);
        const auto* const other =
            reinterpret_cast<const Entry*>((reinterpret_cast<std::uintptr_t>(slot) & pick) |
                                           (reinterpret_cast<std::uintptr_t>(e) & ~pick));
        const std::uint64_t in_o = hit & static_cast<std::uint64_t>(other->element == e->element);
        const std::uint64_t unseen = static_cast<std::uint64_t>(c > up_to);
        matched += in_o;
        only_k |= unseen & (in_o ^ 1);  // kept, and not in o
        std::uint64_t keep = in_o | unseen;
        // Opaque to the optimizer, which would otherwise test in_o and unseen one by one.
        asm("" : "+r"(keep));
        if (keep == 0) [[unlikely]] {
          out.append(run, e);
          run = e + 1;
          dropped_k = true;
        }
      }
      out.append(run, stop);
      k.jump_to(stop);
    }
    const bool dropped_o = matched != o_count;
    return keeps_mine ? dropped_k : (dropped_o || only_k != 0);
  }

  /// One replica's group when each side holds dots the other never saw (deltas that arrived
  /// out of order): both walked together in order, each dot checked against the other side.
  static bool merge_group(Cursor i, Cursor i_end, const SeenFor& seen_here, Cursor j, Cursor j_end,
                          const SeenFor& seen_there, Appender& out) {
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
    entries_.clear();
    replicas_.clear();
    elements_.set(0);
    context_ = context_type{};
    index_.map.clear();
    index_.valid = false;
  }

  /// Sorted by (replica, element, counter); at most one entry per dot.
  Entries entries_;
  /// The replicas whose dots tag an entry, in order, with how many each: contains and add
  /// search each group, and a join skips to a group's end.
  Groups replicas_;
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
