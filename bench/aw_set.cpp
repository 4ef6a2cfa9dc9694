/// AWSet<uint64_t>: full joins of two 10k-element replicas, one-add deltas into a 10k-element
/// replica, the add that makes such a delta, and heap bytes per element, each against the
/// plain code a user would write instead.
///
/// Goals (docs/benchmarks.md, "CRDTs (issue 3)"):
///   - join of two 10k-element replicas <= 2x a hand-written join of flat (dot, element)
///     entries sorted by dot plus a version vector;
///   - merging a one-add delta into a 10k-element replica <= 1 us, and so is the add that
///     makes it.
///
/// The replicas of a join (make_pair_of_replicas) are the state two replicas reach after this
/// history, with n = 10,000:
///   1. A adds n/4 elements and B adds n/4 others; they exchange state. Both now hold the n/2
///      shared elements, and their contexts are the version vector {A: n/4, B: n/4}.
///   2. Concurrently, A removes n/20 of the shared elements and B removes n/20 others; each
///      adds n/2 + n/20 new elements, n/50 of which both add (concurrent adds of the same
///      element, which the join keeps with two dots).
/// So each side holds exactly n elements, half of them shared; the join removes 2 * n/20
/// shared elements (each removed on one side and still alive, with a dot the remover saw, on
/// the other), and holds 3n/2 - n/50 = 14,800 elements, 200 of them with two dots. Contexts
/// stay version vectors (no dot cloud), as with causal delivery.
///
/// Building a replica by n calls to add costs O(n^2) with a merge per add that is linear in
/// the set, so the replicas are built from the very deltas add returns (made at a scratch
/// replica whose store stays empty: the delta of adding a new element does not depend on the
/// rest of the set), joined pairwise in a tree; removals are the delta of clear() on a
/// replica holding exactly the removed elements with their dots, i.e. the removes' deltas
/// joined. The benchmark checks that each pair has the expected sizes and version vectors,
/// and that the flat baseline and calm agree on the joined elements.
///
/// Fairness: join(a, b) makes a new value from two const replicas, and so does the baseline
/// (into a reserved vector). "copy" rows show how much of calm's join is its copy of `a`.
/// The replicas are used as the history leaves them (each has merged a remote removal, which
/// may leave auxiliary structures behind); "calm_decoded" rows join the same replicas after a
/// to_bytes / from_bytes round trip, the state as received whole from another replica.
/// Join benchmarks cycle through 6 pairs (about 64k elements per side), as in set_union.cpp,
/// so that the branch predictor cannot learn a join by heart.
#include "lattices/aw_set.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "alloc_count.hpp"
#include "inputs.hpp"
#include "lattices/core.hpp"
#include "lattices/serialize.hpp"

namespace {

using calm::bench::Cycle;
using calm::bench::distinct_keys;
namespace lat = calm::lattices;
using Key = std::uint64_t;
using Id = std::uint64_t;
using Set = lat::AWSet<Key, Id>;

constexpr Id replica_a = 1, replica_b = 2;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bench/aw_set.cpp: setup check failed: %s\n", what);
    std::abort();
  }
}

// ---- building replicas from add deltas ---------------------------------------------------

/// Makes the deltas that replica `id` returns from add, one per key, in order. `scratch`
/// carries the replica's context from call to call; its store is emptied after each add.
std::vector<Set> add_deltas(Set& scratch, Id id, const std::vector<Key>& keys) {
  std::vector<Set> deltas;
  deltas.reserve(keys.size());
  for (Key x : keys) {
    deltas.push_back(scratch.add(id, x));
    scratch.remove(x);
  }
  return deltas;
}

