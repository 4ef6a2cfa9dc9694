#pragma once
/// The dot stores of Almeida et al. ("Delta State Replicated Data Types", 2018), and Dotted<S>,
/// a dot store paired with the DotContext of everything its replica has seen.
///
///   DotSet<Id>         a set of dots                      (EWFlag, DWFlag)
///   DotFun<V, Id>      dot -> value                       (MVRegister)
///   DotMap<K, S>       key -> non-empty dot store S       (AWSet, RWSet, ORMap)
///
/// Dotted<S> is the lattice. A dot in the store is alive; a dot in the context but not in the
/// store was seen and removed. Joining (s, c) and (t, d) keeps a dot alive when both stores
/// have it, or when one store has it and the other side never saw it:
///   s join t  =  (s intersect t)  union  (s minus d)  union  (t minus c),   contexts united.
/// So a remove (an empty store whose context holds the dots it saw) takes away exactly those
/// dots, and a concurrent add, whose dot the remover never saw, survives.
///
/// Order:  a <= b  iff join(a, b) == b (a removed dot is above the same dot alive).
/// Bottom: the empty store with the empty context.   Top: none.
/// Merge:  O(|a| + |b|) dots in general, each checked against the other context. DotMap, for a
///         small delta (few entries, and a context of few ranges and few dots, against the
///         map's entries: what ORMap's update and remove return): O((k + c) log n + the
///         touched keys' stores) for k entries and c context dots into n entries, in place;
///         a new or vanished key moves the entries of its chunk (at most 128) and, when a
///         chunk splits or empties, O(n / 128) chunk headers (detail::ChunkedVector).
///
/// The store protocol, which every store S implements and DotMap relies on:
///   bool S::join(S& a, const Ctx& ca, const S& b, const Ctx& cb)   a := store part; changed?
///   S    s.restrict(pred)           the dots for which pred(dot) holds, shape kept
///   void s.for_each_dot(f)          every dot, each once
///   void s.for_each_atom(f)         f(dot, the store holding just that dot), every dot once
///   bool s.empty()
#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <compare>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <ostream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"
#include "lattices/core.hpp"
#include "lattices/detail/chunked_vector.hpp"
#include "lattices/detail/serialization.hpp"
#include "lattices/dot.hpp"
#include "lattices/dot_context.hpp"

namespace calm::lattices {

namespace detail {

/// Walks two sorted runs of entries by key: only_a(x), only_b(y), both(x, y).
template <class ItA, class ItB, class Less, class OnlyA, class OnlyB, class Both>
void zip_sorted(ItA i, ItA i_end, ItB j, ItB j_end, Less less, OnlyA&& only_a, OnlyB&& only_b,
                Both&& both) {
  while (i != i_end && j != j_end) {
    if (less(*i, *j)) {
      only_a(*i++);
    } else if (less(*j, *i)) {
      only_b(*j++);
    } else {
      both(*i++, *j++);
    }
  }
  for (; i != i_end; ++i) only_a(*i);
  for (; j != j_end; ++j) only_b(*j);
}

/// The store part of the join for entries sorted by dot (DotSet's dots, DotFun's
/// (dot, value) pairs): an entry on both sides stays, combined by `both(kept, other)`, which
/// says whether it changed; an entry on one side stays unless the other side saw its dot.
/// Returns whether `a` changed.
template <class Entry, class Context, class DotOf, class Both>
bool join_by_dot(std::vector<Entry>& a, const Context& ca, const std::vector<Entry>& b,
                 const Context& cb, DotOf dot_of, Both both) {
  std::vector<Entry> out;
  out.reserve(a.size() + b.size());
  bool changed = false;
  zip_sorted(
      a.begin(), a.end(), b.begin(), b.end(),
      [&](const Entry& x, const Entry& y) { return dot_of(x) < dot_of(y); },
      [&](const Entry& e) {
        if (cb.contains(dot_of(e))) {
          changed = true;
        } else {
          out.push_back(e);
        }
      },
      [&](const Entry& e) {
        if (!ca.contains(dot_of(e))) {
          out.push_back(e);
          changed = true;
        }
      },
      [&](const Entry& x, const Entry& y) {
        out.push_back(x);
        changed = both(out.back(), y) || changed;
      });
  if (changed) a = std::move(out);
  return changed;
}

/// Whether merging a delta of `entries` entries (or elements' tags) with context `context`
/// into a value of `target_entries` entries is cheaper entry by entry than in one pass over
/// both (DotMap): the delta's entries and context ranges, and the dots its context claims, are
/// each at most an eighth of the target's entries. bench/or_map.cpp's ORMap_group_delta rows
/// put the break-even near a quarter (100k fields: k = n/8 new fields join in 10.3 ms entry
/// by entry, 15.7 ms in one pass; n/4, 19 ms both ways).
template <class Context>
bool is_small_delta(std::size_t entries, const Context& context, std::size_t target_entries) {
  const std::size_t work = entries + context.runs().size() + context.cloud().size();
  // Divided, not multiplied: a peer's context may claim 2^60 dots, and count() * 8 wraps.
  return work <= target_entries / 8 && context.count() <= target_entries / 8;
}

}  // namespace detail

// ---- DotSet ------------------------------------------------------------------------------

template <std::totally_ordered Id = std::uint64_t>
class DotSet {
 public:
  using id_type = Id;
  using dot_type = Dot<Id>;
  using context_type = DotContext<Id>;
  using const_iterator = typename std::vector<dot_type>::const_iterator;

