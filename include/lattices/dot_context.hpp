#pragma once
/// DotContext<Id>: the set of dots a replica has seen, kept compact.
///
/// Representation: a version vector (replica -> n, meaning dots 1..n were all seen) plus a dot
/// cloud: the seen dots past a gap, as maximal ranges (replica, first..last). After every
/// change the context is compacted: a cloud range that reaches its replica's run is folded
/// into the vector, and touching ranges are joined. That normal form makes equality, the
/// order and the encoding independent of history.
///
/// Order:  a <= b  iff every dot of a is in b (set inclusion).
/// Bottom: the empty context.   Top: none.
/// Merge:  O(|a| + |b|) ranges; O(k log n) for a context of k ranges and few replicas.
/// Delta, compare, contains: by ranges too. Only for_each and atomize walk single dots.
///
/// Rationale: a DotContext is a value. Copying a CRDT copies its context, so a copy's new
/// dots never leak into the original (delta-enabled-crdts shares the context by reference).
/// The cloud holds ranges, not dots, so that no operation but atomize costs more than the
/// encoded size: a peer's 60-byte context may claim dots 1..2^31, and the difference of two
/// honest contexts (a replica far behind) is a range, not millions of dots.
#include <algorithm>
#include <compare>
#include <cstdint>
#include <iterator>
#include <ostream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "lattices/core.hpp"
#include "lattices/detail/serialization.hpp"
#include "lattices/dot.hpp"

namespace calm::lattices {

template <std::totally_ordered Id = std::uint64_t>
class DotContext {
 public:
  using id_type = Id;
  using dot_type = Dot<Id>;
  /// (replica, n): dots (replica, 1) .. (replica, n) were all seen.
  using run_type = std::pair<Id, std::uint64_t>;
  /// Dots (replica, first) .. (replica, last), first <= last: a part of the cloud.
  struct Range {
    Id replica{};
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    friend bool operator==(const Range&, const Range&) = default;
  };

  DotContext() = default;
  DotContext(std::initializer_list<dot_type> dots) {
    for (const dot_type& d : dots) insert(d);
  }

  /// Whether the dot was seen.
  bool contains(const dot_type& d) const {
    if (run_of(d.replica) >= d.counter) return true;
    if (cloud_.empty()) return false;
    auto it = cloud_after(d.replica, d.counter);
    return it != cloud_.begin() && std::prev(it)->replica == d.replica &&
           std::prev(it)->last >= d.counter;
  }
  /// contains() for many lookups against one context, as a walk of a large value's dots
  /// makes: each replica's seen counters become a bitmap over their span (first to last seen),
  /// one bit test per lookup, while the bitmaps together stay within `bits_max` bits; a
  /// replica past that budget is searched as contains() does. Built in O(ranges + bits_max /
  /// 64). It refers to the context, which must outlive it unchanged.
  class Lookup {
   public:
    Lookup(const DotContext& context, std::uint64_t bits_max) : context_(&context) {
      context.for_each_range([&](const Range& r) {  // in (replica, first) order
        if (maps_.empty() || !(maps_.back().replica == r.replica)) {
          maps_.push_back(Map{r.replica, r.first, r.last, {}});
        } else {
          maps_.back().last = r.last;
        }
      });
      std::uint64_t budget = bits_max;
      for (Map& m : maps_) {
        const std::uint64_t span = m.last - m.first;  // one less than the counters spanned
        if (span >= budget) continue;
        budget -= span + 1;
        m.bits.assign(static_cast<std::size_t>(span / 64 + 1), 0);
      }
      std::size_t i = 0;
      context.for_each_range([&](const Range& r) {
        while (!(maps_[i].replica == r.replica)) ++i;
        Map& m = maps_[i];
        if (!m.bits.empty()) set_bits(m.bits, r.first - m.first, r.last - m.first);
      });
    }
    bool contains(const dot_type& d) const {
      const auto it = std::lower_bound(maps_.begin(), maps_.end(), d.replica,
                                       [](const Map& m, const Id& r) { return m.replica < r; });
      if (it == maps_.end() || !(it->replica == d.replica)) return false;
      if (d.counter < it->first || d.counter > it->last) return false;
      if (it->bits.empty()) return context_->contains(d);
      const std::uint64_t k = d.counter - it->first;
      return ((it->bits[static_cast<std::size_t>(k / 64)] >> (k % 64)) & 1) != 0;
    }

