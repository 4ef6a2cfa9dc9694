// check_delta_crdt must accept correct delta CRDTs and reject broken ones. The CRDTs here are
// written naively inside the test, on std::set and std::map, so that the harness is tested
// against code simple enough to be obviously right (or obviously wrong), and independently of
// the library's own CRDTs. Each broken type is a mistake people make when they write deltas:
// a remove that wipes adds it never saw, an add whose delta forgets the dots it replaced, a
// delta computed after the fact (so always empty), a counter that ships the increment instead
// of the total, a counter that adds on merge, and a merge that depends on arrival order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/hana/define_struct.hpp>
#include <compare>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "lattices/testing.hpp"

namespace delta_harness {

/// A unique event: (replica, its counter).
struct Dot {
  std::uint64_t replica = 0;
  std::uint64_t counter = 0;
  friend auto operator<=>(const Dot&, const Dot&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Dot& dot) {
    return os << '(' << dot.replica << ',' << dot.counter << ')';
  }
};

template <class Range>
std::ostream& print_range(std::ostream& os, const Range& range) {
  os << '{';
  const char* sep = "";
  for (const auto& x : range) {
    os << sep << x;
    sep = ", ";
  }
  return os << '}';
}

// ---- a grow-only set ------------------------------------------------------------------------

enum class GSetBug { none, delta_computed_after_insert };

template <GSetBug bug>
struct IntGSet {
  std::set<int> elements;

  bool merge(const IntGSet& other) {
    const std::size_t before = elements.size();
    elements.insert(other.elements.begin(), other.elements.end());
    return elements.size() != before;
  }
  IntGSet add(int x) {
    if constexpr (bug == GSetBug::delta_computed_after_insert) {
      // "What did the insert add?", asked after the insert: nothing, so nothing is sent.
      elements.insert(x);
      IntGSet delta;
      if (!elements.contains(x)) delta.elements.insert(x);
      return delta;
    } else {
      IntGSet delta;
      delta.elements.insert(x);
      merge(delta);
      return delta;
    }
  }
  friend bool operator==(const IntGSet&, const IntGSet&) = default;
  friend std::ostream& operator<<(std::ostream& os, const IntGSet& s) {
    return print_range(os << "GSet", s.elements);
  }
};

struct Add {
  int x = 0;
  friend std::ostream& operator<<(std::ostream& os, const Add& op) {
    return os << "add(" << op.x << ')';
  }
};

/// The reference of grow-only sets: the elements added.
struct SetReference {
  std::set<int> elements;
  void merge(const SetReference& effect) {
    elements.insert(effect.elements.begin(), effect.elements.end());
  }
};

// ---- a naive add-wins observed-remove set ---------------------------------------------------

enum class OrSetBug { none, remove_wipes_unobserved_adds, add_delta_without_context };

/// Each element maps to the dots of the adds that keep it alive; the context holds every dot
/// the state has seen, live or removed. A dot survives a join when both sides have it, or one
/// side has it and the other has never seen it.
template <OrSetBug bug>
struct NaiveOrSet {
  std::map<int, std::set<Dot>> store;  // no element maps to an empty set, except in a delta of
                                       // the remove_wipes_unobserved_adds bug
  std::set<Dot> context;

  bool merge(const NaiveOrSet& other) {
    std::map<int, std::set<Dot>> joined;
    auto survivors = [](const std::set<Dot>& mine, const std::set<Dot>& theirs,
                        const std::set<Dot>& their_context, std::set<Dot>& out) {
      for (const Dot& d : mine) {
        if (theirs.contains(d) || !their_context.contains(d)) out.insert(d);
      }
    };
    const std::set<Dot> none;
    auto lookup = [&](const std::map<int, std::set<Dot>>& s, int x) -> const std::set<Dot>& {
      const auto it = s.find(x);
      return it == s.end() ? none : it->second;
    };
    std::set<int> keys;
    for (const auto& [x, dots] : store) keys.insert(x);
    for (const auto& [x, dots] : other.store) keys.insert(x);
    for (const int x : keys) {
      if constexpr (bug == OrSetBug::remove_wipes_unobserved_adds) {
        // The remove's delta names the element, and receivers drop it whole: every dot of x,
        // including adds the remover had not seen.
        const auto it = other.store.find(x);
        if (it != other.store.end() && it->second.empty()) continue;
      }
      std::set<Dot> kept;
      survivors(lookup(store, x), lookup(other.store, x), other.context, kept);
      survivors(lookup(other.store, x), lookup(store, x), context, kept);
      if (!kept.empty()) joined.emplace(x, std::move(kept));
    }
    std::set<Dot> context_joined = context;
    context_joined.insert(other.context.begin(), other.context.end());
    const bool changed = joined != store || context_joined != context;
    store = std::move(joined);
    context = std::move(context_joined);
    return changed;
  }