  DotSet() = default;
  DotSet(std::initializer_list<dot_type> dots) : DotSet(dots.begin(), dots.end()) {}
  template <std::input_iterator It, std::sentinel_for<It> S>
  DotSet(It first, S last) : dots_(first, last) {
    std::sort(dots_.begin(), dots_.end());
    dots_.erase(std::unique(dots_.begin(), dots_.end()), dots_.end());
  }

  bool empty() const { return dots_.empty(); }
  std::size_t size() const { return dots_.size(); }
  bool contains(const dot_type& d) const {
    return std::binary_search(dots_.begin(), dots_.end(), d);
  }
  const_iterator begin() const { return dots_.begin(); }
  const_iterator end() const { return dots_.end(); }

  static bool join(DotSet& a, const context_type& ca, const DotSet& b, const context_type& cb) {
    return detail::join_by_dot(
        a.dots_, ca, b.dots_, cb, [](const dot_type& d) -> const dot_type& { return d; },
        [](dot_type&, const dot_type&) { return false; });
  }

  template <class Pred>
  DotSet restrict(Pred&& keep) const {
    DotSet out;
    for (const dot_type& d : dots_) {
      if (keep(d)) out.dots_.push_back(d);
    }
    return out;
  }
  template <class F>
  void for_each_dot(F&& f) const {
    for (const dot_type& d : dots_) f(d);
  }
  template <class F>
  void for_each_atom(F&& f) const {
    for (const dot_type& d : dots_) {
      DotSet one;
      one.dots_.push_back(d);
      f(d, std::move(one));
    }
  }

  friend bool operator==(const DotSet&, const DotSet&) = default;
  friend std::ostream& operator<<(std::ostream& os, const DotSet& s) {
    os << '{';
    const char* sep = "";
    for (const dot_type& d : s.dots_) {
      os << sep << d;
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, dots_.size());
    for (const dot_type& d : dots_) ar(d);
  }
  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t n = detail::load_size(ar);
    std::vector<dot_type> dots;
    dots.reserve(detail::bounded_reserve(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      dot_type d;
      ar(d);
      detail::decode_require(dots.empty() || dots.back() < d,
                             "calm: DotSet dots are not strictly increasing");
      dots.push_back(std::move(d));
    }
    dots_ = std::move(dots);
  }

 private:
  std::vector<dot_type> dots_;
};

// ---- DotFun ------------------------------------------------------------------------------

/// dot -> V. A dot names one write, so both sides of a join hold the same value for it; when V
/// is a lattice the two are merged all the same, and otherwise the greater is kept, so that a
/// forged value holding another payload under a known dot cannot make joins disagree.
template <class V, std::totally_ordered Id = std::uint64_t>
class DotFun {
 public:
  using id_type = Id;
  using dot_type = Dot<Id>;
  using context_type = DotContext<Id>;
  using value_type = std::pair<dot_type, V>;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  DotFun() = default;
  DotFun(std::initializer_list<value_type> entries) : entries_(entries) {
    std::sort(entries_.begin(), entries_.end(), by_dot);
    entries_.erase(
        std::unique(entries_.begin(), entries_.end(),
                    [](const value_type& x, const value_type& y) { return x.first == y.first; }),
        entries_.end());
  }

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

