// The linearizability checker against histories whose answer is known: by hand, by
// construction (a sequential run stretched into overlapping intervals), and by brute force over
// every order of small random histories.
#include "protocols/check/linearizability.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lattices/random.hpp"

namespace calm::protocols::check {
namespace {

/// A register of ints: read, write, compare-and-set. Output: the value read; 1 or 0 for a
/// compare-and-set; 0 for a write.
struct Register {
  enum class Kind { read, write, cas };
  struct Input {
    Kind kind;
    int a = 0;
    int b = 0;
    // Comparable: the search treats unreturned operations of equal inputs as twins, so the
    // brute-force comparison below covers that reduction too.
    friend bool operator==(const Input&, const Input&) = default;
  };
  using Output = int;
  using State = int;
  State init() const { return 0; }
  std::optional<State> step(State s, const Input& in, const Output* out) const {
    switch (in.kind) {
      case Kind::read:
        if (out && *out != s) return std::nullopt;
        return s;
      case Kind::write:
        return in.a;
      case Kind::cas: {
        const int swapped = s == in.a ? 1 : 0;
        if (out && *out != swapped) return std::nullopt;
        return swapped ? in.b : s;
      }
    }
    return std::nullopt;
  }
  std::string describe(const Input& in, const Output* out) const {
    const std::string result = out ? std::to_string(*out) : "?";
    switch (in.kind) {
      case Kind::read:
        return "read -> " + result;
      case Kind::write:
        return "write " + std::to_string(in.a);
      case Kind::cas:
        return "cas " + std::to_string(in.a) + " " + std::to_string(in.b) + " -> " + result;
    }
    return "";
  }
};
using RegOp = Operation<Register::Input, int>;

RegOp write(std::uint64_t called, std::uint64_t returned, int v, std::uint64_t client = 0) {
  const auto out = returned == never ? std::nullopt : std::optional(0);
  return {client, {Register::Kind::write, v, 0}, out, called, returned};
}
RegOp read(std::uint64_t called, std::uint64_t returned, int v, std::uint64_t client = 0) {
  return {client, {Register::Kind::read, 0, 0}, v, called, returned};
}

/// Registers by key: with key(), the model is one key's register.
struct KeyedRegister : Register {
  struct Input : Register::Input {
    int key = 0;
  };
  int key(const Input& in) const { return in.key; }
  std::optional<State> step(State s, const Input& in, const Output* out) const {
    return Register::step(s, in, out);
  }
};

/// A FIFO queue of ints: enqueue (output 0), dequeue (output: the head, or -1 when empty).
struct Queue {
  struct Input {
    bool enqueue;
    int value = 0;
  };
  using Output = int;
  using State = std::deque<int>;
  State init() const { return {}; }
  std::optional<State> step(State s, const Input& in, const Output* out) const {
    if (in.enqueue) {
      s.push_back(in.value);
      return s;
    }
    const int head = s.empty() ? -1 : s.front();
    if (out && *out != head) return std::nullopt;
    if (!s.empty()) s.pop_front();
    return s;
  }
};
using QueueOp = Operation<Queue::Input, int>;

TEST(Linearizability, AnEmptyHistoryIsLinearizable) {
  EXPECT_TRUE(check_linearizable(Register{}, std::vector<RegOp>{}));
}

TEST(Linearizability, AReadConcurrentWithAWriteMaySeeEitherValue) {
  EXPECT_TRUE(check_linearizable(Register{}, std::vector{write(0, 10, 1), read(5, 15, 1)}));
  EXPECT_TRUE(check_linearizable(Register{}, std::vector{write(0, 10, 1), read(5, 15, 0)}));
  // Touching intervals are concurrent too.
  EXPECT_TRUE(check_linearizable(Register{}, std::vector{write(0, 10, 1), read(10, 15, 0)}));
}

TEST(Linearizability, AStaleReadAfterAWriteReturnedIsNotAndItsWindowIsTheWriteAndTheRead) {
  const std::vector history{write(0, 5, 1), read(6, 10, 0)};
  const CheckResult r = check_linearizable(Register{}, history);
  EXPECT_EQ(r.verdict, Verdict::not_linearizable);
  EXPECT_EQ(r.window, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(r.window_observed, (std::vector<bool>{false, true}));
  EXPECT_TRUE(r.window_complete);
  EXPECT_NE(r.report.find("  * #1 client 0 [6, 10] read -> 0"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("    #0 client 0 [0, 5] write 1"), std::string::npos) << r.report;
}

TEST(Linearizability, ReadsThatSeeTwoConcurrentWritesInOppositeOrdersAreNot) {
  // Both writes span the reads; the reads, one after another, see 1, then 2, then 1 again.
  const std::vector history{write(0, 100, 1, 1), write(0, 100, 2, 2), read(10, 20, 1, 3),
                            read(30, 40, 2, 3), read(50, 60, 1, 3)};
  const CheckResult r = check_linearizable(Register{}, history);
  ASSERT_EQ(r.verdict, Verdict::not_linearizable);
  EXPECT_EQ(r.window.size(), 5u) << r.report;  // every operation is needed for the contradiction
  // Without the last read, or with it seeing 2, there is an order.
  EXPECT_TRUE(check_linearizable(Register{}, std::vector(history.begin(), history.end() - 1)));
  auto fixed = history;
  fixed.back().output = 2;
  EXPECT_TRUE(check_linearizable(Register{}, fixed));
}

TEST(Linearizability, AWriteThatNeverReturnedHappenedOnceOrNever) {
  EXPECT_TRUE(check_linearizable(Register{}, std::vector{write(0, never, 1), read(5, 6, 0)}));
  EXPECT_TRUE(check_linearizable(Register{},
                                 std::vector{write(0, never, 1), read(5, 6, 0), read(7, 8, 1)}));
  // Once seen it cannot be unseen, and it cannot act before it was called.
  EXPECT_FALSE(check_linearizable(Register{},
                                  std::vector{write(0, never, 1), read(5, 6, 1), read(7, 8, 0)}));
  EXPECT_FALSE(check_linearizable(Register{}, std::vector{read(1, 2, 1), write(3, never, 1)}));
}

TEST(Linearizability, AnUnobservedOutputAllowsAnyResultButKeepsItsEffect) {
  RegOp cas{0, {Register::Kind::cas, 0, 7}, std::nullopt, 0, 10};
  EXPECT_TRUE(check_linearizable(Register{}, std::vector{cas, read(11, 12, 7)}));
  EXPECT_FALSE(check_linearizable(Register{}, std::vector{cas, read(11, 12, 0)}));
  cas.output = 0;  // observed as failed: then it had no effect
  EXPECT_FALSE(check_linearizable(Register{}, std::vector{cas, read(11, 12, 7)}));
}

TEST(Linearizability, AQueueThatDequeuesOutOfOrderIsNot) {
  const std::vector<QueueOp> fifo{{1, {true, 1}, 0, 0, 1},
                                  {1, {true, 2}, 0, 2, 3},
                                  {2, {false}, 1, 4, 9},
                                  {3, {false}, 2, 5, 8}};  // concurrent dequeues: either order
  EXPECT_TRUE(check_linearizable(Queue{}, fifo));
  auto lifo = fifo;
  lifo[2] = {2, {false}, 2, 4, 5};  // 2 first, alone, then 1
  lifo[3] = {3, {false}, 1, 6, 7};
  EXPECT_FALSE(check_linearizable(Queue{}, lifo));
}

TEST(Linearizability, KeysAreCheckedApartAndTheWindowHoldsOnlyTheFailingKey) {
  using Op = Operation<KeyedRegister::Input, int>;
  auto op = [](int key, Register::Kind kind, int v, std::optional<int> out, std::uint64_t called,
               std::uint64_t returned) {
    KeyedRegister::Input in;
    in.kind = kind;
    in.a = v;
    in.key = key;
    return Op{0, in, out, called, returned};
  };
  using K = Register::Kind;
  std::vector<Op> history{op(1, K::write, 1, 0, 0, 5), op(2, K::write, 5, 0, 0, 5),
                          op(1, K::read, 0, 1, 6, 7), op(2, K::read, 0, 5, 6, 7),
                          op(3, K::read, 0, 0, 8, 9)};
  CheckResult r = check_linearizable(KeyedRegister{}, history);
  EXPECT_TRUE(r);
  EXPECT_EQ(r.parts, 3u);
  history.push_back(op(2, K::read, 0, 0, 10, 11));  // key 2 goes back to 0
  r = check_linearizable(KeyedRegister{}, history);
  EXPECT_EQ(r.verdict, Verdict::not_linearizable);
  EXPECT_EQ(r.window, (std::vector<std::size_t>{1, 5})) << r.report;
}

/// A register history made by running operations one at a time and stretching each into an
/// interval around the instant it ran: linearizable by construction.
std::vector<RegOp> stretched_run(calm::SplitMix64& rng, int ops, int clients) {
  std::vector<RegOp> history;
  int value = 0;
  for (int i = 0; i < ops; ++i) {
    const std::uint64_t at = 10 * static_cast<std::uint64_t>(i) + 10;
    const std::uint64_t called = at - rng.below(30) % at;
    const std::uint64_t returned = at + rng.below(30);
    const auto client = rng.below(static_cast<std::uint64_t>(clients));
    const int v = static_cast<int>(rng.below(4));
    switch (rng.below(3)) {
      case 0:
        history.push_back(read(called, returned, value, client));
        break;
      case 1:
        value = v;
        history.push_back(write(called, returned, v, client));
        break;
      default: {
        const int swapped = value == v;
        history.push_back({client, {Register::Kind::cas, v, v + 1}, swapped, called, returned});
        if (swapped) value = v + 1;
      }
    }
    if (rng.chance(0.1)) history.back().output.reset();
    if (rng.chance(0.05)) {
      history.back().output.reset();
      history.back().returned = never;
    }
  }
  return history;
}

TEST(Linearizability, EveryStretchedSequentialRunIsLinearizable) {
  calm::SplitMix64 rng(7);
  for (int run = 0; run < 1000; ++run) {
    const auto history = stretched_run(rng, 100, 5);
    const CheckResult r = check_linearizable(Register{}, history);
    ASSERT_EQ(r.verdict, Verdict::linearizable) << "run " << run << "\n" << r.report;
  }
}

/// Whether some order of `history` respects real time and `model`, by trying them all.
bool brute_force(const std::vector<RegOp>& history) {
  std::vector<bool> placed(history.size(), false);
  auto all_returned_placed = [&] {
    for (std::size_t i = 0; i < history.size(); ++i) {
      if (!placed[i] && history[i].returned != never) return false;
    }
    return true;
  };
  std::function<bool(int)> place = [&](int state) {
    if (all_returned_placed()) return true;
    for (std::size_t i = 0; i < history.size(); ++i) {
      if (placed[i]) continue;
      bool first = true;  // nothing unplaced returned before i was called
      for (std::size_t j = 0; j < history.size(); ++j) {
        if (!placed[j] && j != i && history[j].returned < history[i].called) first = false;
      }
      if (!first) continue;
      const int* out = history[i].output ? &*history[i].output : nullptr;
      const auto next = Register{}.step(state, history[i].input, out);
      if (!next) continue;
      placed[i] = true;
      if (place(*next)) return true;
      placed[i] = false;
    }
    return false;
  };
  return place(Register{}.init());
}

TEST(Linearizability, AgreesWithTryingEveryOrderOnSmallRandomHistories) {
  calm::SplitMix64 rng(11);
  int linearizable = 0;
  const int runs = 3000;
  for (int run = 0; run < runs; ++run) {
    std::vector<RegOp> history;
    const auto n = 1 + rng.below(7);
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t called = rng.below(20);
      const std::uint64_t returned = rng.chance(0.1) ? never : called + rng.below(8);
      const int v = static_cast<int>(rng.below(3));
      switch (rng.below(3)) {
        case 0:
          history.push_back(read(called, returned, v));
          break;
        case 1:
          history.push_back(write(called, returned, v));
          break;
        default:
          history.push_back({0,
                             {Register::Kind::cas, v, static_cast<int>(rng.below(3))},
                             static_cast<int>(rng.below(2)),
                             called,
                             returned});
      }
      if (returned == never || rng.chance(0.1)) history.back().output.reset();
    }
    const bool expected = brute_force(history);
    const CheckResult r = check_linearizable(Register{}, history);
    ASSERT_EQ(r.verdict == Verdict::linearizable, expected) << "run " << run << "\n" << r.report;
    linearizable += expected;
    if (!expected) {
      // The window is itself a contradiction.
      std::vector<RegOp> window;
      for (std::size_t k = 0; k < r.window.size(); ++k) {
        window.push_back(history[r.window[k]]);
        if (!r.window_observed[k]) window.back().output.reset();
      }
      ASSERT_FALSE(brute_force(window)) << "run " << run << "\n" << r.report;
      // Cut short by the step bound anywhere, the answer is never wrong: unknown, or a
      // window that is itself a contradiction.
      for (const std::uint64_t steps_max : {r.steps / 4, r.steps / 2, r.steps - 1}) {
        const CheckResult cut = check_linearizable(Register{}, history, {.steps_max = steps_max});
        ASSERT_NE(cut.verdict, Verdict::linearizable) << "run " << run;
        if (cut.verdict == Verdict::unknown) continue;
        ASSERT_FALSE(cut.window.empty()) << "run " << run << "\n" << cut.report;
        std::vector<RegOp> cut_window;
        for (std::size_t k = 0; k < cut.window.size(); ++k) {
          cut_window.push_back(history[cut.window[k]]);
          if (!cut.window_observed[k]) cut_window.back().output.reset();
        }
        ASSERT_FALSE(brute_force(cut_window)) << "run " << run << "\n" << cut.report;
      }
      // Each starred output that one or two other operations (called before it returned)
      // can produce from the initial state in the history still can in the window: the
      // window keeps what explains it. (Histories this small are within the checker's
      // 64-operation reach for pairs.)
      auto producible = [](const std::vector<RegOp>& ops, std::size_t h) {
        const int* out = ops[h].output ? &*ops[h].output : nullptr;
        const Register m;
        if (m.step(m.init(), ops[h].input, out)) return true;
        for (std::size_t a = 0; a < ops.size(); ++a) {
          if (a == h || ops[a].called > ops[h].returned) continue;
          const auto s1 = m.step(m.init(), ops[a].input, nullptr);
          if (s1 && m.step(*s1, ops[h].input, out)) return true;
          for (std::size_t b = 0; s1 && b < ops.size(); ++b) {
            if (b == h || b == a || ops[b].called > ops[h].returned) continue;
            const auto s2 = m.step(*s1, ops[b].input, nullptr);
            if (s2 && m.step(*s2, ops[h].input, out)) return true;
          }
        }
        return false;
      };
      for (std::size_t k = 0; k < r.window.size(); ++k) {
        if (!r.window_observed[k] || !producible(history, r.window[k])) continue;
        const bool window_alone = producible(window, k);
        ASSERT_TRUE(window_alone) << "run " << run << "\n" << r.report;
      }
    }
  }
  // Both answers are common, so both are tested.
  EXPECT_GT(linearizable, runs / 5);
  EXPECT_LT(linearizable, runs * 4 / 5);
}

TEST(Linearizability, AStaleReadLateInALongHistoryShowsAsASmallWindow) {
  calm::SplitMix64 rng(3);
  auto history = stretched_run(rng, 200, 4);
  // A write that never returned could act after the last one: here every write returns.
  for (RegOp& op : history) op.returned = std::min(op.returned, op.called + 40);
  const std::uint64_t end = history.back().returned == never ? 3000 : history.back().returned;
  history.push_back(write(end + 10, end + 20, 100, 9));
  history.push_back(read(end + 30, end + 40, 0, 9));  // misses the write of 100 before it
  const CheckResult r = check_linearizable(Register{}, history);
  ASSERT_EQ(r.verdict, Verdict::not_linearizable);
  EXPECT_LE(r.window.size(), 3u) << r.report;
  ASSERT_FALSE(r.window.empty());
  EXPECT_EQ(r.window.back(), history.size() - 1) << r.report;
  EXPECT_TRUE(r.window_observed.back());
}

TEST(Linearizability, AnImpossibleReadInTheMiddleOfALongHistoryIsAWindowOfOne) {
  calm::SplitMix64 rng(5);
  auto history = stretched_run(rng, 240, 6);
  std::size_t middle = 120;
  while (history[middle].input.kind != Register::Kind::read || !history[middle].output) ++middle;
  history[middle].output = -7;  // no operation writes a negative value
  const CheckResult r = check_linearizable(Register{}, history);
  ASSERT_EQ(r.verdict, Verdict::not_linearizable);
  EXPECT_EQ(r.window, std::vector<std::size_t>{middle}) << r.report;
  EXPECT_EQ(r.stuck_at, history[middle].returned);
  EXPECT_TRUE(r.window_complete);
}

/// A counter whose increments often time out (a fault test's INCRs): which of k unreturned
/// increments took effect does not matter, only how many, and the search tries one order of
/// them rather than every subset; a wrong count is still caught.
struct Counter {
  struct Input {
    friend bool operator==(const Input&, const Input&) = default;
  };
  using Output = int;
  using State = int;
  State init() const { return 0; }
  std::optional<State> step(State s, const Input&, const Output* out) const {
    if (out && *out != s + 1) return std::nullopt;
    return s + 1;
  }
};
TEST(Linearizability, ManyUnreturnedIncrementsOfWhichSomeTookEffectAreCheckedQuickly) {
  std::vector<Operation<Counter::Input, int>> history;
  int value = 0;
  std::uint64_t t = 0;
  for (int i = 0; i < 400; ++i) {
    t += 10;
    if (i % 10 == 5) {  // unreturned; every other one took effect
      history.push_back({1, {}, std::nullopt, t, never});
      if (i % 20 == 5) ++value;
      continue;
    }
    history.push_back({0, {}, ++value, t, t + 5});
  }
  CheckOptions options;
  options.steps_max = 200'000;  // without the twins: C(40, 20) orders of the unreturned ones
  EXPECT_EQ(check_linearizable(Counter{}, history, options).verdict, Verdict::linearizable);
  // The 20 that did not take effect may still, before the last return; 21 more may not.
  history.back().output = *history.back().output + 20;
  EXPECT_EQ(check_linearizable(Counter{}, history, options).verdict, Verdict::linearizable);
  history.back().output = *history.back().output + 1;
  EXPECT_EQ(check_linearizable(Counter{}, history, options).verdict, Verdict::not_linearizable);
}

TEST(Linearizability, TheSearchStopsAtItsStepBoundAndSaysUnknown) {
  // Forty concurrent writes of distinct values, then a read of a value none wrote: proving no
  // order exists means trying every set of writes.
  std::vector<RegOp> history;
  for (int i = 0; i < 40; ++i)
    history.push_back(write(0, 100, i + 1, static_cast<std::uint64_t>(i)));
  history.push_back(read(0, 100, 1000));
  const CheckResult r = check_linearizable(Register{}, history, {.steps_max = 10'000});
  EXPECT_EQ(r.verdict, Verdict::unknown);
  EXPECT_LE(r.steps, 10'000u);
}

TEST(Linearizability, AnOperationReturnedBeforeItsCallIsRejected) {
  EXPECT_THROW(check_linearizable(Register{}, std::vector{read(5, 4, 0)}), std::invalid_argument);
  EXPECT_THROW(check_linearizable(Register{}, std::vector{read(5, never, 0)}),
               std::invalid_argument);
}

}  // namespace
}  // namespace calm::protocols::check
