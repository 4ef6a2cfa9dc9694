/// List<uint64_t>: merging two states that hold the same ids split differently, beside
/// merging two states split alike, for n = 1k, 10k and 100k elements.
///
/// `whole` is one replica's run of n elements typed at once: one piece. `pieces` is the same
/// run with every other element erased: n pieces (a run does not continue across a change of
/// deleted). Merging `pieces` into `whole` gives the rebuild's normalize_items one item and n
/// items over the same ids; merging `pieces` into a copy of itself gives it n and n items that
/// match one to one. Both must cost O(n log n) (docs/benchmarks.md, "Sequences (issue 18)").
///
/// Then a turn of n pushes at the front of a list of strings (LPUSH), each push's delta joined
/// into the turn's (what a replica persists once per turn): from a const delta (a copy of its
/// pieces, the baseline) and from an rvalue (its pieces move).
///
/// Then a Redis list's four ends, one element at a time on a list of n short strings: pushes
/// at the front (LPUSH) and at the back (RPUSH), then pops from the front (LPOP) and the back
/// (RPOP) until it is empty, each beside a std::deque<std::string> doing the same (the floor: no
/// ids, no tombstones, no deltas).
#include "lattices/list.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace {

using calm::lattices::List;

List<std::uint64_t> whole_run(std::size_t n) {
  std::vector<std::uint64_t> values(n);
  std::iota(values.begin(), values.end(), std::uint64_t{1});
  List<std::uint64_t> list;
  list.insert(1, 0, values.begin(), values.end());
  return list;
}

List<std::uint64_t> every_other_erased(std::size_t n) {
  List<std::uint64_t> list = whole_run(n);
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < n; i += 2) positions.push_back(i);
  list.erase_each(positions);
  return list;
}

void merge_into(benchmark::State& state, const List<std::uint64_t>& into,
                const List<std::uint64_t>& other) {
  for (auto _ : state) {
    state.PauseTiming();
    List<std::uint64_t> replica = into;
    state.ResumeTiming();
    replica.merge(other);
    benchmark::DoNotOptimize(replica);
  }
  state.SetComplexityN(state.range(0));
  state.counters["pieces"] = static_cast<double>(other.piece_count());
}

void list_merge_split_differently(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  merge_into(state, whole_run(n), every_other_erased(n));
}
void list_merge_split_alike(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const List<std::uint64_t> pieces = every_other_erased(n);
  merge_into(state, pieces, pieces);
}
BENCHMARK(list_merge_split_differently)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();
BENCHMARK(list_merge_split_alike)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();

std::vector<List<std::string>> front_push_deltas(std::size_t n) {
  List<std::string> list;
  list.insert(1, 0, std::string("start"));
  std::vector<List<std::string>> deltas;
  deltas.reserve(n);
  for (std::size_t i = 0; i < n; ++i) deltas.push_back(list.insert(1, 0, std::string("xxx")));
  return deltas;
}

void join_turn(benchmark::State& state, bool by_rvalue) {
  const std::vector<List<std::string>> deltas =
      front_push_deltas(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<List<std::string>> batch = deltas;
    state.ResumeTiming();
    List<std::string> turn;
    for (List<std::string>& d : batch) {
      if (by_rvalue) {
        calm::lattices::merge(turn, std::move(d));
      } else {
        calm::lattices::merge(turn, std::as_const(d));
      }
    }
    benchmark::DoNotOptimize(turn);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void list_turn_of_front_pushes_joined_by_copy(benchmark::State& state) { join_turn(state, false); }
void list_turn_of_front_pushes_joined_by_rvalue(benchmark::State& state) { join_turn(state, true); }
BENCHMARK(list_turn_of_front_pushes_joined_by_copy)->Arg(350);
BENCHMARK(list_turn_of_front_pushes_joined_by_rvalue)->Arg(350);

enum class End { front, back };

List<std::string> pushed(std::size_t n, End end) {
  List<std::string> list;
  for (std::size_t i = 0; i < n; ++i) {
    benchmark::DoNotOptimize(list.insert(1, end == End::front ? 0 : list.size(), "xxx"));
  }
  return list;
}

void list_pushes(benchmark::State& state, End end) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    List<std::string> list = pushed(n, end);
    benchmark::DoNotOptimize(list);
    state.counters["pieces"] = static_cast<double>(list.piece_count());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
// Pops from `end` a list built by pushes at `built`.
void list_pops(benchmark::State& state, End built, End end) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    List<std::string> list = pushed(n, built);
    state.ResumeTiming();
    while (!list.empty()) {
      benchmark::DoNotOptimize(list.erase(end == End::front ? 0 : list.size() - 1, 1));
    }
    state.counters["pieces"] = static_cast<double>(list.piece_count());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void deque_pushes(benchmark::State& state, End end) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    std::deque<std::string> list;
    for (std::size_t i = 0; i < n; ++i) {
      if (end == End::front) {
        list.emplace_front("xxx");
      } else {
        list.emplace_back("xxx");
      }
    }
    benchmark::DoNotOptimize(list);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void deque_pops(benchmark::State& state, End end) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::deque<std::string> list(n, "xxx");
    state.ResumeTiming();
    while (!list.empty()) {
      if (end == End::front) {
        list.pop_front();
      } else {
        list.pop_back();
      }
    }
    benchmark::DoNotOptimize(list);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void list_lpush(benchmark::State& state) { list_pushes(state, End::front); }
void list_rpush(benchmark::State& state) { list_pushes(state, End::back); }
void list_lpop_after_lpush(benchmark::State& state) { list_pops(state, End::front, End::front); }
void list_rpop_after_rpush(benchmark::State& state) { list_pops(state, End::back, End::back); }
void list_lpop_after_rpush(benchmark::State& state) { list_pops(state, End::back, End::front); }
void deque_lpush(benchmark::State& state) { deque_pushes(state, End::front); }
void deque_rpush(benchmark::State& state) { deque_pushes(state, End::back); }
void deque_lpop(benchmark::State& state) { deque_pops(state, End::front); }
void deque_rpop(benchmark::State& state) { deque_pops(state, End::back); }
BENCHMARK(list_lpush)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(deque_lpush)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(list_rpush)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(deque_rpush)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(list_lpop_after_lpush)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(deque_lpop)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(list_rpop_after_rpush)->Arg(200000)->Unit(benchmark::kMillisecond);
BENCHMARK(deque_rpop)->Arg(200000)->Unit(benchmark::kMillisecond);
// A queue (RPUSH, then LPOP): each pop splits the one run that the pushes made.
BENCHMARK(list_lpop_after_rpush)->Arg(2000)->Arg(20000)->Unit(benchmark::kMillisecond);

}  // namespace
