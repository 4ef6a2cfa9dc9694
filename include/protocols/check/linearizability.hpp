#pragma once
/// check_linearizable(model, history): whether a concurrent history of operations could have
/// happened one at a time, each at an instant between its call and its return, in an order a
/// sequential model allows (Herlihy and Wing's linearizability). When none exists it names a
/// small window of the history that shows why.
///
/// The history: one `Operation` per call a client made, with its input, its observed output,
/// and the times it was called and returned (any clock common to all clients: the
/// simulator's, or a monotonic clock on one machine). Operation a precedes b iff
/// a.returned < b.called; operations whose intervals overlap or touch are concurrent. Two kinds
/// of uncertainty are allowed:
///   - returned, output not observed (`output` empty): it took effect between its call and its
///     return, with any result;
///   - never returned (`returned == never`, a timeout or a crashed client): it took effect at
///     some instant after its call, or never.
///
/// The model, a sequential specification (the `Model` concept below):
///   using State, Input, Output;            State copyable and equality-comparable
///   State init() const;
///   std::optional<State> step(const State&, const Input&, const Output* observed) const;
///     the state after the operation, or nothing when it could not have returned *observed
///     from that state; with observed null any result is allowed, so a state is returned
///   optionally  auto key(const Input&) const;   operations on different keys are independent
///   optionally  std::string describe(const Input&, const Output* output) const;  (the report)
///
/// Method: Wing and Gong's search, in the form of Lowe's "just-in-time" linearization with
/// a cache of (operations linearized, state) pairs already explored, as Porcupine does; with
/// `key`, the history is split per key first (P-compositionality, Horn and Kroening), and each
/// part is checked alone. The search is exponential in the worst case: it stops after
/// `CheckOptions::steps_max` steps and says `unknown` rather than run unbounded.
///
/// The bad window: of a part that is not linearizable, a sub-history that is still
/// contradictory, found by delta debugging (chunks that halve down to one operation):
///   - cut: only what the search reached (operations called by the latest return it got
///     stuck at; outputs returned after it forgotten, so the window observes nothing that
///     depends on an operation outside it);
///   - fast pass: drop operations, every output kept, while the search still gets stuck at the
///     same return (narrow searches, each shorter than the last);
///   - forget outputs while it stays contradictory: what stays starred cannot all be true;
///   - drop the other operations while it stays contradictory and each starred output that
///     can be produced from the initial state by one or two other operations still can, so
///     that a stale read shows with the write it saw and the one it missed, not alone as "a
///     read of a value nobody wrote". If the fast pass lost such an explanation,
///     the last two steps run again from the cut.
/// Every window kept along the way was checked contradictory, so the one reported is, even when
/// steps_max cut its search short. Each pass tries single operations last, so the window is
/// small; it is not promised minimal (a starred output is never dropped, and the passes do
/// not repeat).
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

namespace calm::protocols::check {

/// The return time of an operation that never returned.
inline constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

template <class Input, class Output>
struct Operation {
  std::uint64_t client = 0;  // for the report only
  Input input{};
  std::optional<Output> output;  // empty: not observed
  std::uint64_t called = 0;
  std::uint64_t returned = never;
};

template <class M>
concept Model = std::copy_constructible<typename M::State> &&
    std::equality_comparable<typename M::State> &&
    requires(const M& m, const typename M::State& s, const typename M::Input& in,
             const typename M::Output* out) {
  { m.init() } -> std::convertible_to<typename M::State>;
  { m.step(s, in, out) } -> std::same_as<std::optional<typename M::State>>;
};

template <class M>
concept KeyedModel = Model<M> && requires(const M& m, const typename M::Input& in) {
  { m.key(in) < m.key(in) } -> std::convertible_to<bool>;
};

enum class Verdict { linearizable, not_linearizable, unknown };

struct CheckOptions {
  /// Search steps (one try of one operation) over the whole check: past it during the
  /// verdict's search the verdict is `unknown`; past it while looking for a small bad window,
  /// the window found so far is reported (`window_complete` false). About 50-100 ns a step; a
  /// search's cache holds at most one entry per step, of about 64 + sizeof(State) bytes with
  /// the hash table's own (its node, bucket and allocation).
  std::uint64_t steps_max = 10'000'000;
  /// Whether to look for a small bad window (more searches of the failing part, each smaller
  /// than the last; see the top of the file).
  bool minimize = true;
};

struct CheckResult {
  Verdict verdict = Verdict::linearizable;
  std::size_t parts = 0;    // independent parts checked (keys, or 1)
  std::uint64_t steps = 0;  // search steps taken
  /// Not linearizable: indices into the history of the bad window, in call order, and for
  /// each whether its output is part of the contradiction (else it is context: its effect
  /// matters, its output does not).
  std::vector<std::size_t> window;
  std::vector<bool> window_observed;
  bool window_complete = false;  // false when steps_max cut the search for a smaller window
  /// Not linearizable: the latest time at which the search got stuck (no order places every
  /// operation of the failing part that returned by then). Look there first.
  std::uint64_t stuck_at = 0;
  std::string report;  // printable: the verdict, and the window as a timeline