/// The join of all `parts`, joined pairwise in a tree: O(n log n) rather than O(n^2).
Set join_all(std::vector<Set> parts) {
  if (parts.empty()) return Set{};
  while (parts.size() > 1) {
    std::vector<Set> next;
    next.reserve(parts.size() / 2 + 1);
    for (std::size_t i = 0; i + 1 < parts.size(); i += 2) {
      next.push_back(lat::join(std::move(parts[i]), parts[i + 1]));
    }
    if (parts.size() % 2 == 1) next.push_back(std::move(parts.back()));
    parts = std::move(next);
  }
  return std::move(parts.front());
}

template <class T>
std::vector<T> slice(const std::vector<T>& v, std::size_t first, std::size_t count) {
  return {v.begin() + static_cast<std::ptrdiff_t>(first),
          v.begin() + static_cast<std::ptrdiff_t>(first + count)};
}

/// A replica of `n` elements added by `id` (dots (id, 1) .. (id, n)), version vector {id: n}.
Set single_writer_set(Id id, const std::vector<Key>& keys) {
  Set scratch;
  return join_all(add_deltas(scratch, id, keys));
}

struct ReplicaPair {
  Set a, b;
};

/// The two replicas of the history in the header comment.
ReplicaPair make_pair_of_replicas(std::size_t n, std::uint64_t seed) {
  const std::size_t quarter = n / 4, removed = n / 20, both_add = n / 50;
  const std::size_t own = n / 2 + removed;
  const std::vector<Key> keys = distinct_keys(2 * quarter + 2 * own - both_add, seed);
  const std::vector<Key> shared_a = slice(keys, 0, quarter);
  const std::vector<Key> shared_b = slice(keys, quarter, quarter);
  const std::vector<Key> own_a = slice(keys, 2 * quarter, own);
  // B's own adds: the first `both_add` of A's, then fresh keys.
  std::vector<Key> own_b = slice(keys, 2 * quarter, both_add);
  const std::vector<Key> fresh_b = slice(keys, 2 * quarter + own, own - both_add);
  own_b.insert(own_b.end(), fresh_b.begin(), fresh_b.end());

  Set scratch_a, scratch_b;
  const std::vector<Set> shared_deltas_a = add_deltas(scratch_a, replica_a, shared_a);
  const std::vector<Set> shared_deltas_b = add_deltas(scratch_b, replica_b, shared_b);
  std::vector<Set> shared_deltas = shared_deltas_a;
  shared_deltas.insert(shared_deltas.end(), shared_deltas_b.begin(), shared_deltas_b.end());
  const Set synced = join_all(shared_deltas);

  // A removes every 10th shared element from the 0th, B every 10th from the 5th.
  auto removal = [&](std::size_t first) {
    std::vector<Set> seen;
    for (std::size_t i = first; i < shared_deltas.size(); i += 10) seen.push_back(shared_deltas[i]);
    Set holder = join_all(std::move(seen));
    return holder.clear();
  };
  ReplicaPair out{synced, synced};
  out.a.merge(join_all(add_deltas(scratch_a, replica_a, own_a)));
  out.a.merge(removal(0));
  out.b.merge(join_all(add_deltas(scratch_b, replica_b, own_b)));
  out.b.merge(removal(5));

  require(out.a.size() == n && out.b.size() == n, "each replica holds n elements");
  require(out.a.context().cloud().empty() && out.b.context().cloud().empty(),
          "contexts are version vectors");
  require(out.a.context().runs().size() == 2, "A's context names both replicas");
  require(lat::join(out.a, out.b).size() == 3 * n / 2 - both_add, "the join's size");
  return out;
}

// ---- the flat baseline -------------------------------------------------------------------

/// What a user would write without calm: (dot, element) entries sorted by dot, and a version
/// vector of (replica, counter) sorted by replica. A dot is (replica, counter).
struct FlatDot {
  Id replica;
  std::uint64_t counter;
};
bool operator<(const FlatDot& x, const FlatDot& y) {
  return x.replica < y.replica || (x.replica == y.replica && x.counter < y.counter);
}
struct FlatEntry {
  FlatDot dot;
  Key element;
};
using VersionVector = std::vector<std::pair<Id, std::uint64_t>>;