   private:
    struct Map {
      Id replica;
      std::uint64_t first;
      std::uint64_t last;
      std::vector<std::uint64_t> bits;  // bit k: counter first + k; empty: searched
    };
    /// Sets bits a..b (a <= b).
    static void set_bits(std::vector<std::uint64_t>& bits, std::uint64_t a, std::uint64_t b) {
      const auto wa = static_cast<std::size_t>(a / 64);
      const auto wb = static_cast<std::size_t>(b / 64);
      const std::uint64_t from_a = ~std::uint64_t{0} << (a % 64);
      const std::uint64_t to_b = ~std::uint64_t{0} >> (63 - b % 64);
      if (wa == wb) {
        bits[wa] |= from_a & to_b;
        return;
      }
      bits[wa] |= from_a;
      for (std::size_t w = wa + 1; w < wb; ++w) bits[w] = ~std::uint64_t{0};
      bits[wb] |= to_b;
    }
    const DotContext* context_;
    std::vector<Map> maps_;  // by replica
  };

  /// The largest counter seen for `replica` (0 if none).
  std::uint64_t max(const Id& replica) const {
    auto it = cloud_after(replica, UINT64_MAX);
    if (it != cloud_.begin() && std::prev(it)->replica == replica) return std::prev(it)->last;
    return run_of(replica);
  }
  /// The next dot `replica` makes: one past the largest it has seen. Throws
  /// std::overflow_error when that is UINT64_MAX: a context merged from a peer may claim it
  /// (a range up to 2^64 - 1 is 17 bytes), and wrapping would reuse a dot. Every mutator that
  /// makes a dot (AWSet::add, RWSet::add and remove, MVRegister::write, EWFlag::enable,
  /// DWFlag::disable, ORMap::update) asks for it before it changes anything, so it throws and
  /// leaves its value as it was; the replica's other operations (reads, merges, removes, and
  /// writes by another replica id) go on working.
  dot_type next(const Id& replica) const {
    const std::uint64_t n = max(replica);
    if (n == UINT64_MAX) throw std::overflow_error("calm: a replica ran out of dot counters");
    return {replica, n + 1};
  }
  /// Adds one dot; returns whether it was new.
  bool insert(const dot_type& d) {
    detail::require_ordered(d.replica);
    if (d.counter == 0) throw std::invalid_argument("calm: a dot's counter starts at 1");
    return insert_range(d.replica, d.counter, d.counter);
  }
  /// Adds the dots (replica, first) .. (replica, last); returns whether any was new.
  /// O(log n + the ranges it absorbs), whatever last - first is.
  bool insert_range(const Id& replica, std::uint64_t first, std::uint64_t last) {
    detail::require_ordered(replica);
    if (first == 0 || first > last) throw std::invalid_argument("calm: a dot range is empty");
    if (covers(replica, first, last)) return false;
    if (first - 1 <= run_of(replica)) {
      auto run = find_run(replica);
      if (run == runs_.end()) run = runs_.insert(run_position(replica), {replica, 0});
      run->second = std::max(run->second, last);
      absorb_cloud(run);
      return true;
    }
    // Cloud ranges of this replica that overlap or touch [first, last] are absorbed.
    auto lo = std::partition_point(cloud_.begin(), cloud_.end(), [&](const Range& r) {
      return r.replica < replica || (!(replica < r.replica) && r.last < first - 1);
    });
    auto hi = std::partition_point(lo, cloud_.end(), [&](const Range& r) {
      return !(replica < r.replica) && r.first - 1 <= last;
    });
    if (lo == hi) {
      cloud_.insert(lo, Range{replica, first, last});
    } else {
      lo->first = std::min(first, lo->first);
      lo->last = std::max(last, std::prev(hi)->last);
      cloud_.erase(std::next(lo), hi);
    }
    return true;
  }

  bool merge(const DotContext& other) {
    if (other.runs_.size() <= 2 && other.cloud_.size() <= 8 && runs_.size() + cloud_.size() > 32) {
      // A small delta's context: insert its ranges one by one instead of rebuilding this one.
      bool changed = false;
      other.for_each_range(
          [&](const Range& r) { changed = insert_range(r.replica, r.first, r.last) || changed; });
      return changed;
    }
    if (includes_all(*this, other)) return false;
    // Both sides' ranges in (replica, first) order, coalesced.
    std::vector<Range> mine = ranges();
    std::vector<Range> theirs = other.ranges();
    std::vector<Range> all;
    all.reserve(mine.size() + theirs.size());
    std::merge(mine.begin(), mine.end(), theirs.begin(), theirs.end(), std::back_inserter(all),
               range_less);
    assign(coalesce(std::move(all)));
    return true;
  }

  std::partial_ordering compare(const DotContext& other) const {
    const bool in_other = includes_all(other, *this);
    const bool has_other = includes_all(*this, other);
    if (in_other && has_other) return std::partial_ordering::equivalent;
    if (in_other) return std::partial_ordering::less;
    if (has_other) return std::partial_ordering::greater;
    return std::partial_ordering::unordered;
  }

