#pragma once
/// DotContext<Id>: the set of dots a replica has seen, kept compact.
///
/// Representation: a version vector (replica -> n, meaning dots 1..n were all seen) plus a dot
/// cloud (the seen dots past a gap). After every change the context is compacted: a cloud dot
/// that extends its replica's run is folded into the vector, and no cloud dot lies inside it.
/// That normal form makes equality, the order and the encoding independent of history.
///
/// Order:  a <= b  iff every dot of a is in b (set inclusion).
/// Bottom: the empty context.   Top: none.
/// Merge:  O(|a| + |b|) entries; O(k log n) for a context of k cloud dots and few replicas.
///
/// Rationale: a DotContext is a value. Copying a CRDT copies its context, so a copy's new
/// dots never leak into the original (delta-enabled-crdts shares the context by reference).
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

  DotContext() = default;
  DotContext(std::initializer_list<dot_type> dots) {
    for (const dot_type& d : dots) insert(d);
  }

  /// Whether the dot was seen.
  bool contains(const dot_type& d) const {
    if (run_of(d.replica) >= d.counter) return true;
    return !cloud_.empty() && std::binary_search(cloud_.begin(), cloud_.end(), d);
  }
  /// The largest counter seen for `replica` (0 if none).
  std::uint64_t max(const Id& replica) const {
    std::uint64_t n = run_of(replica);
    auto it = std::upper_bound(cloud_.begin(), cloud_.end(), dot_type{replica, UINT64_MAX});
    if (it != cloud_.begin() && std::prev(it)->replica == replica) n = std::prev(it)->counter;
    return n;
  }
  /// The next dot `replica` makes: one past the largest it has seen.
  dot_type next(const Id& replica) const {
    const std::uint64_t n = max(replica);
    if (n == UINT64_MAX) throw std::overflow_error("calm: a replica ran out of dot counters");
    return {replica, n + 1};
  }
  /// Adds one dot; returns whether it was new.
  bool insert(const dot_type& d) {
    detail::require_ordered(d.replica);
    if (d.counter == 0) throw std::invalid_argument("calm: a dot's counter starts at 1");
    if (contains(d)) return false;
    auto run = find_run(d.replica);
    if ((run == runs_.end() ? 0 : run->second) + 1 == d.counter) {
      if (run == runs_.end()) run = runs_.insert(run_position(d.replica), {d.replica, 0});
      run->second = d.counter;
      absorb_cloud(d.replica);
    } else {
      cloud_.insert(std::lower_bound(cloud_.begin(), cloud_.end(), d), d);
    }
    return true;
  }

  bool merge(const DotContext& other) {
    if (other.runs_.size() <= 2 && other.cloud_.size() <= 8 && runs_.size() + cloud_.size() > 32) {
      // A small delta's context: insert its dots one by one instead of rebuilding this one.
      bool changed = false;
      for (const auto& [id, n] : other.runs_) changed = raise_run(id, n) || changed;
      for (const dot_type& d : other.cloud_) changed = insert(d) || changed;
      return changed;
    }
    if (includes_all(*this, other)) return false;
    std::vector<run_type> runs;
    runs.reserve(runs_.size() + other.runs_.size());
    auto i = runs_.begin();
    auto j = other.runs_.begin();
    while (i != runs_.end() || j != other.runs_.end()) {
      if (j == other.runs_.end() || (i != runs_.end() && i->first < j->first)) {
        runs.push_back(*i++);
      } else if (i == runs_.end() || j->first < i->first) {
        runs.push_back(*j++);
      } else {
        runs.emplace_back(i->first, std::max(i->second, j->second));
        ++i;
        ++j;
      }
    }
    runs_ = std::move(runs);
    if (!other.cloud_.empty()) {
      std::vector<dot_type> cloud;
      cloud.reserve(cloud_.size() + other.cloud_.size());
      std::set_union(cloud_.begin(), cloud_.end(), other.cloud_.begin(), other.cloud_.end(),
                     std::back_inserter(cloud));
      cloud_ = std::move(cloud);
    }
    compact();
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

  /// Calls f(dot) for every dot, in order.
  template <class F>
  void for_each(F&& f) const {
    auto c = cloud_.begin();
    for (const auto& [id, n] : runs_) {
      for (; c != cloud_.end() && c->replica < id; ++c) f(*c);
      for (std::uint64_t k = 1; k <= n; ++k) f(dot_type{id, k});
      for (; c != cloud_.end() && c->replica == id; ++c) f(*c);
    }
    for (; c != cloud_.end(); ++c) f(*c);
  }
  /// The number of dots.
  std::uint64_t count() const {
    std::uint64_t n = cloud_.size();
    for (const auto& run : runs_) n += run.second;
    return n;
  }

  /// One atom per dot.
  std::vector<DotContext> atomize() const {
    std::vector<DotContext> atoms;
    for_each([&](const dot_type& d) { atoms.push_back(DotContext{d}); });
    return atoms;
  }
  /// The dots of *this that `other` lacks.
  DotContext delta(const DotContext& other) const {
    DotContext out;
    for_each([&](const dot_type& d) {
      if (!other.contains(d)) out.insert(d);
    });
    return out;
  }

  const std::vector<run_type>& runs() const { return runs_; }
  const std::vector<dot_type>& cloud() const { return cloud_; }

  friend bool operator==(const DotContext&, const DotContext&) = default;

  friend std::ostream& operator<<(std::ostream& os, const DotContext& c) {
    os << "DotContext{";
    const char* sep = "";
    for (const auto& [id, n] : c.runs_) {
      os << sep << id << ": 1.." << n;
      sep = ", ";
    }
    for (const dot_type& d : c.cloud_) {
      os << sep << d;
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
    for (const dot_type& d : cloud_) ar(d);
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
    std::vector<dot_type> cloud;
    const std::uint64_t n_cloud = detail::load_size(ar);
    cloud.reserve(detail::bounded_reserve(n_cloud));
    for (std::uint64_t i = 0; i < n_cloud; ++i) {
      dot_type d;
      ar(d);
      detail::decode_require(cloud.empty() || cloud.back() < d,
                             "calm: DotContext cloud dots are not strictly increasing");
      // Normal form: a cloud dot lies past its replica's run, with a gap.
      detail::decode_require(d.counter > run_of(d.replica) + 1,
                             "calm: a DotContext cloud dot belongs in its run");
      cloud.push_back(std::move(d));
    }
    cloud_ = std::move(cloud);
  }

 private:
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
  /// Raises replica's run to at least n; returns whether it grew.
  bool raise_run(const Id& replica, std::uint64_t n) {
    auto run = find_run(replica);
    if (run != runs_.end() && run->second >= n) return false;
    if (run == runs_.end()) run = runs_.insert(run_position(replica), {replica, 0});
    run->second = n;
    absorb_cloud(replica);
    return true;
  }
  /// Folds replica's cloud dots that its run now covers or reaches.
  void absorb_cloud(const Id& replica) {
    auto run = find_run(replica);
    auto first = std::lower_bound(cloud_.begin(), cloud_.end(), dot_type{replica, 0});
    auto last = first;
    for (; last != cloud_.end() && last->replica == replica && last->counter <= run->second + 1;
         ++last) {
      run->second = std::max(run->second, last->counter);
    }
    cloud_.erase(first, last);
  }
  /// Restores the normal form after the runs and the cloud were merged wholesale.
  void compact() {
    std::vector<dot_type> cloud;
    cloud.reserve(cloud_.size());
    auto run = runs_.begin();
    for (const dot_type& d : cloud_) {
      while (run != runs_.end() && run->first < d.replica) ++run;
      if (run != runs_.end() && run->first == d.replica) {
        if (d.counter <= run->second) continue;
        if (d.counter == run->second + 1) {
          run->second = d.counter;
          continue;
        }
      } else if (d.counter == 1) {
        run = runs_.insert(run, {d.replica, 1});
        continue;
      }
      cloud.push_back(d);
    }
    cloud_ = std::move(cloud);
  }

  static bool includes_all(const DotContext& big, const DotContext& small) {
    for (const auto& [id, n] : small.runs_) {
      if (big.run_of(id) < n) return false;
    }
    for (const dot_type& d : small.cloud_) {
      if (!big.contains(d)) return false;
    }
    return true;
  }
  std::vector<run_type> runs_;
  std::vector<dot_type> cloud_;
};

}  // namespace calm::lattices