  static bool join(DotFun& a, const context_type& ca, const DotFun& b, const context_type& cb) {
    // Both sides hold the same value for a dot (it names one write); a lattice value merges.
    return detail::join_by_dot(
        a.entries_, ca, b.entries_, cb,
        [](const value_type& e) -> const dot_type& { return e.first; },
        [](value_type& kept, const value_type& other) {
          if constexpr (Lattice<V>) {
            return ::calm::lattices::merge(kept.second, other.second);
          } else if constexpr (std::totally_ordered<V>) {
            // Only a forged value holds another payload under a known dot; keeping the
            // greater keeps the join commutative, so replicas still agree.
            if (!(kept.second < other.second)) return false;
            kept.second = other.second;
            return true;
          } else {
            return false;
          }
        });
  }

  template <class Pred>
  DotFun restrict(Pred&& keep) const {
    DotFun out;
    for (const value_type& e : entries_) {
      if (keep(e.first)) out.entries_.push_back(e);
    }
    return out;
  }
  template <class F>
  void for_each_dot(F&& f) const {
    for (const value_type& e : entries_) f(e.first);
  }
  template <class F>
  void for_each_atom(F&& f) const {
    for (const value_type& e : entries_) {
      DotFun one;
      one.entries_.push_back(e);
      f(e.first, std::move(one));
    }
  }

  friend bool operator==(const DotFun&, const DotFun&) = default;
  friend std::ostream& operator<<(std::ostream& os, const DotFun& s) {
    os << '{';
    const char* sep = "";
    for (const auto& [d, v] : s.entries_) {
      os << sep << d << ": " << v;
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, entries_.size());
    for (const auto& [d, v] : entries_) {
      ar(d);
      detail::save_value(ar, v);
    }
  }
  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t n = detail::load_size(ar);
    std::vector<value_type> entries;
    entries.reserve(detail::bounded_reserve(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      value_type e{};
      ar(e.first);
      detail::load_value(ar, e.second);
      detail::decode_require(entries.empty() || entries.back().first < e.first,
                             "calm: DotFun dots are not strictly increasing");
      entries.push_back(std::move(e));
    }
    entries_ = std::move(entries);
  }

 private:
  static constexpr auto by_dot = [](const value_type& x, const value_type& y) {
    return x.first < y.first;
  };
  std::vector<value_type> entries_;
};

// ---- DotMap ------------------------------------------------------------------------------

/// key -> dot store S; a key whose store is empty is absent.
///
/// A small delta is joined entry by entry (join_small): the keys the delta holds, found by
/// binary search, and the keys of this map holding a dot the delta's context saw: under one
/// of the delta's own keys (a write's delta replaces the dots of the keys it writes), or else
/// found in a dot -> key index. The index is built the first time a small delta needs it (a
/// dot under a key the delta does not hold: a removal), kept up to date by small joins and
/// set(), and dropped by a large join (which is O(n) anyway) and by copies; it costs a hash
/// node and a copy of the key per live dot while it exists. The rest of the map cannot
/// change: joined with nothing, a store loses only the dots the other context saw.
template <std::totally_ordered K, class S>
class DotMap {
 public:
  using key_type = K;
  using mapped_type = S;
  using id_type = typename S::id_type;
  using dot_type = Dot<id_type>;
  using context_type = DotContext<id_type>;
  using value_type = std::pair<K, S>;
  /// Sorted by key, in chunks (detail::ChunkedVector): a new or vanished key moves the
  /// entries of its chunk, not every entry after it.
  using Entries = detail::ChunkedVector<value_type>;
  using const_iterator = typename Entries::const_iterator;
  /// Whether dots hash, as join_small's index needs; otherwise every join is join_whole.
  static constexpr bool indexable = requires(const id_type& id) {
    { std::hash<id_type>{}(id) } -> std::convertible_to<std::size_t>;
  };