  NaiveOrSet add(std::uint64_t replica, int x) {
    std::uint64_t counter = 0;
    for (const Dot& d : context) {
      if (d.replica == replica) counter = std::max(counter, d.counter);
    }
    const Dot dot{replica, counter + 1};
    NaiveOrSet delta;
    delta.store[x] = {dot};
    delta.context = observed(x);
    delta.context.insert(dot);
    if constexpr (bug == OrSetBug::add_delta_without_context) {
      // The state drops the dots it replaced, but the delta forgets to say which.
      store[x] = {dot};
      context.insert(dot);
      delta.context = {dot};
      return delta;
    }
    merge(delta);
    return delta;
  }

  NaiveOrSet remove(int x) {
    NaiveOrSet delta;
    delta.context = observed(x);
    if constexpr (bug == OrSetBug::remove_wipes_unobserved_adds) delta.store[x] = {};
    merge(delta);
    return delta;
  }

  std::set<Dot> observed(int x) const {
    const auto it = store.find(x);
    return it == store.end() ? std::set<Dot>{} : it->second;
  }
  std::vector<int> elements() const {
    std::vector<int> out;
    for (const auto& [x, dots] : store) out.push_back(x);
    return out;
  }

  friend bool operator==(const NaiveOrSet&, const NaiveOrSet&) = default;
  friend std::ostream& operator<<(std::ostream& os, const NaiveOrSet& s) {
    os << "OrSet{";
    const char* sep = "";
    for (const auto& [x, dots] : s.store) {
      print_range(os << sep << x << ':', dots);
      sep = ", ";
    }
    return print_range(os << "} context ", s.context);
  }
};

struct OrSetOp {
  bool add = true;
  int x = 0;
  friend std::ostream& operator<<(std::ostream& os, const OrSetOp& op) {
    return os << (op.add ? "add(" : "remove(") << op.x << ')';
  }
};

/// The textbook OR-set: every add has a unique tag; a remove tombstones the tags of x it saw,
/// and so does an add (it replaces them). An element is in the set while one of its tags is
/// not tombstoned.
struct OrSetReference {
  std::map<std::uint64_t, int> adds;  // tag -> element
  std::set<std::uint64_t> tombstones;

  void merge(const OrSetReference& effect) {
    adds.insert(effect.adds.begin(), effect.adds.end());
    tombstones.insert(effect.tombstones.begin(), effect.tombstones.end());
  }
  std::set<std::uint64_t> live_tags(int x) const {
    std::set<std::uint64_t> out;
    for (const auto& [tag, element] : adds) {
      if (element == x && !tombstones.contains(tag)) out.insert(tag);
    }
    return out;
  }
  std::vector<int> elements() const {
    std::set<int> out;
    for (const auto& [tag, element] : adds) {
      if (!tombstones.contains(tag)) out.insert(element);
    }
    return {out.begin(), out.end()};
  }
};

// ---- counters -------------------------------------------------------------------------------

enum class CounterBug { none, delta_is_the_increment };

/// A grow-only counter: each replica's total, merged by max. The correct delta is the
/// replica's new total; the bug ships the increment, which max then swallows.
template <CounterBug bug>
struct TotalsCounter {
  std::map<std::uint64_t, std::uint64_t> totals;

