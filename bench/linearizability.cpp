// The linearizability checker on register histories of 10,000 operations, one key, by the
// number of clients calling concurrently. Baseline in the same run: checking the one order the
// history was made in (sort by linearization point, step the model), which is what the search
// would cost if it never guessed wrong.
#include "protocols/check/linearizability.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "lattices/random.hpp"

namespace {

using namespace calm::protocols::check;

struct Register {
  struct Input {
    bool write;
    int value;
  };
  using Output = int;
  using State = int;
  State init() const { return 0; }
  std::optional<State> step(State s, const Input& in, const Output* out) const {
    if (in.write) return in.value;
    if (out && *out != s) return std::nullopt;
    return s;
  }
};
using Op = Operation<Register::Input, int>;

/// Clients that call one after another; each operation takes effect at a random instant of
/// its interval, in the order those instants fall. `at` receives each one's instant.
std::vector<Op> history(int clients, int ops, std::vector<std::uint64_t>& at) {
  calm::SplitMix64 rng(42);
  struct Next {
    std::uint64_t effect;
    std::uint64_t client;
    std::uint64_t called;
    bool operator>(const Next& o) const { return effect > o.effect; }
  };
  std::priority_queue<Next, std::vector<Next>, std::greater<>> next;
  for (int c = 0; c < clients; ++c) {
    const std::uint64_t called = rng.below(10);
    next.push({called + 1 + rng.below(20), static_cast<std::uint64_t>(c), called});
  }
  std::vector<Op> out;
  int value = 0;
  while (static_cast<int>(out.size()) < ops) {
    const Next n = next.top();
    next.pop();
    const std::uint64_t returned = n.effect + 1 + rng.below(20);
    if (rng.chance(0.5)) {
      value = static_cast<int>(rng.below(1000));
      out.push_back({n.client, {true, value}, 0, n.called, returned});
    } else {
      out.push_back({n.client, {false, 0}, value, n.called, returned});
    }
    at.push_back(n.effect);
    const std::uint64_t called = returned + rng.below(5);
    next.push({called + 1 + rng.below(20), n.client, called});
  }
  return out;
}

void BM_check_linearizable(benchmark::State& state) {
  std::vector<std::uint64_t> at;
  const auto ops = history(static_cast<int>(state.range(0)), 10'000, at);
  std::uint64_t steps = 0;
  for (auto _ : state) {
    const CheckResult r = check_linearizable(Register{}, ops);
    if (!r) state.SkipWithError("not linearizable");
    steps = r.steps;
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ops.size()));
}
BENCHMARK(BM_check_linearizable)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);

// The same histories with one read in the middle changed to a value nobody wrote: the search
// must exhaust every order up to it, then find the window (here that read alone). With a
// larger step bound than the default, so that eight clients finish.
void BM_check_not_linearizable(benchmark::State& state) {
  std::vector<std::uint64_t> at;
  auto ops = history(static_cast<int>(state.range(0)), 10'000, at);
  std::size_t middle = ops.size() / 2;
  while (ops[middle].input.write) ++middle;
  ops[middle].output = -1;
  std::uint64_t steps = 0;
  for (auto _ : state) {
    const CheckResult r = check_linearizable(Register{}, ops, {.steps_max = 100'000'000});
    if (r.verdict != Verdict::not_linearizable || r.window.size() != 1) {
      state.SkipWithError("expected a window of one read");
    }
    steps = r.steps;
  }
  state.counters["steps"] = static_cast<double>(steps);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ops.size()));
}
BENCHMARK(BM_check_not_linearizable)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);

void BM_check_known_order(benchmark::State& state) {
  std::vector<std::uint64_t> at;
  const auto ops = history(static_cast<int>(state.range(0)), 10'000, at);
  for (auto _ : state) {
    std::vector<std::size_t> order(ops.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return at[a] < at[b]; });
    Register::State s = Register{}.init();
    bool ok = true;
    for (std::size_t i : order) {
      const auto next = Register{}.step(s, ops[i].input, ops[i].output ? &*ops[i].output : nullptr);
      if (!next) ok = false;
      s = next.value_or(s);
    }
    if (!ok) state.SkipWithError("the known order fails");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ops.size()));
}
BENCHMARK(BM_check_known_order)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond);

}  // namespace