  explicit operator bool() const { return verdict == Verdict::linearizable; }
};

namespace detail {

/// A set of operations, as a 128-bit fingerprint: the XOR of two random words per member
/// (Zobrist hashing), so adding or removing one is O(1) and a cache entry holds 16 bytes rather
/// than a bitset of the whole part. Two different sets collide with probability 2^-128 per
/// pair: below 2^-80 for a search of 2^24 placements, where a collision could only prune a
/// branch the search had not explored.
class OpSet {
 public:
  explicit OpSet(std::size_t n) : keys_(n), members_(n) {
    for (std::size_t i = 0; i < n; ++i) {
      keys_[i] = {mix(2 * i + 1), mix(2 * i + 2)};
    }
  }
  void flip(std::size_t i) {
    low_ ^= keys_[i].first;
    high_ ^= keys_[i].second;
    members_[i] = !members_[i];
  }
  bool contains(std::size_t i) const { return members_[i]; }
  std::pair<std::uint64_t, std::uint64_t> fingerprint() const { return {low_, high_}; }

 private:
  static std::uint64_t mix(std::uint64_t z) {  // SplitMix64's finalizer
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> keys_;
  std::vector<bool> members_;
  std::uint64_t low_ = 0, high_ = 0;
};

/// A cache entry: a set of operations placed, by fingerprint, and the state they led to.
template <class State>
struct Explored {
  std::pair<std::uint64_t, std::uint64_t> placed;
  State state;
  bool operator==(const Explored&) const = default;
};
struct ExploredHash {
  template <class State>
  std::size_t operator()(const Explored<State>& e) const {
    return static_cast<std::size_t>(e.placed.first);  // already uniform; states rarely differ
  }
};

/// One part of a history, as the search sees it: operations with their output either
/// observed or forgotten.
template <class M>
struct Part {
  using Op = Operation<typename M::Input, typename M::Output>;
  std::vector<const Op*> ops;
  std::vector<bool> observed;  // per op: whether its output (if any) is checked
  std::uint64_t returned(std::size_t i) const { return ops[i]->returned; }
};

/// Wing and Gong's search with Lowe's cache over one part. `budget` is decremented by each
/// step; at zero the answer is `unknown`.
/// Where a failed search got stuck last: the latest return in the timeline that no order
/// reached with its operation placed (time `never` and no operation: the end).
struct Frontier {
  std::uint64_t time = never;
  const void* op = nullptr;  // the Operation whose return that is
  bool operator==(const Frontier&) const = default;
};

/// `frontier`, when the answer is not_linearizable: the latest time at which the search got
/// stuck (operations called after it were never tried, so leaving them out changes nothing).
template <Model M>
Verdict search(const M& model, const Part<M>& part, std::uint64_t& budget,
               Frontier* frontier = nullptr) {
  using State = typename M::State;
  const std::size_t n = part.ops.size();
  // The timeline: a call and a return entry per operation, in time order; at equal times the
  // calls first (touching operations are concurrent). A doubly linked list over entries
  // 0..2n-1 with a sentinel at 2n, so that a linearized operation is lifted out in O(1) and
  // put back in O(1) when the search backtracks (the links of a lifted entry stay as they
  // were, and lifts are undone in reverse order).
  struct Entry {
    std::uint64_t time;
    bool is_call;
    std::size_t op;
    std::size_t prev, next;
  };
  std::vector<Entry> entries;
  entries.reserve(2 * n + 1);
  std::size_t returned_ops = 0;  // ops that returned; the search ends when all are placed
  for (std::size_t i = 0; i < n; ++i) {
    entries.push_back({part.ops[i]->called, true, i, 0, 0});
    entries.push_back({part.returned(i), false, i, 0, 0});
    returned_ops += part.returned(i) != never;
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.is_call != b.is_call) return a.is_call;
    return a.op < b.op;
  });
  const std::size_t head = 2 * n;
  entries.push_back({0, false, n, 0, 0});
  std::vector<std::size_t> return_of(n);
  for (std::size_t e = 0; e < 2 * n; ++e) {
    entries[e].prev = e == 0 ? head : e - 1;
    entries[e].next = e + 1 == 2 * n ? head : e + 1;
    if (!entries[e].is_call) return_of[entries[e].op] = e;
  }
  entries[head].next = n == 0 ? head : 0;
  entries[head].prev = n == 0 ? head : 2 * n - 1;
  // Symmetry: operations that never returned, observed nothing and have equal inputs are
  // interchangeable (each may take effect at any instant after its call, or never), so an
  // order that places the later-called one while the earlier waits has a twin that places the
  // earlier instead. Only those are tried: `twin[i]` is the unreturned operation with i's
  // input called last before it, which must be placed first. Without this, k unknown INCRs
  // of which j took effect cost C(k, j) searches of the rest of the history.
  std::vector<std::size_t> twin(n, n);
  if constexpr (std::equality_comparable<typename M::Input>) {
    std::vector<std::size_t> unreturned;  // in call order
    for (const Entry& e : entries) {
      if (e.is_call && part.returned(e.op) == never) {  // never returned: nothing observed
        unreturned.push_back(e.op);
      }
    }
    for (std::size_t k = 0; k < unreturned.size(); ++k) {
      for (std::size_t j = k; j-- > 0;) {
        if (part.ops[unreturned[j]]->input == part.ops[unreturned[k]]->input) {
          twin[unreturned[k]] = unreturned[j];
          break;
        }
      }
    }
  }
  auto unlink = [&](std::size_t e) {
    entries[entries[e].prev].next = entries[e].next;
    entries[entries[e].next].prev = entries[e].prev;
  };
  auto relink = [&](std::size_t e) {
    entries[entries[e].prev].next = e;
    entries[entries[e].next].prev = e;
  };