  bool merge(const TotalsCounter& other) {
    bool changed = false;
    for (const auto& [replica, n] : other.totals) {
      auto& mine = totals[replica];
      if (n > mine) {
        mine = n;
        changed = true;
      }
    }
    std::erase_if(totals, [](const auto& entry) { return entry.second == 0; });
    return changed;
  }
  TotalsCounter increment(std::uint64_t replica, std::uint64_t n) {
    TotalsCounter delta;
    if constexpr (bug == CounterBug::delta_is_the_increment) {
      delta.totals[replica] = n;
    } else {
      const auto it = totals.find(replica);
      delta.totals[replica] = (it == totals.end() ? 0 : it->second) + n;
    }
    merge(delta);
    return delta;
  }
  std::uint64_t value() const {
    std::uint64_t sum = 0;
    for (const auto& [replica, n] : totals) sum += n;
    return sum;
  }
  friend bool operator==(const TotalsCounter&, const TotalsCounter&) = default;
  friend std::ostream& operator<<(std::ostream& os, const TotalsCounter& c) {
    os << "Counter{";
    const char* sep = "";
    for (const auto& [replica, n] : c.totals) {
      os << sep << 'r' << replica << ':' << n;
      sep = ", ";
    }
    return os << '}';
  }
};

/// A counter whose merge adds: right when every delta arrives exactly once, and only then.
struct SummingCounter {
  std::uint64_t total = 0;
  bool merge(const SummingCounter& other) {
    total += other.total;
    return other.total != 0;
  }
  SummingCounter increment(std::uint64_t n) {
    total += n;
    return {n};
  }
  friend bool operator==(const SummingCounter&, const SummingCounter&) = default;
  friend std::ostream& operator<<(std::ostream& os, const SummingCounter& c) {
    return os << "SummingCounter(" << c.total << ')';
  }
};

struct Increment {
  std::uint64_t n = 1;
  friend std::ostream& operator<<(std::ostream& os, const Increment& op) {
    return os << "increment(" << op.n << ')';
  }
};

/// The reference of counters: the increments, by operation id.
struct CounterReference {
  std::map<std::uint64_t, std::uint64_t> increments;
  void merge(const CounterReference& effect) {
    increments.insert(effect.increments.begin(), effect.increments.end());
  }
  std::uint64_t value() const {
    std::uint64_t sum = 0;
    for (const auto& [op_id, n] : increments) sum += n;
    return sum;
  }
};

// ---- a merge that is not commutative --------------------------------------------------------

/// Keeps its elements in arrival order: two replicas that received the same adds in different
/// orders hold the same elements, but are not equal.
struct ArrivalOrderSet {
  std::vector<int> elements;
  bool merge(const ArrivalOrderSet& other) {
    bool changed = false;
    for (const int x : other.elements) {
      if (std::find(elements.begin(), elements.end(), x) != elements.end()) continue;
      elements.push_back(x);
      changed = true;
    }
    return changed;
  }
  ArrivalOrderSet add(int x) {
    ArrivalOrderSet delta{{x}};
    merge(delta);
    return delta;
  }
  friend bool operator==(const ArrivalOrderSet&, const ArrivalOrderSet&) = default;
  friend std::ostream& operator<<(std::ostream& os, const ArrivalOrderSet& s) {
    return print_range(os << "ArrivalOrderSet", s.elements);
  }
};

inline rc::Gen<Add> small_adds() {
  return rc::gen::map(rc::gen::inRange(0, 10), [](int x) { return Add{x}; });
}

/// A dot-based type of a user's with no model: its dots cannot be made up, so it has no
/// operations, and neither has a product or a map of it (no Op, rather than a compile error).
struct NoOperations {
  using dotted_type = calm::lattices::Dotted<calm::lattices::DotSet<>>;
  calm::lattices::SetUnion<int> items;
  bool merge(const NoOperations& other) { return items.merge(other.items); }
  friend bool operator==(const NoOperations&, const NoOperations&) = default;
};
/// A struct of a sound CRDT and one whose delta is always empty: the composite's operations
/// come from its fields' (lattices/testing/mutators.hpp), and so does the bug.
struct TaggedSeen {
  BOOST_HANA_DEFINE_STRUCT(TaggedSeen, (calm::lattices::AWSet<int>, tags),
                           (IntGSet<GSetBug::delta_computed_after_insert>, seen));
  friend bool operator==(const TaggedSeen&, const TaggedSeen&) = default;
};

}  // namespace delta_harness