  DotMap() = default;
  /// Entries with empty stores are dropped; keys must be distinct.
  DotMap(std::initializer_list<value_type> entries) {
    for (const value_type& e : entries) set(e.first, e.second);
  }

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  /// The store at `key`, or nullptr.
  const S* find(const K& key) const {
    auto it = position(key);
    return it != entries_.end() && it->first == key ? &it->second : nullptr;
  }
  /// Replaces the store at `key` (erasing the key when the store is empty).
  void set(const K& key, S store) {
    detail::require_ordered(key);
    auto it = position(key);
    const bool present = it != entries_.end() && it->first == key;
    if (index_.map) {
      index_replace(key, present ? sorted_dots(it->second) : KeyDots{}, sorted_dots(store));
    }
    if (store.empty()) {
      if (present) entries_.erase(it);
    } else if (present) {
      it->second = std::move(store);
    } else {
      entries_.insert(it, value_type{key, std::move(store)});
    }
  }

  /// The join, entry by entry for a small delta (join_small), else in one pass (join_whole).
  static bool join(DotMap& a, const context_type& ca, const DotMap& b, const context_type& cb) {
    if constexpr (indexable) {
      if (&a != &b && detail::is_small_delta(b.size(), cb, a.size())) {
        return join_small(a, ca, b, cb);
      }
    }
    return join_whole(a, ca, b, cb);
  }

  /// The join in one pass over both sides' entries: O(|a| + |b|) entries, each joined with
  /// the other side's store (or the empty one).
  static bool join_whole(DotMap& a, const context_type& ca, const DotMap& b,
                         const context_type& cb) {
    static const S empty_store{};
    Entries out;
    out.reserve(a.entries_.size() + b.entries_.size());
    bool changed = false;
    auto keep = [&](value_type&& e) {
      if (!e.second.empty()) out.push_back(std::move(e));
    };
    detail::zip_sorted(
        a.entries_.begin(), a.entries_.end(), b.entries_.begin(), b.entries_.end(), by_key,
        [&](const value_type& x) {
          value_type e = x;
          changed = S::join(e.second, ca, empty_store, cb) || changed;
          keep(std::move(e));
        },
        [&](const value_type& y) {
          value_type e{y.first, S{}};
          changed = S::join(e.second, ca, y.second, cb) || changed;
          keep(std::move(e));
        },
        [&](const value_type& x, const value_type& y) {
          value_type e = x;
          changed = S::join(e.second, ca, y.second, cb) || changed;
          keep(std::move(e));
        });
    if (changed) {
      a.entries_ = std::move(out);
      a.index_.map.reset();
    }
    return changed;
  }

  /// The same join, in place, touching only the entries that can change: the keys `b`
  /// holds, and the keys of `a` holding a dot that `cb` saw, found in the dot -> key index
  /// (built here the first time it is needed). Every other entry of `a` is joined with the
  /// empty store in join_whole, which takes away only dots `cb` saw: it holds none.
  /// O(k log n + c log n + the touched entries' stores), for k entries of `b`, c dots of
  /// `cb` and n entries of `a`; a new or vanished key moves the entries of its chunk. Right
  /// for any `b`; join picks it when `b` is small against `a`.
  static bool join_small(DotMap& a, const context_type& ca, const DotMap& b,
                         const context_type& cb) requires indexable {
    if (&a == &b) return join_whole(a, ca, b, cb);  // b's entries would move under us
    // The keys of `a` that may lose a dot of `cb`; a dot `ca` never saw is not in `a` (every
    // live dot is in its context). Dots `b` holds are looked up too: a forged `b` may hold
    // under another key a dot `a` holds, and join_whole drops it from `a`'s key.
    // Without an index yet, the dots `a` holds under b's keys are found by those keys, which
    // join_key visits anyway: a local write's delta names only dots of the keys it writes, so
    // it needs neither a lookup nor the index (O(n) to build, a copy of every key to keep).
    KeyDots covered;
    if (!a.index_.map) {
      for (const value_type& e : b.entries_) {
        if (const S* held = a.find(e.first)) {
          held->for_each_dot([&](const dot_type& d) { covered.push_back(d); });
        }
      }
      std::sort(covered.begin(), covered.end());
    }
    std::vector<K> losing;
    cb.for_each([&](const dot_type& d) {
      if (!ca.contains(d) || std::binary_search(covered.begin(), covered.end(), d)) return;
      const auto& index = a.index();
      if (auto it = index.find(d); it != index.end()) losing.push_back(it->second);
    });
    std::sort(losing.begin(), losing.end());
    losing.erase(std::unique(losing.begin(), losing.end()), losing.end());

    static const S empty_store{};
    bool changed = false;
    auto join_key = [&](const K& key, const S& theirs) {
      auto it = a.position(key);
      if (it == a.entries_.end() || !(it->first == key)) {
        S store{};
        // Whether it changed, as join_whole counts it, even if a user's store stays empty.
        changed = S::join(store, ca, theirs, cb) || changed;
        if (store.empty()) return;
        a.index_add(key, store);
        a.entries_.insert(it, value_type{key, std::move(store)});
        return;
      }
      KeyDots before;
      if (a.index_.map) before = sorted_dots(it->second);
      if (!S::join(it->second, ca, theirs, cb)) return;
      changed = true;
      if (a.index_.map) a.index_replace(key, before, sorted_dots(it->second));
      if (it->second.empty()) a.entries_.erase(it);
    };
    auto extra = losing.begin();
    for (const value_type& e : b.entries_) {
      for (; extra != losing.end() && *extra < e.first; ++extra) join_key(*extra, empty_store);
      if (extra != losing.end() && *extra == e.first) ++extra;
      join_key(e.first, e.second);
    }
    for (; extra != losing.end(); ++extra) join_key(*extra, empty_store);
    return changed;
  }