  // Explored (operations placed, state) pairs: a pair met again leads nowhere new.
  std::unordered_set<Explored<State>, ExploredHash> cache;
  auto remember = [&](const OpSet& placed, const State& state) {
    return cache.insert(Explored<State>{placed.fingerprint(), state}).second;
  };

  struct Placed {
    std::size_t call;
    State before;
  };
  std::vector<Placed> stack;
  OpSet linearized(n);
  State state = model.init();
  std::size_t entry = entries[head].next;
  std::size_t stuck = 0;  // the latest entry the search got stuck at (entries are in time order)
  while (returned_ops > 0) {
    if (budget == 0) return Verdict::unknown;
    --budget;
    const Entry& e = entries[entry];
    if (entry != head && e.is_call) {
      if (twin[e.op] != n && !linearized.contains(twin[e.op])) {
        entry = e.next;  // its twin goes first (see `twin`)
        continue;
      }
      const auto* op = part.ops[e.op];
      const typename M::Output* observed =
          part.observed[e.op] && op->output ? &*op->output : nullptr;
      std::optional<State> next = model.step(state, op->input, observed);
      if (next) {
        linearized.flip(e.op);
        if (remember(linearized, *next)) {
          stack.push_back({entry, std::move(state)});
          state = std::move(*next);
          unlink(entry);
          unlink(return_of[e.op]);
          returned_ops -= part.returned(e.op) != never;
          entry = entries[head].next;
          continue;
        }
        linearized.flip(e.op);
      }
      entry = e.next;
      continue;
    }
    // A return (or the end): its operation should have been placed by now. Undo the last
    // placement and try the next candidate after it.
    stuck = std::max(stuck, entry);
    if (stack.empty()) {
      if (frontier && stuck != head) *frontier = {entries[stuck].time, part.ops[entries[stuck].op]};
      return Verdict::not_linearizable;
    }
    Placed last = std::move(stack.back());
    stack.pop_back();
    const std::size_t op = entries[last.call].op;
    relink(return_of[op]);
    relink(last.call);
    linearized.flip(op);
    returned_ops += part.returned(op) != never;
    state = std::move(last.before);
    entry = entries[last.call].next;
  }
  return Verdict::linearizable;
}

template <Model M>
std::string describe(const M& model, const Operation<typename M::Input, typename M::Output>& op) {
  const typename M::Output* out = op.output ? &*op.output : nullptr;
  if constexpr (requires { model.describe(op.input, out); }) {
    return model.describe(op.input, out);
  } else {
    std::ostringstream s;
    if constexpr (requires { s << op.input; }) {
      s << op.input;
    } else {
      s << "op";
    }
    if constexpr (requires { s << *out; }) {
      if (out) s << " -> " << *out;
    }
    return s.str();
  }
}

/// Operations of one part (indices into the history) and, for each, whether its output is
/// checked.
struct Window {
  std::vector<std::size_t> ops;
  std::vector<bool> observed;
};

template <Model M>
Part<M> part_of_window(const std::vector<Operation<typename M::Input, typename M::Output>>& history,
                       const Window& w) {
  Part<M> part;
  for (std::size_t i : w.ops) part.ops.push_back(&history[i]);
  part.observed = w.observed;
  return part;
}

/// The bad window's search (see the top of the file): from a contradictory window, forget
/// outputs, then drop operations, in chunks that halve down to one (as delta debugging does),
/// so a long part costs about (window size) x log(part size) searches rather than one per
/// operation. After each contradictory search, operations called after its frontier go too.
template <Model M>
Window shrink(const M& model,
              const std::vector<Operation<typename M::Input, typename M::Output>>& history,
              Window window, Frontier frontier, std::uint64_t last_search_steps,
              std::uint64_t& budget, bool& cut_short) {
  auto part_of = [&](const Window& w) { return part_of_window<M>(history, w); };
  // Cuts a contradictory window `w`, whose search stopped at `at` after `steps`, to what the
  // search reached: the operations called by then, with the outputs of those that returned
  // after it forgotten. What such a window observes depends only on operations inside it (an
  // operation whose effect an output shows was called before that output returned), so
  // forgetting more outputs later cannot expose a gap the cut made. Forgetting those outputs
  // may widen the search, so the cut is checked, within about twice the search's steps, and
  // kept only if still contradictory.
  auto cut = [&](Window& w, const Frontier& reached, std::uint64_t steps) {
    const std::uint64_t at = reached.time;
    Window closed;
    for (std::size_t k = 0; k < w.ops.size(); ++k) {
      const auto& op = history[w.ops[k]];
      if (op.called > at) continue;
      closed.ops.push_back(w.ops[k]);
      closed.observed.push_back(w.observed[k] && op.returned <= at);
    }
    if (closed.ops == w.ops && closed.observed == w.observed) return;
    std::uint64_t allowed = std::min(budget, 2 * steps + 1024);
    const std::uint64_t before = allowed;
    const bool whole_budget = allowed == budget;
    const Verdict v = search(model, part_of(closed), allowed);
    if (v == Verdict::unknown && whole_budget) cut_short = true;
    budget -= before - allowed;
    if (v == Verdict::not_linearizable) w = std::move(closed);
  };
  // Whether `w` is contradictory; if so, cut as above, and its frontier in `at`.
  auto contradictory = [&](Window& w, Frontier& at) {
    at = {};
    const std::uint64_t before = budget;
    const Verdict v = search(model, part_of(w), budget, &at);
    if (v == Verdict::unknown) cut_short = true;
    if (v != Verdict::not_linearizable) return false;
    cut(w, at, before - budget);
    return true;
  };
  auto checked = [&](const Window& w, std::size_t k) {
    return w.observed[k] && history[w.ops[k]].output.has_value();
  };
  auto forget = [](Window w, const std::vector<std::size_t>& ids) {
    for (std::size_t k = 0; k < w.ops.size(); ++k) {
      if (std::find(ids.begin(), ids.end(), w.ops[k]) != ids.end()) w.observed[k] = false;
    }
    return w;
  };
  auto drop = [](const Window& w, const std::vector<std::size_t>& ids) {
    Window kept;
    for (std::size_t k = 0; k < w.ops.size(); ++k) {
      if (std::find(ids.begin(), ids.end(), w.ops[k]) != ids.end()) continue;
      kept.ops.push_back(w.ops[k]);
      kept.observed.push_back(w.observed[k]);
    }
    return kept;
  };
  cut(window, frontier, last_search_steps);  // frontier: of the window's last search

  // Tries `attempt(window, ids)` on chunks of the operations `eligible` picks, keeping each
  // result that is contradictory and passes `keep(result, its frontier)`.
  auto reduce = [&](auto eligible, auto attempt, auto keep) {
    std::size_t chunk = 0;
    for (;;) {
      std::vector<std::size_t> ids;
      for (std::size_t k = 0; k < window.ops.size(); ++k) {
        if (eligible(window, k)) ids.push_back(window.ops[k]);
      }
      if (ids.empty() || budget == 0) return;
      if (chunk == 0 || chunk > ids.size()) chunk = (ids.size() + 1) / 2;
      bool progress = false;
      for (std::size_t from = 0; from < ids.size() && !progress; from += chunk) {
        const std::vector<std::size_t> some(
            ids.begin() + static_cast<std::ptrdiff_t>(from),
            ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), from + chunk)));
        Window trial = attempt(window, some);
        Frontier f;
        if (contradictory(trial, f) && keep(trial, f)) {
          window = std::move(trial);
          frontier = f;
          progress = true;
        }
      }
      if (!progress) {
        if (chunk == 1) return;
        chunk = (chunk + 1) / 2;
      }
    }
  };

  // Whether operation h's output (h a history index) can be produced in `w` from the
  // initial state by one other operation of `w` called by the time h returned, or two of the
  // last 64 such (outputs forgotten), then h. A stale read is producible while the write it
  // saw is in the window; a read of a value nobody in the window wrote is not. Not any
  // number: a search over every subset of what came before can take exponential time, and the
  // outputs these windows explain (a read, a failed compare-and-set) take one or two writes.
  // O(|w| + 64^2) steps of the model.
  auto producible = [&](const Window& w, std::size_t h) {
    const auto& target = history[h];
    const typename M::Output* out = target.output ? &*target.output : nullptr;
    auto ends_in_h = [&](const typename M::State& s) {
      return model.step(s, target.input, out).has_value();
    };
    const typename M::State init = model.init();
    if (ends_in_h(init)) return true;
    std::vector<const Operation<typename M::Input, typename M::Output>*> before_h;
    for (std::size_t i : w.ops) {
      if (i != h && history[i].called <= target.returned) before_h.push_back(&history[i]);
    }
    for (const auto* one : before_h) {
      const auto s1 = model.step(init, one->input, nullptr);
      if (s1 && ends_in_h(*s1)) return true;
    }
    std::sort(before_h.begin(), before_h.end(),
              [](const auto* a, const auto* b) { return a->called > b->called; });
    before_h.resize(std::min<std::size_t>(before_h.size(), 64));
    for (const auto* first : before_h) {
      const auto s1 = model.step(init, first->input, nullptr);
      if (!s1) continue;
      for (const auto* second : before_h) {
        if (second == first) continue;
        const auto s2 = model.step(*s1, second->input, nullptr);
        if (s2 && ends_in_h(*s2)) return true;
      }
    }
    return false;
  };
  // Forget outputs while the rest stays contradictory, then drop the other operations while
  // it stays contradictory and each remaining output that could be produced still can.
  auto forget_then_drop = [&] {
    reduce(checked, forget, [](const Window&, const Frontier&) { return true; });
    std::vector<std::size_t> alone;  // history indices
    for (std::size_t k = 0; k < window.ops.size(); ++k) {
      if (checked(window, k) && producible(window, window.ops[k])) alone.push_back(window.ops[k]);
    }
    reduce([&](const Window& w, std::size_t k) { return !checked(w, k); }, drop,
           [&](const Window& w, const Frontier&) {
             for (std::size_t h : alone) {
               const auto k = static_cast<std::size_t>(std::find(w.ops.begin(), w.ops.end(), h) -
                                                       w.ops.begin());
               if (k == w.ops.size() || !w.observed[k]) continue;  // cut off: not needed now
               if (!producible(w, h)) return false;
             }
             return true;
           });
  };

  // First, a fast pass: drop operations with every output kept while the search still gets
  // stuck at the same return. Searches stay narrow (every output constrains them) and get
  // shorter, where forgetting outputs of a long window widens them by the concurrency of
  // what was forgotten. Dropping an operation that explains an earlier output makes the
  // search stop at that output instead, so it is refused; but one that explains the stuck
  // output itself may go unnoticed (a failed compare-and-set dropped, leaving a read of what
  // it would have written): so the result is checked below, and given up if it lost an
  // explanation.
  const Window before = window;
  reduce([](const Window&, std::size_t) { return true; }, drop,
         [&](const Window&, const Frontier& at) { return at == frontier; });
  forget_then_drop();
  for (std::size_t k = 0; k < window.ops.size(); ++k) {
    const std::size_t h = window.ops[k];
    if (checked(window, k) && !producible(window, h) && producible(before, h)) {
      window = before;  // the exact way, from the cut window
      forget_then_drop();
      break;
    }
  }
  return window;
}

}  // namespace detail