namespace calm::lattices::testing {

template <delta_harness::GSetBug bug>
struct DeltaCrdtModel<delta_harness::IntGSet<bug>> {
  using C = delta_harness::IntGSet<bug>;
  using Op = delta_harness::Add;
  using Reference = delta_harness::SetReference;
  using Observation = std::vector<int>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return delta_harness::small_adds(); }
  static C apply(C& crdt, std::uint64_t, const Op& op) { return crdt.add(op.x); }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t) {
    Reference effect{{op.x}};
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return {crdt.elements.begin(), crdt.elements.end()}; }
  static Observation observe(const Reference& ref) {
    return {ref.elements.begin(), ref.elements.end()};
  }
};

template <delta_harness::OrSetBug bug>
struct DeltaCrdtModel<delta_harness::NaiveOrSet<bug>> {
  using C = delta_harness::NaiveOrSet<bug>;
  using Op = delta_harness::OrSetOp;
  using Reference = delta_harness::OrSetReference;
  using Observation = std::vector<int>;

  // Four elements, so that adds and removes of the same element race often.
  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::map(rc::gen::pair(rc::gen::weightedOneOf<bool>(
                                          {{3, rc::gen::just(true)}, {2, rc::gen::just(false)}}),
                                      rc::gen::inRange(0, 4)),
                        [](std::pair<bool, int> p) {
                          return Op{p.first, p.second};
                        });
  }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return op.add ? crdt.add(replica, op.x) : crdt.remove(op.x);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    Reference effect;
    effect.tombstones = ref.live_tags(op.x);
    if (op.add) effect.adds.emplace(op_id, op.x);
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return crdt.elements(); }
  static Observation observe(const Reference& ref) { return ref.elements(); }
};

template <delta_harness::CounterBug bug>
struct DeltaCrdtModel<delta_harness::TotalsCounter<bug>> {
  using C = delta_harness::TotalsCounter<bug>;
  using Op = delta_harness::Increment;
  using Reference = delta_harness::CounterReference;
  using Observation = std::uint64_t;
  // A delta carries the replica's whole total: a replica that gets a later delta before an
  // earlier one reads increments its reference has not had yet.
  static constexpr bool compare_each_step = false;

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::map(rc::gen::inRange<std::uint64_t>(1, 4),
                        [](std::uint64_t n) { return Op{n}; });
  }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return crdt.increment(replica, op.n);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    Reference effect;
    effect.increments.emplace(op_id, op.n);
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return crdt.value(); }
  static Observation observe(const Reference& ref) { return ref.value(); }
};

template <>
struct DeltaCrdtModel<delta_harness::SummingCounter> {
  using C = delta_harness::SummingCounter;
  using Op = delta_harness::Increment;
  using Reference = delta_harness::CounterReference;
  using Observation = std::uint64_t;

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::map(rc::gen::inRange<std::uint64_t>(1, 4),
                        [](std::uint64_t n) { return Op{n}; });
  }
  static C apply(C& crdt, std::uint64_t, const Op& op) { return crdt.increment(op.n); }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    Reference effect;
    effect.increments.emplace(op_id, op.n);
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return crdt.total; }
  static Observation observe(const Reference& ref) { return ref.value(); }
};

template <>
struct DeltaCrdtModel<delta_harness::ArrivalOrderSet> {
  using C = delta_harness::ArrivalOrderSet;
  using Op = delta_harness::Add;
  using Reference = delta_harness::SetReference;
  using Observation = std::vector<int>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return delta_harness::small_adds(); }
  static C apply(C& crdt, std::uint64_t, const Op& op) { return crdt.add(op.x); }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t) {
    Reference effect{{op.x}};
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) {
    Observation sorted = crdt.elements;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }
  static Observation observe(const Reference& ref) {
    return {ref.elements.begin(), ref.elements.end()};
  }
};

}  // namespace calm::lattices::testing