  template <class Pred>
  DotMap restrict(Pred&& keep) const {
    DotMap out;
    for (const auto& [key, store] : entries_) {
      S part = store.restrict(keep);
      if (!part.empty()) out.entries_.push_back(value_type{key, std::move(part)});
    }
    return out;
  }
  template <class F>
  void for_each_dot(F&& f) const {
    for (const auto& e : entries_) e.second.for_each_dot(f);
  }
  template <class F>
  void for_each_atom(F&& f) const {
    for (const value_type& e : entries_) {  // not a structured binding: clang 14 cannot capture one
      e.second.for_each_atom([&](const dot_type& d, S part) {
        DotMap one;
        one.entries_.push_back(value_type{e.first, std::move(part)});
        f(d, std::move(one));
      });
    }
  }

  /// The entries; the index is a cache.
  friend bool operator==(const DotMap& a, const DotMap& b) { return a.entries_ == b.entries_; }
  friend std::ostream& operator<<(std::ostream& os, const DotMap& m) {
    os << '{';
    const char* sep = "";
    for (const auto& [key, store] : m.entries_) {
      os << sep << key << ": " << store;
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, entries_.size());
    for (const auto& [key, store] : entries_) {
      detail::save_value(ar, key);
      ar(store);
    }
  }
  template <class Archive>
  void load(Archive& ar) {
    const std::uint64_t n = detail::load_size(ar);
    Entries entries;
    entries.reserve(detail::bounded_reserve(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      value_type e{};
      detail::load_value(ar, e.first);
      ar(e.second);
      detail::decode_require(entries.empty() || entries.back().first < e.first,
                             "calm: DotMap keys are not strictly increasing");
      detail::decode_require(!e.second.empty(), "calm: DotMap holds an empty store");
      entries.push_back(std::move(e));
    }
    entries_ = std::move(entries);
    index_.map.reset();
  }
  /// Whether the dot -> key index is built (small joins build it; copies and large joins drop
  /// it), so that holds_dot answers in O(1).
  bool dot_index_built() const { return index_.map != nullptr; }
  /// Whether some key holds the live dot `d`, by the index (dot_index_built() must hold).
  bool holds_dot(const dot_type& d) const {
    CALM_ASSERT(index_.map != nullptr, "holds_dot asks the dot index, which must be built");
    return index_.map->contains(d);
  }

 private:
  using Index = std::unordered_map<dot_type, K>;

  /// A key's dots: one or a few (a register's concurrent writes), so kept inline.
  using KeyDots = boost::container::small_vector<dot_type, 4>;
  static KeyDots sorted_dots(const S& store) {
    KeyDots dots;
    store.for_each_dot([&](const dot_type& d) { dots.push_back(d); });
    std::sort(dots.begin(), dots.end());
    return dots;
  }
  /// dot -> the key holding it, for every live dot: built on first use.
  const Index& index() {
    if (!index_.map) {
      index_.map = std::make_unique<Index>();
      for (const value_type& e : entries_) {
        e.second.for_each_dot([&](const dot_type& d) { index_.map->insert_or_assign(d, e.first); });
      }
    }
    return *index_.map;
  }
  void index_add(const K& key, const S& store) {
    if (!index_.map) return;
    store.for_each_dot([&](const dot_type& d) { index_.map->insert_or_assign(d, key); });
  }
  /// The key's dots went from `before` to `after` (both sorted). A dot that left gives its
  /// node, which already holds the key, to a dot that came: an overwrite (one dot for another)
  /// allocates nothing and copies no key.
  void index_replace(const K& key, const KeyDots& before, const KeyDots& after) {
    boost::container::small_vector<typename Index::node_type, 4> freed;
    std::size_t j = 0;
    for (const dot_type& d : before) {
      while (j < after.size() && after[j] < d) ++j;
      if (j == after.size() || !(after[j] == d)) {
        if (auto node = index_.map->extract(d)) freed.push_back(std::move(node));
      }
    }
    for (const dot_type& d : after) {
      if (std::binary_search(before.begin(), before.end(), d)) continue;
      if (freed.empty() || !(freed.back().mapped() == key)) {
        index_.map->insert_or_assign(d, key);
        continue;
      }
      freed.back().key() = d;
      auto [pos, inserted, node] = index_.map->insert(std::move(freed.back()));
      freed.pop_back();
      if (!inserted) pos->second = key;  // a dot live under two keys: Dotted refuses those
    }
  }

  static constexpr auto by_key = [](const value_type& x, const value_type& y) {
    return x.first < y.first;
  };
  static constexpr auto key_below = [](const value_type& e, const K& k) { return e.first < k; };
  auto position(const K& key) const { return entries_.lower_bound(key, key_below); }
  auto position(const K& key) { return entries_.lower_bound(key, key_below); }
  Entries entries_;
  /// A cache that a copy starts without (copying hash nodes costs more than the join that
  /// follows); kept by join_small and set, dropped by join_whole and load. Behind a pointer:
  /// a nested map (ORMap of AWSet) pays one word for it until a small delta needs it.
  struct IndexCache {
    std::unique_ptr<Index> map;
    IndexCache() = default;
    IndexCache(const IndexCache&) {}
    IndexCache(IndexCache&&) noexcept = default;
    IndexCache& operator=(const IndexCache&) {
      map.reset();
      return *this;
    }
    IndexCache& operator=(IndexCache&&) noexcept = default;
    ~IndexCache() = default;
  };
  IndexCache index_;
};

// ---- Dotted ------------------------------------------------------------------------------

/// A dot store with the context of everything its replica has seen: the lattice that every
/// dot-based CRDT is built on (Almeida et al. call it Causal<T>).
/// Invariant: every dot of the store is in the context.
///
/// Precondition of the laws across values: a dot names one event, so two values never hold
/// different payloads under one dot (another element, key or value). Each value is checked on
/// decoding, but only a peer that forges dots can break this across values, and then joins
/// stay commutative (a store entry both sides hold under different keys is dropped by both;
/// DotFun keeps the greater value) while delta(a, b) may miss the conflict: keep forging peers
/// out (an authenticated transport), do not repair them here.
template <class S>
class Dotted {
 public:
  using store_type = S;
  using id_type = typename S::id_type;
  using dot_type = Dot<id_type>;
  using context_type = DotContext<id_type>;