  bool is_bot() const { return runs_.empty() && cloud_.empty(); }

  /// Calls f(range) for every maximal range of seen dots, in (replica, first) order.
  template <class F>
  void for_each_range(F&& f) const {
    auto c = cloud_.begin();
    for (const auto& [id, n] : runs_) {
      for (; c != cloud_.end() && c->replica < id; ++c) f(*c);
      f(Range{id, 1, n});
      for (; c != cloud_.end() && c->replica == id; ++c) f(*c);
    }
    for (; c != cloud_.end(); ++c) f(*c);
  }
  /// Calls f(dot) for every dot, in order: as many calls as the context claims dots, which its
  /// encoded size does not bound (a run 1..n is two numbers). Prefer for_each_range.
  template <class F>
  void for_each(F&& f) const {
    for_each_range([&](const Range& r) {
      for (std::uint64_t k = r.first;; ++k) {
        f(dot_type{r.replica, k});
        if (k == r.last) break;
      }
    });
  }
  /// The number of dots, saturating at UINT64_MAX.
  std::uint64_t count() const {
    std::uint64_t n = 0;
    for_each_range([&](const Range& r) {
      const std::uint64_t k = r.last - r.first + 1;
      n = k > UINT64_MAX - n ? UINT64_MAX : n + k;
    });
    return n;
  }

  /// One atom per dot: the irreducible parts of a set are its elements, so this is as long as
  /// the context claims dots (see for_each). Protocols split untrusted values with
  /// Dotted::decompose instead, whose size follows the ranges.
  std::vector<DotContext> atomize() const {
    std::vector<DotContext> atoms;
    for_each([&](const dot_type& d) { atoms.push_back(DotContext{d}); });
    return atoms;
  }
  /// The dots of *this that `other` lacks: O(ranges of both), whatever the counters.
  DotContext delta(const DotContext& other) const {
    const std::vector<Range> theirs = other.ranges();
    std::vector<Range> out;
    std::size_t j = 0;
    for_each_range([&](const Range& r) {
      // Their ranges wholly before r play no part in it, nor in any later range of ours.
      while (j < theirs.size() && (theirs[j].replica < r.replica ||
                                   (!(r.replica < theirs[j].replica) && theirs[j].last < r.first)))
        ++j;
      std::uint64_t first = r.first;
      for (; j < theirs.size() && !(r.replica < theirs[j].replica) && theirs[j].first <= r.last;
           ++j) {
        if (theirs[j].first > first) out.push_back(Range{r.replica, first, theirs[j].first - 1});
        // A range of theirs that reaches past r may cover part of our next range too.
        if (theirs[j].last >= r.last) return;
        first = theirs[j].last + 1;
      }
      out.push_back(Range{r.replica, first, r.last});
    });
    DotContext result;
    result.assign(std::move(out));
    return result;
  }

  const std::vector<run_type>& runs() const { return runs_; }
  /// The seen dots past each replica's run, as maximal ranges.
  const std::vector<Range>& cloud() const { return cloud_; }

  friend bool operator==(const DotContext&, const DotContext&) = default;

  friend std::ostream& operator<<(std::ostream& os, const DotContext& c) {
    os << "DotContext{";
    const char* sep = "";
    for (const auto& [id, n] : c.runs_) {
      os << sep << id << ": 1.." << n;
      sep = ", ";
    }
    for (const Range& r : c.cloud_) {
      os << sep << '(' << r.replica << ", " << r.first;
      if (r.last != r.first) os << ".." << r.last;
      os << ')';
      sep = ", ";
    }
    return os << '}';
  }