namespace calm::lattices {
namespace {

using delta_harness::CounterBug;
using delta_harness::GSetBug;
using delta_harness::OrSetBug;
using ::testing::AnyOf;
using ::testing::HasSubstr;

using GSet = delta_harness::IntGSet<GSetBug::none>;
using OrSet = delta_harness::NaiveOrSet<OrSetBug::none>;
using Counter = delta_harness::TotalsCounter<CounterBug::none>;

static_assert(Lattice<GSet> && Lattice<OrSet> && Lattice<Counter>);

static_assert(Lattice<delta_harness::NoOperations> &&
              !testing::detail::has_mutators<delta_harness::NoOperations>);
static_assert(!testing::detail::has_mutators<std::pair<delta_harness::NoOperations, Max<int>>>);
static_assert(!testing::detail::has_mutators<Pair<Max<int>, delta_harness::NoOperations>>);
static_assert(testing::detail::has_mutators<std::pair<AWSet<int>, Max<int>>>);
static_assert(testing::detail::delta_crdt_model<OrSet>);
static_assert(!testing::detail::delta_crdt_model<delta_harness::SetReference>, "no model");

/// Runs the harness with the default 1000 cases and its report captured.
template <class C>
std::pair<bool, std::string> verdict(std::uint64_t seed = 0) {
  std::ostringstream report;
  const bool ok = testing::check_delta_crdt<C>({.seed = seed, .out = &report});
  return {ok, report.str()};
}

TEST(DeltaCrdtHarness, AcceptsAGrowOnlySet) { EXPECT_DELTA_CRDT(GSet); }

TEST(DeltaCrdtHarness, AcceptsANaiveAddWinsObservedRemoveSet) { ASSERT_DELTA_CRDT(OrSet); }

TEST(DeltaCrdtHarness, AcceptsACounterWhoseDeltasAreComparedOnlyOnceConverged) {
  EXPECT_DELTA_CRDT_WITH((testing::Options{.cases = 500}), Counter);
}

TEST(DeltaCrdtHarness, RejectsARemoveThatWipesAddsItNeverSaw) {
  const auto [ok, report] =
      verdict<delta_harness::NaiveOrSet<OrSetBug::remove_wipes_unobserved_adds>>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("law violated: replicas match the reference"));
}

TEST(DeltaCrdtHarness, RejectsAnAddDeltaWithoutTheDotsItReplaced) {
  const auto [ok, report] =
      verdict<delta_harness::NaiveOrSet<OrSetBug::add_delta_without_context>>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("law violated: a mutator's delta is its effect"));
}

TEST(DeltaCrdtHarness, RejectsAGrowOnlySetWhoseDeltaIsAlwaysEmpty) {
  const auto [ok, report] = verdict<delta_harness::IntGSet<GSetBug::delta_computed_after_insert>>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("law violated: a mutator's delta is its effect"));
}

TEST(DeltaCrdtHarness, RejectsACounterWhoseDeltaIsTheIncrementNotTheTotal) {
  const auto [ok, report] =
      verdict<delta_harness::TotalsCounter<CounterBug::delta_is_the_increment>>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("law violated: converged replicas match the reference"));
}

TEST(DeltaCrdtHarness, RejectsACounterThatCountsADuplicatedDeltaTwice) {
  // Caught at its first operation (its compare, derived from the summing merge, finds the
  // delta not below the state it came from), where a duplicate arrives, or else by joining
  // the full states (which adds them).
  const auto [ok, report] = verdict<delta_harness::SummingCounter>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, AnyOf(HasSubstr("law violated: a delta is below its state"),
                            HasSubstr("law violated: replicas match the reference"),
                            HasSubstr("law violated: delta and state replication agree")));
}

TEST(DeltaCrdtHarness, RejectsAMergeThatDependsOnArrivalOrder) {
  const auto [ok, report] = verdict<delta_harness::ArrivalOrderSet>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("law violated: replicas converge"));
}