/// Checks `history` against `model`; see the top of this file. Throws std::invalid_argument
/// for an operation returned before it was called, or with an output but no return.
template <Model M>
CheckResult check_linearizable(
    const M& model, const std::vector<Operation<typename M::Input, typename M::Output>>& history,
    const CheckOptions& options = {}) {
  using Op = Operation<typename M::Input, typename M::Output>;
  for (const Op& op : history) {
    if (op.returned < op.called) {
      throw std::invalid_argument("check_linearizable: an operation returned before its call");
    }
    if (op.returned == never && op.output) {
      throw std::invalid_argument("check_linearizable: an output without a return");
    }
  }
  // The parts: one per key when the model has keys.
  std::vector<std::vector<std::size_t>> parts;
  if constexpr (KeyedModel<M>) {
    using Key = std::decay_t<decltype(model.key(history.front().input))>;
    std::map<Key, std::size_t> index;
    for (std::size_t i = 0; i < history.size(); ++i) {
      auto [it, fresh] = index.try_emplace(model.key(history[i].input), parts.size());
      if (fresh) parts.emplace_back();
      parts[it->second].push_back(i);
    }
  } else {
    parts.emplace_back(history.size());
    for (std::size_t i = 0; i < history.size(); ++i) parts[0][i] = i;
  }

  CheckResult result;
  result.parts = parts.size();
  std::uint64_t budget = options.steps_max;
  const std::vector<std::size_t>* failed = nullptr;
  std::uint64_t failed_search_steps = 0;
  detail::Frontier frontier;
  for (const auto& indices : parts) {
    const detail::Window whole{indices, std::vector<bool>(indices.size(), true)};
    const std::uint64_t before = budget;
    const Verdict v =
        detail::search(model, detail::part_of_window<M>(history, whole), budget, &frontier);
    if (v == Verdict::not_linearizable) {
      result.verdict = v;
      failed = &indices;
      failed_search_steps = before - budget;
      result.stuck_at = frontier.time;
      break;
    }
    // Later parts run on what is left of the budget (none, if this one used it up).
    if (v == Verdict::unknown) result.verdict = v;
  }
  if (!failed) {
    result.steps = options.steps_max - budget;
    result.report = result.verdict == Verdict::linearizable
                        ? "linearizable"
                        : "unknown: the search passed " + std::to_string(options.steps_max) +
                              " steps (CheckOptions::steps_max)";
    return result;
  }

  // The bad window, within the part that failed.
  detail::Window window{*failed, std::vector<bool>(failed->size(), true)};
  if (options.minimize) {
    bool cut_short = false;
    window = detail::shrink(model, history, std::move(window), frontier, failed_search_steps,
                            budget, cut_short);
    result.window_complete = !cut_short;
    // Where the window's own search gets stuck (it may be a later contradiction than the
    // part's first): a small search, allowed past the budget by at most the first one's steps.
    std::uint64_t allowed = failed_search_steps + 1024;
    detail::Frontier own;
    if (detail::search(model, detail::part_of_window<M>(history, window), allowed, &own) ==
        Verdict::not_linearizable) {
      result.stuck_at = own.time;
    }
  }
  const std::vector<std::size_t>& ops = window.ops;
  const std::vector<bool>& observed = window.observed;
  result.steps = options.steps_max - budget;

  std::vector<std::size_t> order(ops.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return history[ops[a]].called < history[ops[b]].called;
  });
  std::ostringstream report;
  report << "not linearizable: a bad window of " << ops.size()
         << (options.minimize && !result.window_complete ? " (its search cut short by steps_max)"
                                                         : "")
         << " operation(s); no order places every operation of it that returned by "
         << result.stuck_at << " (index, client, [called, returned], operation; * marks an output "
         << "that is part of the contradiction):\n";
  for (std::size_t i : order) {
    const Op& op = history[ops[i]];
    const bool checked = observed[i] && op.output.has_value();
    result.window.push_back(ops[i]);
    result.window_observed.push_back(checked);
    report << (checked ? "  * #" : "    #") << ops[i] << " client " << op.client << " ["
           << op.called << ", ";
    if (op.returned == never) {
      report << "never";
    } else {
      report << op.returned;
    }
    report << "] " << detail::describe(model, op) << "\n";
  }
  result.report = report.str();
  return result;
}

}  // namespace calm::protocols::check