  template <class Archive>
  void save(Archive& ar) const {
    detail::save_size(ar, runs_.size());
    for (const auto& [id, n] : runs_) {
      detail::save_value(ar, id);
      ar(n);
    }
    detail::save_size(ar, cloud_.size());
    for (const Range& r : cloud_) {
      detail::save_value(ar, r.replica);
      ar(r.first, r.last);
    }
  }
  template <class Archive>
  void load(Archive& ar) {
    std::vector<run_type> runs;
    const std::uint64_t n_runs = detail::load_size(ar);
    runs.reserve(detail::bounded_reserve(n_runs));
    for (std::uint64_t i = 0; i < n_runs; ++i) {
      run_type run{};
      detail::load_value(ar, run.first);
      ar(run.second);
      detail::decode_require(run.second != 0, "calm: a DotContext run is empty");
      detail::decode_require(runs.empty() || runs.back().first < run.first,
                             "calm: DotContext replicas are not strictly increasing");
      runs.push_back(std::move(run));
    }
    runs_ = std::move(runs);
    std::vector<Range> cloud;
    const std::uint64_t n_cloud = detail::load_size(ar);
    cloud.reserve(detail::bounded_reserve(n_cloud));
    for (std::uint64_t i = 0; i < n_cloud; ++i) {
      Range r;
      detail::load_value(ar, r.replica);
      ar(r.first, r.last);
      detail::decode_require(r.first != 0 && r.first <= r.last,
                             "calm: a DotContext range is empty");
      // Normal form: ranges in order, each past its replica's run and the range before it,
      // with a gap (a touching range would have been joined to it).
      const bool after_previous =
          cloud.empty() || cloud.back().replica < r.replica ||
          (!(r.replica < cloud.back().replica) && r.first - 1 > cloud.back().last);
      detail::decode_require(after_previous,
                             "calm: DotContext cloud ranges are not increasing and apart");
      detail::decode_require(r.first - 1 > run_of(r.replica),
                             "calm: a DotContext cloud range belongs in its run");
      cloud.push_back(std::move(r));
    }
    cloud_ = std::move(cloud);
  }

 private:
  static constexpr auto range_less = [](const Range& a, const Range& b) {
    return a.replica < b.replica || (!(b.replica < a.replica) && a.first < b.first);
  };
  std::uint64_t run_of(const Id& replica) const {
    auto it = find_run(replica);
    return it == runs_.end() ? 0 : it->second;
  }
  auto run_position(const Id& replica) {
    return std::lower_bound(runs_.begin(), runs_.end(), replica,
                            [](const run_type& r, const Id& id) { return r.first < id; });
  }
  auto find_run(const Id& replica) const {
    auto it = std::lower_bound(runs_.begin(), runs_.end(), replica,
                               [](const run_type& r, const Id& id) { return r.first < id; });
    return it != runs_.end() && it->first == replica ? it : runs_.end();
  }
  auto find_run(const Id& replica) {
    auto it = run_position(replica);
    return it != runs_.end() && it->first == replica ? it : runs_.end();
  }
  /// The first cloud range after (replica, counter) in (replica, first) order.
  auto cloud_after(const Id& replica, std::uint64_t counter) const {
    return std::upper_bound(cloud_.begin(), cloud_.end(), Range{replica, counter, counter},
                            range_less);
  }
  /// Whether every dot (replica, first..last) was seen. In normal form a single run or range
  /// holds them all, or they were not all seen.
  bool covers(const Id& replica, std::uint64_t first, std::uint64_t last) const {
    if (last <= run_of(replica)) return true;
    auto it = cloud_after(replica, first);
    return it != cloud_.begin() && std::prev(it)->replica == replica && std::prev(it)->last >= last;
  }
  /// Folds the cloud ranges of the run's replica that the run now covers or reaches.
  void absorb_cloud(typename std::vector<run_type>::iterator run) {
    auto first =
        std::lower_bound(cloud_.begin(), cloud_.end(), Range{run->first, 0, 0}, range_less);
    auto last = first;
    for (; last != cloud_.end() && last->replica == run->first && last->first - 1 <= run->second;
         ++last) {
      run->second = std::max(run->second, last->last);
    }
    cloud_.erase(first, last);
  }
  std::vector<Range> ranges() const {
    std::vector<Range> out;
    out.reserve(runs_.size() + cloud_.size());
    for_each_range([&](const Range& r) { out.push_back(r); });
    return out;
  }
  /// Joins overlapping and touching ranges of ranges sorted by (replica, first).
  static std::vector<Range> coalesce(std::vector<Range> sorted) {
    std::vector<Range> out;
    out.reserve(sorted.size());
    for (const Range& r : sorted) {
      if (!out.empty() && !(out.back().replica < r.replica) && r.first - 1 <= out.back().last) {
        out.back().last = std::max(out.back().last, r.last);
      } else {
        out.push_back(r);
      }
    }
    return out;
  }
  /// Takes maximal ranges in (replica, first) order: a range from 1 is a run.
  void assign(std::vector<Range> maximal) {
    runs_.clear();
    cloud_.clear();
    for (Range& r : maximal) {
      if (r.first == 1) {
        runs_.emplace_back(std::move(r.replica), r.last);
      } else {
        cloud_.push_back(std::move(r));
      }
    }
  }

  static bool includes_all(const DotContext& big, const DotContext& small) {
    for (const auto& [id, n] : small.runs_) {
      if (big.run_of(id) < n) return false;
    }
    for (const Range& r : small.cloud_) {
      if (!big.covers(r.replica, r.first, r.last)) return false;
    }
    return true;
  }
  std::vector<run_type> runs_;
  std::vector<Range> cloud_;
};

}  // namespace calm::lattices