  Dotted() = default;
  /// The context is widened to hold the store's dots.
  Dotted(S store, context_type context) : store_(std::move(store)), context_(std::move(context)) {
    store_.for_each_dot([&](const dot_type& d) { context_.insert(d); });
  }

  const S& store() const { return store_; }
  const context_type& context() const { return context_; }

  bool merge(const Dotted& other) {
    const bool store_changed = S::join(store_, context_, other.store_, other.context_);
    const bool context_changed = context_.merge(other.context_);
    return store_changed || context_changed;
  }

  bool is_bot() const { return store_.empty() && context_.is_bot(); }

  /// One atom per dot: ({that dot}, {d}) for a live dot, (empty, {d}) for a removed one.
  /// O(dots of the context + live dots log live dots): as many atoms as the context claims
  /// dots, which its encoded size does not bound. decompose() is the bounded alternative.
  std::vector<Dotted> atomize() const {
    std::vector<Dotted> atoms;
    const std::vector<std::pair<dot_type, S>> live = live_atoms();
    auto next_live = live.begin();
    context_.for_each([&](const dot_type& d) {
      Dotted atom;
      // Live dots are in the context and come in its order, so one walk pairs them up.
      if (next_live != live.end() && next_live->first == d) atom.store_ = (next_live++)->second;
      atom.context_.insert(d);
      atoms.push_back(std::move(atom));
    });
    return atoms;
  }
  /// A join decomposition as long as the representation, not the counters: one atom per live
  /// dot, and one part per maximal range of removed dots. What a protocol splits a value with.
  std::vector<Dotted> decompose() const {
    std::vector<Dotted> parts;
    context_type live_context;
    for (auto& [d, part] : live_atoms()) {
      live_context.insert(d);
      Dotted atom;
      atom.store_ = std::move(part);
      atom.context_.insert(d);
      parts.push_back(std::move(atom));
    }
    context_.delta(live_context).for_each_range([&](const auto& r) {
      Dotted removed;
      removed.context_.insert_range(r.replica, r.first, r.last);
      parts.push_back(std::move(removed));
    });
    return parts;
  }
  /// The least value that brings `other` up to join(*this, other): the live dots `other` never
  /// saw, and the removals `other` has not made. O(ranges of both contexts + live dots of
  /// both, times log): the contexts are subtracted range by range.
  /// A small delta against a large value whose dot index is built (a DotMap a stream of
  /// small joins keeps one) walks its own context's dots instead of the value's.
  Dotted delta(const Dotted& other) const {
    const std::vector<dot_type> live = live_dots();
    Dotted out;
    out.store_ = store_.restrict([&](const dot_type& d) { return !other.context_.contains(d); });
    out.context_ = context_.delta(other.context_);
    // Dots both sides saw that are alive there and removed here.
    context_type removed_here;
    const auto removed = [&](const dot_type& d) {
      return context_.contains(d) && !std::binary_search(live.begin(), live.end(), d);
    };
    bool by_index = false;
    if constexpr (requires { other.store_.dot_index_built(); }) {
      // is_small_delta bounds the dots the context claims, which the walk visits one by one.
      by_index = other.store_.dot_index_built() &&
                 detail::is_small_delta(store_.size(), context_, other.store_.size());
      if (by_index) {
        context_.for_each([&](const dot_type& d) {
          if (other.store_.holds_dot(d) && removed(d)) removed_here.insert(d);
        });
      }
    }
    if (!by_index) {
      // Each of other's dots is looked up in this context: by bitmap, up to 64 bits an entry.
      std::uint64_t entries = 0;
      if constexpr (requires { other.store_.size(); }) {
        entries = other.store_.size();
      } else {
        other.store_.for_each_dot([&](const dot_type&) { ++entries; });
      }
      const typename context_type::Lookup seen(context_, 64 * entries);
      other.store_.for_each_dot([&](const dot_type& d) {
        if (seen.contains(d) && !std::binary_search(live.begin(), live.end(), d)) {
          removed_here.insert(d);
        }
      });
    }
    out.context_.merge(removed_here);
    return out;
  }