struct FlatAWSet {
  std::vector<FlatEntry> entries;
  VersionVector seen;
};

bool covers(const VersionVector& vv, const FlatDot& d) {
  auto it =
      std::lower_bound(vv.begin(), vv.end(), d.replica,
                       [](const std::pair<Id, std::uint64_t>& e, Id id) { return e.first < id; });
  return it != vv.end() && it->first == d.replica && d.counter <= it->second;
}

/// The join: an entry survives if both sides have it, or if one has it and the other never
/// saw its dot; the version vectors merge by maximum.
void flat_join(const FlatAWSet& a, const FlatAWSet& b, FlatAWSet& out) {
  out.entries.clear();
  out.entries.reserve(a.entries.size() + b.entries.size());
  auto i = a.entries.begin(), j = b.entries.begin();
  while (i != a.entries.end() && j != b.entries.end()) {
    if (i->dot < j->dot) {
      if (!covers(b.seen, i->dot)) out.entries.push_back(*i);
      ++i;
    } else if (j->dot < i->dot) {
      if (!covers(a.seen, j->dot)) out.entries.push_back(*j);
      ++j;
    } else {
      out.entries.push_back(*i);
      ++i;
      ++j;
    }
  }
  for (; i != a.entries.end(); ++i) {
    if (!covers(b.seen, i->dot)) out.entries.push_back(*i);
  }
  for (; j != b.entries.end(); ++j) {
    if (!covers(a.seen, j->dot)) out.entries.push_back(*j);
  }
  out.seen.clear();
  out.seen.reserve(a.seen.size() + b.seen.size());
  auto x = a.seen.begin(), y = b.seen.begin();
  while (x != a.seen.end() && y != b.seen.end()) {
    if (x->first < y->first) {
      out.seen.push_back(*x++);
    } else if (y->first < x->first) {
      out.seen.push_back(*y++);
    } else {
      out.seen.emplace_back(x->first, std::max(x->second, y->second));
      ++x;
      ++y;
    }
  }
  out.seen.insert(out.seen.end(), x, a.seen.end());
  out.seen.insert(out.seen.end(), y, b.seen.end());
}

/// The same state as `s`, flat.
FlatAWSet to_flat(const Set& s) {
  FlatAWSet out;
  const auto state = s.dotted();  // a reference or a value, depending on the representation
  for (const auto& [element, tags] : state.store()) {
    for (const lat::Dot<Id>& d : tags) out.entries.push_back({{d.replica, d.counter}, element});
  }
  std::sort(out.entries.begin(), out.entries.end(),
            [](const FlatEntry& x, const FlatEntry& y) { return x.dot < y.dot; });
  require(s.context().cloud().empty(), "the baseline needs a version vector");
  out.seen.assign(s.context().runs().begin(), s.context().runs().end());
  return out;
}