TEST(DeltaCrdtHarness, AcceptsCompositesWithNoModelOfTheirOwn) {
  // Operations from the parts; the laws that need no reference: deltas below and equal to
  // their effects, convergence, the deltas making the state, delta and state replication.
  EXPECT_DELTA_CRDT(ORMap<std::string, MVRegister<std::string>>);
  EXPECT_DELTA_CRDT(Pair<GSet, PNCounter<>>);
}

TEST(DeltaCrdtHarness, RejectsAStructWithAFieldWhoseDeltaIsAlwaysEmpty) {
  const auto [ok, report] = verdict<delta_harness::TaggedSeen>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("law violated: a mutator's delta is its effect"));
  EXPECT_THAT(report, HasSubstr(" does .1 add("));  // the operation, on field 1
}

TEST(DeltaCrdtHarness, RejectsAMapOfValuesWhoseDeltaIsAlwaysEmpty) {
  const auto [ok, report] =
      verdict<MapUnion<int, delta_harness::IntGSet<GSetBug::delta_computed_after_insert>>>();
  EXPECT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("law violated: a mutator's delta is its effect"));
  EXPECT_THAT(report, HasSubstr(" does update("));
}

TEST(DeltaCrdtHarness, AReportShowsTheScheduleTheReplicaAndBothObservations) {
  const auto [ok, report] =
      verdict<delta_harness::NaiveOrSet<OrSetBug::remove_wipes_unobserved_adds>>(1);
  ASSERT_FALSE(ok);
  EXPECT_THAT(report, HasSubstr("delta CRDT convergence (seed 1, "));
  EXPECT_THAT(report, HasSubstr("replicas = "));
  EXPECT_THAT(report, HasSubstr("schedule:"));
  EXPECT_THAT(report, HasSubstr(" does add("));
  EXPECT_THAT(report, HasSubstr(" does remove("));
  EXPECT_THAT(report, HasSubstr(" receives m"));
  EXPECT_THAT(report, HasSubstr("diverged = r"));
  EXPECT_THAT(report, HasSubstr("observe(crdt) = ["));
  EXPECT_THAT(report, HasSubstr("observe(reference) = ["));
}

}  // namespace
}  // namespace calm::lattices

// ---- the example of docs/testing-your-lattice.md, "Testing a delta CRDT" ------------------

namespace guide {

// A grow-only set of tags: add(x) applies itself and returns the delta {x}.
struct Tags {
  std::set<int> items;
  bool merge(const Tags& other) {
    const std::size_t before = items.size();
    items.insert(other.items.begin(), other.items.end());
    return items.size() != before;
  }
  Tags add(int x) {
    Tags delta{{x}};
    merge(delta);
    return delta;
  }
  friend bool operator==(const Tags&, const Tags&) = default;
};

struct AddTag {
  int x = 0;
  friend std::ostream& operator<<(std::ostream& os, const AddTag& op) {
    return os << "add(" << op.x << ')';
  }
};

}  // namespace guide

template <>
struct calm::lattices::testing::DeltaCrdtModel<guide::Tags> {
  using Op = guide::AddTag;
  struct Reference {  // the tags added so far, as a plain set
    std::set<int> items;
    void merge(const Reference& effect) { items.insert(effect.items.begin(), effect.items.end()); }
  };
  using Observation = std::set<int>;

  static rc::Gen<Op> gen_op(std::uint64_t /*replica*/) {
    return rc::gen::map(rc::gen::inRange(0, 8), [](int x) { return Op{x}; });
  }
  static guide::Tags apply(guide::Tags& tags, std::uint64_t /*replica*/, const Op& op) {
    return tags.add(op.x);
  }
  static Reference apply(Reference& ref, std::uint64_t /*replica*/, const Op& op,
                         std::uint64_t /*op_id*/) {
    Reference effect{{op.x}};
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const guide::Tags& tags) { return tags.items; }
  static Observation observe(const Reference& ref) { return ref.items; }
};

TEST(DeltaCrdtHarness, TheGuidesExampleIsADeltaCrdt) { EXPECT_DELTA_CRDT(guide::Tags); }