  friend bool operator==(const Dotted&, const Dotted&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Dotted& x) {
    return os << "Dotted{" << x.store_ << ", " << x.context_ << '}';
  }

  template <class Archive>
  void save(Archive& ar) const {
    ar(store_, context_);
  }
  template <class Archive>
  void load(Archive& ar) {
    ar(store_, context_);
    std::vector<dot_type> live = live_dots();
    const bool unique = std::adjacent_find(live.begin(), live.end()) == live.end();
    detail::decode_require(unique, "calm: a dot is alive twice in a dot store");
    const bool covered = std::all_of(live.begin(), live.end(),
                                     [&](const dot_type& d) { return context_.contains(d); });
    detail::decode_require(covered, "calm: a live dot is missing from its context");
  }

  /// For the CRDTs built on Dotted: direct access while they keep the invariant.
  S& mutable_store() { return store_; }
  context_type& mutable_context() { return context_; }

 private:
  /// (dot, the store holding just that dot) for every live dot, in dot order.
  std::vector<std::pair<dot_type, S>> live_atoms() const {
    std::vector<std::pair<dot_type, S>> out;
    store_.for_each_atom([&](const dot_type& d, S part) { out.emplace_back(d, std::move(part)); });
    std::sort(out.begin(), out.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    return out;
  }
  std::vector<dot_type> live_dots() const {
    std::vector<dot_type> live;
    store_.for_each_dot([&](const dot_type& d) { live.push_back(d); });
    std::sort(live.begin(), live.end());
    return live;
  }

  S store_;
  context_type context_;
};

}  // namespace calm::lattices