std::vector<Key> flat_elements(const FlatAWSet& s) {
  std::vector<Key> out;
  for (const FlatEntry& e : s.entries) out.push_back(e.element);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// ---- 1. join two 10k-element replicas ----------------------------------------------------

struct JoinInputs {
  std::vector<Set> a, b;
  std::vector<Set> decoded_a, decoded_b;
  std::vector<FlatAWSet> flat_a, flat_b;
  explicit JoinInputs(std::size_t n) {
    const std::size_t count = std::max<std::size_t>(1, 65536 / n);
    for (std::size_t p = 0; p < count; ++p) {
      ReplicaPair pair = make_pair_of_replicas(n, 31 + p);
      flat_a.push_back(to_flat(pair.a));
      flat_b.push_back(to_flat(pair.b));
      FlatAWSet joined;
      flat_join(flat_a.back(), flat_b.back(), joined);
      const Set calm_joined = lat::join(pair.a, pair.b);
      require(flat_elements(joined) == calm_joined.elements(), "flat and calm joins agree");
      require(joined.seen == calm_joined.context().runs(), "flat and calm contexts agree");
      decoded_a.push_back(lat::from_bytes<Set>(lat::to_bytes(pair.a)));
      decoded_b.push_back(lat::from_bytes<Set>(lat::to_bytes(pair.b)));
      require(decoded_a.back() == pair.a && decoded_b.back() == pair.b, "round trips");
      a.push_back(std::move(pair.a));
      b.push_back(std::move(pair.b));
    }
  }
  std::size_t count() const { return a.size(); }
};

const JoinInputs& join_inputs(std::size_t n) {
  static const JoinInputs inputs(n);  // every join benchmark runs at one size
  require(inputs.a.front().size() == n, "one join size");
  return inputs;
}

template <bool decoded>
void aw_join_calm(benchmark::State& state) {
  const JoinInputs& in = join_inputs(static_cast<std::size_t>(state.range(0)));
  const std::vector<Set>& as = decoded ? in.decoded_a : in.a;
  const std::vector<Set>& bs = decoded ? in.decoded_b : in.b;
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    Set c = lat::join(as[p], bs[p]);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

void aw_join_flat(benchmark::State& state) {
  const JoinInputs& in = join_inputs(static_cast<std::size_t>(state.range(0)));
  Cycle cycle(in.count());
  for (auto _ : state) {
    const std::size_t p = cycle.next();
    FlatAWSet c;
    flat_join(in.flat_a[p], in.flat_b[p], c);
    benchmark::DoNotOptimize(c.entries.data());
    benchmark::DoNotOptimize(c.seen.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * 2 * state.range(0));
}

/// For reference: the copy of `a` that join(a, b) starts from.
template <bool decoded>
void aw_copy_calm(benchmark::State& state) {
  const JoinInputs& in = join_inputs(static_cast<std::size_t>(state.range(0)));
  const std::vector<Set>& as = decoded ? in.decoded_a : in.a;
  Cycle cycle(in.count());
  for (auto _ : state) {
    Set c = as[cycle.next()];
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void aw_copy_flat(benchmark::State& state) {
  const JoinInputs& in = join_inputs(static_cast<std::size_t>(state.range(0)));
  Cycle cycle(in.count());
  for (auto _ : state) {
    FlatAWSet c = in.flat_a[cycle.next()];
    benchmark::DoNotOptimize(c.entries.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

#define CALM_AW_JOIN(...) __VA_ARGS__->Arg(10000)->Unit(benchmark::kMicrosecond)
CALM_AW_JOIN(BENCHMARK_TEMPLATE(aw_join_calm, false)->Name("AWSet_join/calm"));
CALM_AW_JOIN(BENCHMARK_TEMPLATE(aw_join_calm, true)->Name("AWSet_join/calm_decoded"));
CALM_AW_JOIN(BENCHMARK(aw_join_flat)->Name("AWSet_join/flat_dot_entries"));
CALM_AW_JOIN(BENCHMARK_TEMPLATE(aw_copy_calm, false)->Name("AWSet_copy/calm"));
CALM_AW_JOIN(BENCHMARK_TEMPLATE(aw_copy_calm, true)->Name("AWSet_copy/calm_decoded"));
CALM_AW_JOIN(BENCHMARK(aw_copy_flat)->Name("AWSet_copy/flat_dot_entries"));

// ---- 2. one-add deltas into a 10k-element replica, and the add that makes them ----------

constexpr std::size_t target_n = 10000;
constexpr std::size_t pool_n = 1024;  // deltas merged between two (untimed) resets

/// A 10k-element replica T (5k elements added by A, 5k by B, exchanged), and `pool_n` deltas
/// of B adding new elements after that, in B's order, so that T's context stays a version
/// vector as they arrive. `removed_target` is T after it merged one remove delta from B (one
/// element fewer): a replica that has applied a remote remove, which may carry auxiliary
/// structures that the plain T does not.
struct DeltaInputs {
  Set target, removed_target;
  std::vector<Set> deltas;
  std::vector<Key> base_keys, new_keys;
  DeltaInputs() {
    const std::vector<Key> keys = distinct_keys(target_n + pool_n, 47);
    base_keys = slice(keys, 0, target_n);
    new_keys = slice(keys, target_n, pool_n);
    Set scratch_a, scratch_b;
    std::vector<Set> parts = add_deltas(scratch_a, replica_a, slice(keys, 0, target_n / 2));
    const std::vector<Set> from_b =
        add_deltas(scratch_b, replica_b, slice(keys, target_n / 2, target_n / 2));
    parts.insert(parts.end(), from_b.begin(), from_b.end());
    target = join_all(std::move(parts));
    deltas = add_deltas(scratch_b, replica_b, new_keys);
    require(target.size() == target_n, "the target holds 10k elements");
    Set at_b = target;
    removed_target = target;
    removed_target.merge(at_b.remove(base_keys.back()));
    require(removed_target.size() == target_n - 1, "the remote remove applies");
  }
};

const DeltaInputs& delta_inputs() {
  static const DeltaInputs inputs;
  return inputs;
}

/// Runs `step(value, i)` once per iteration for i = 0, 1, ..., pool_n - 1, then resets
/// `value` to `initial` outside the timer and starts again.
template <class Value, class Step>
void run_pool(benchmark::State& state, const Value& initial, Step step) {
  Value value = initial;
  std::size_t next = 0;
  for (auto _ : state) {
    if (next == pool_n) {
      state.PauseTiming();
      value = initial;
      next = 0;
      state.ResumeTiming();
    }
    step(value, next++);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(value);
  state.SetItemsProcessed(state.iterations());
}

template <bool after_remove>
void aw_delta_merge_calm(benchmark::State& state) {
  const DeltaInputs& in = delta_inputs();
  run_pool(state, after_remove ? in.removed_target : in.target,
           [&](Set& s, std::size_t i) { benchmark::DoNotOptimize(s.merge(in.deltas[i])); });
}

template <bool after_remove>
void aw_add_calm(benchmark::State& state) {
  const DeltaInputs& in = delta_inputs();
  run_pool(state, after_remove ? in.removed_target : in.target, [&](Set& s, std::size_t i) {
    Set delta = s.add(replica_a, in.new_keys[i]);
    benchmark::DoNotOptimize(delta);
  });
}

/// The flat (dot, element) state: a new dot of B goes after B's last entry; B's counter rises.
void aw_delta_flat(benchmark::State& state) {
  const DeltaInputs& in = delta_inputs();
  const FlatAWSet initial = to_flat(in.target);
  const std::uint64_t first_counter = initial.seen.back().second + 1;
  run_pool(state, initial, [&](FlatAWSet& s, std::size_t i) {
    const FlatDot d{replica_b, first_counter + i};
    if (!covers(s.seen, d)) {
      auto pos = std::upper_bound(s.entries.begin(), s.entries.end(), d,
                                  [](const FlatDot& x, const FlatEntry& e) { return x < e.dot; });
      s.entries.insert(pos, FlatEntry{d, in.new_keys[i]});
      for (auto& [id, n] : s.seen) {
        if (id == d.replica) n = std::max(n, d.counter);
      }
    }
  });
}

void aw_delta_std_set(benchmark::State& state) {
  const DeltaInputs& in = delta_inputs();
  const std::set<Key> initial(in.base_keys.begin(), in.base_keys.end());
  run_pool(state, initial, [&](std::set<Key>& s, std::size_t i) {
    benchmark::DoNotOptimize(s.insert(in.new_keys[i]));
  });
}

void aw_delta_sorted_vector(benchmark::State& state) {
  const DeltaInputs& in = delta_inputs();
  std::vector<Key> initial = in.base_keys;
  std::sort(initial.begin(), initial.end());
  run_pool(state, initial, [&](std::vector<Key>& s, std::size_t i) {
    const Key x = in.new_keys[i];
    auto pos = std::lower_bound(s.begin(), s.end(), x);
    if (pos == s.end() || *pos != x) s.insert(pos, x);
  });
}

BENCHMARK_TEMPLATE(aw_delta_merge_calm, false)->Name("AWSet_add_delta/merge_calm");
BENCHMARK_TEMPLATE(aw_delta_merge_calm, true)->Name("AWSet_add_delta/merge_calm_after_remove");
BENCHMARK_TEMPLATE(aw_add_calm, false)->Name("AWSet_add_delta/add_calm");
BENCHMARK_TEMPLATE(aw_add_calm, true)->Name("AWSet_add_delta/add_calm_after_remove");
BENCHMARK(aw_delta_flat)->Name("AWSet_add_delta/flat_dot_entries");
BENCHMARK(aw_delta_std_set)->Name("AWSet_add_delta/std_set_insert");
BENCHMARK(aw_delta_sorted_vector)->Name("AWSet_add_delta/sorted_vector_insert");

// ---- 5. heap bytes per element -------------------------------------------------------------

/// Builds the value once inside a HeapCount and reports its live heap use per element.
/// One iteration; the time is the build's and is not a figure of interest.
template <class Build>
void report_heap(benchmark::State& state, Build build) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::vector<Key> keys = distinct_keys(n, 53);
  for (auto _ : state) {
    calm::bench::HeapCount count;
    auto value = build(keys);
    benchmark::DoNotOptimize(value);
    const calm::bench::HeapUse use = count.live();
    const double per = 1.0 / static_cast<double>(n);
    state.counters["bytes_per_elem"] = static_cast<double>(use.bytes) * per;
    state.counters["blocks_per_elem"] = static_cast<double>(use.blocks) * per;
    // The heap footprint: each glibc chunk adds an 8-byte header to its usable bytes.
    state.counters["heap_per_elem"] = static_cast<double>(use.bytes + 8 * use.blocks) * per;
  }
}

void aw_memory_calm(benchmark::State& state) {
  report_heap(state, [](const std::vector<Key>& keys) {
    Set s = single_writer_set(replica_a, keys);
    require(s.size() == keys.size(), "every key added");
    return s;
  });
}

/// The same set after it merged one remove delta from another replica.
void aw_memory_calm_after_remove(benchmark::State& state) {
  report_heap(state, [](const std::vector<Key>& keys) {
    Set s = single_writer_set(replica_a, keys);
    Set other = s;
    s.merge(other.remove(keys.front()));
    require(s.size() == keys.size() - 1, "the remote remove applies");
    return s;
  });
}

void aw_memory_std_set(benchmark::State& state) {
  report_heap(state,
              [](const std::vector<Key>& keys) { return std::set<Key>(keys.begin(), keys.end()); });
}

void aw_memory_flat(benchmark::State& state) {
  report_heap(state, [](const std::vector<Key>& keys) {
    FlatAWSet s;
    s.entries.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i)
      s.entries.push_back({{replica_a, i + 1}, keys[i]});
    s.seen.emplace_back(replica_a, keys.size());
    return s;
  });
}

#define CALM_AW_MEMORY(...) \
  __VA_ARGS__->Arg(10000)->Arg(100000)->Iterations(1)->Unit(benchmark::kMillisecond)
CALM_AW_MEMORY(BENCHMARK(aw_memory_calm)->Name("AWSet_memory/calm"));
CALM_AW_MEMORY(BENCHMARK(aw_memory_calm_after_remove)->Name("AWSet_memory/calm_after_remove"));
CALM_AW_MEMORY(BENCHMARK(aw_memory_std_set)->Name("AWSet_memory/std_set"));
CALM_AW_MEMORY(BENCHMARK(aw_memory_flat)->Name("AWSet_memory/flat_dot_entries"));

}  // namespace
