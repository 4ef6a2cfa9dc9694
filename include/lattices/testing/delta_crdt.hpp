#pragma once
/// check_delta_crdt<C>(): every mutator's delta, shipped over a faulty network, converges.
///
/// The harness runs random operation sequences at 2 to 5 replicas (Mutators<C>, mutators.hpp:
/// every library CRDT and every composite of them has them, and a user's own type gets them
/// from a DeltaCrdtModel<C>, below), ships each mutator's delta to the other replicas in random
/// order, duplicated, dropped and retransmitted, and joined into delta groups first; and checks
/// that all replicas end equal. Where C has a DeltaCrdtModel, a reference model of the type fed
/// the same operations checks what the replicas read, too.
///
///   TEST(MySet, IsADeltaCrdt) { EXPECT_DELTA_CRDT(MySet); }
///
/// The laws, each reported by name when it fails (see docs/testing-your-lattice.md):
///   a delta is below its state           after `d = apply(c, r, op)`, d <= c
///   a mutator's delta is its effect      after `d = apply(c, r, op)`, c == join(c before, d)
///   replicas match the reference         observe(c_r) == observe(ref_r) after every step
///                                        (model only; unless it sets compare_each_step = false)
///   replicas converge                    once every delta reached every replica, all c_r ==
///   converged replicas match the reference   ... and observe(c_r) == observe(ref_r) (model only)
///   the deltas make the state            the join of every delta == the converged state
///   delta and state replication agree    the join of all full states == the converged state
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lattices/testing/laws.hpp"
#include "lattices/testing/mutators.hpp"

namespace calm::lattices::testing {

/// What check_delta_crdt<C>() needs to know about C. Specialize it with these members:
///
///   using Op = ...;           // one mutator call, with its arguments; needs operator<<
///                             // (counterexamples print it)
///   using Reference = ...;    // the reference model at one replica: a plain, obviously right
///                             // value (an OR-set with tombstones, a list of increments, the
///                             // set of writes with what each overwrote). Needs a default
///                             // constructor (the initial state) and a member
///                             // `void merge(const Reference&)` that takes in an effect.
///   using Observation = ...;  // what a user reads (elements, value, ...); == and operator<<
///
///   // The operations replica `replica` (1..n) may issue; the generator may look at nothing
///   // but its argument.
///   static rc::Gen<Op> gen_op(std::uint64_t replica);
///   // Runs the mutator at `replica` and returns the delta it returned.
///   static C apply(C& crdt, std::uint64_t replica, const Op& op);
///   // Applies the same operation to the reference at `replica`; `op_id` is unique in the run
///   // (a tag for OR-set tombstones). Returns the effect to merge at the other replicas.
///   static Reference apply(Reference& ref, std::uint64_t replica, const Op& op,
///                          std::uint64_t op_id);
///   static Observation observe(const C& crdt);
///   static Observation observe(const Reference& ref);
///
///   // Optional. When true (the default), after every delivery each replica's observation
///   // must equal its reference's. Set it false for types whose deltas carry more than the
///   // operation's own effect (a counter's delta is the replica's whole running total), which
///   // are then compared once every delta has reached every replica.
///   static constexpr bool compare_each_step = true;
///
/// The harness feeds the references exactly once per effect: a replica's reference takes in
/// each other replica's effect once, however often the delta itself is duplicated or replayed,
/// and never its own (apply already changed it). So `Reference::merge` need not be
/// idempotent (a list of increments is fine), but it must not depend on the order in which
/// effects arrive: deltas are delivered in any order, not causally.
template <class C>
struct DeltaCrdtModel;

namespace detail {

template <class C, class M = DeltaCrdtModel<C>>
concept delta_crdt_model = requires(C& crdt, const C& state, typename M::Reference& ref,
                                    const typename M::Reference& effect, const typename M::Op& op,
                                    std::uint64_t id, std::ostream& os) {
  { M::gen_op(id) } -> std::convertible_to<rc::Gen<typename M::Op>>;
  { M::apply(crdt, id, op) } -> std::convertible_to<C>;
  { M::apply(ref, id, op, id) } -> std::convertible_to<typename M::Reference>;
  { M::observe(state) } -> std::convertible_to<typename M::Observation>;
  { M::observe(effect) } -> std::convertible_to<typename M::Observation>;
  ref.merge(effect);
  os << op;
}
&&std::default_initializable<typename M::Reference>&&
    std::equality_comparable<typename M::Observation>;

/// Text of any value for a report: operator<< (or field by field) where it exists, otherwise
/// RapidCheck's printer, which knows the standard containers (a std::vector<int> observation).
template <class T>
std::string text(const T& value) {
  std::ostringstream os;
  if constexpr (requires { os << value; } || ::calm::lattices::detail::is_product<T>) {
    ::calm::lattices::testing::detail::show(os, value);
  } else {
    rc::show(value, os);
  }
  return os.str();
}

template <class M>
constexpr bool compares_each_step() {
  if constexpr (requires { M::compare_each_step; }) {
    return static_cast<bool>(M::compare_each_step);
  } else {
    return true;
  }
}

// ---- the schedule, drawn as plain data first and then executed deterministically ----------
//
// Every choice is an index taken modulo what exists when the event runs, so that any value
// RapidCheck shrinks to (fewer events, smaller indices, fewer replicas) is still a schedule.

enum class Fault : std::uint8_t {
  none,        // delivered once
  duplicated,  // delivered twice in a row
  lost,        // dropped on the way: still undelivered, to be retransmitted later
  replayed,    // a late copy of deltas this replica already received
};

/// One packet on the wire: one delta, or several joined into one delta group.
struct Packet {
  /// Each pick is an index, modulo their count, into the messages still eligible (those the
  /// replica has not received, or for `replayed` those it has), in the order they were sent.
  std::vector<std::uint32_t> picks;
  Fault fault = Fault::none;
};

/// Some of the pending messages reach one replica.
struct Delivery {
  std::size_t to = 0;  // replica index, 0-based
  std::vector<Packet> packets;
};

template <class Op>
struct Issue {
  std::size_t at = 0;  // replica index, 0-based
  Op op;
};

template <class Op>
struct DeltaPlan {
  std::size_t replicas = 2;
  std::vector<std::variant<Delivery, Issue<Op>>> events;
  /// Used in turn, over and over, to order, group and duplicate the final retransmission
  /// (never to lose or replay: it must end). Empty: one message at a time, in sending order.
  std::vector<Packet> retransmission;

  /// RapidCheck prints the drawn plan; the report prints the schedule as it ran.
  friend std::ostream& operator<<(std::ostream& os, const DeltaPlan& plan) {
    std::size_t ops = 0;
    for (const auto& event : plan.events) ops += event.index() == 1 ? 1 : 0;
    return os << plan.replicas << " replicas, " << ops << " operations, "
              << plan.events.size() - ops << " deliveries (the report shows the schedule)";
  }
};

inline rc::Gen<Packet> packet_gen() {
  // Mostly single deltas; a quarter are groups of 2 or 3.
  auto picks = rc::gen::mapcat(
      rc::gen::weightedOneOf<std::size_t>(
          {{3, rc::gen::just<std::size_t>(1)}, {1, rc::gen::inRange<std::size_t>(2, 4)}}),
      [](std::size_t count) {
        return rc::gen::container<std::vector<std::uint32_t>>(
            count, rc::gen::inRange<std::uint32_t>(0, 1024));
      });
  auto fault = rc::gen::weightedOneOf<Fault>({{6, rc::gen::just(Fault::none)},
                                              {1, rc::gen::just(Fault::duplicated)},
                                              {1, rc::gen::just(Fault::lost)},
                                              {1, rc::gen::just(Fault::replayed)}});
  return rc::gen::map(rc::gen::pair(std::move(picks), std::move(fault)),
                      [](std::pair<std::vector<std::uint32_t>, Fault> p) {
                        return Packet{std::move(p.first), p.second};
                      });
}

template <class C>
rc::Gen<DeltaPlan<typename Mutators<C>::Op>> plan_gen() {
  using M = Mutators<C>;
  using Op = typename M::Op;
  using Event = std::variant<Delivery, Issue<Op>>;
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(2, 6), [](std::size_t replicas) {
    auto issue = rc::gen::mapcat(rc::gen::inRange<std::size_t>(0, replicas), [](std::size_t at) {
      return rc::gen::map(rc::Gen<Op>(M::gen_op(at + 1)), [at](Op op) {
        return Event{Issue<Op>{at, std::move(op)}};
      });
    });
    auto deliver =
        rc::gen::map(rc::gen::pair(rc::gen::inRange<std::size_t>(0, replicas),
                                   rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 5),
                                                   [](std::size_t count) {
                                                     return rc::gen::container<std::vector<Packet>>(
                                                         count, packet_gen());
                                                   })),
                     [](std::pair<std::size_t, std::vector<Packet>> d) {
                       return Event{Delivery{d.first, std::move(d.second)}};
                     });
    auto event = rc::gen::weightedOneOf<Event>({{3, std::move(issue)}, {2, std::move(deliver)}});
    // Up to size / 2 events, three in five of them operations: about 30 operations at most at
    // RapidCheck's default size of 100. The operations themselves are drawn at full size.
    return rc::gen::withSize([replicas, event](int size) {
      return rc::gen::map(
          rc::gen::pair(
              rc::gen::resize(size / 2,
                              rc::gen::container<std::vector<Event>>(rc::gen::resize(size, event))),
              rc::gen::resize(size / 4, rc::gen::container<std::vector<Packet>>(packet_gen()))),
          [replicas](std::pair<std::vector<Event>, std::vector<Packet>> p) {
            return DeltaPlan<Op>{replicas, std::move(p.first), std::move(p.second)};
          });
    });
  });
}

// ---- running a plan -------------------------------------------------------------------------

/// A type with no DeltaCrdtModel: no reference, and nothing read but the state itself.
struct NoReference {
  void merge(const NoReference&) {}
};
template <class C, bool = delta_crdt_model<C>>
struct ModelParts {
  using Reference = NoReference;
  static constexpr bool each_step = false;
};
template <class C>
struct ModelParts<C, true> {
  using Reference = typename DeltaCrdtModel<C>::Reference;
  static constexpr bool each_step = compares_each_step<DeltaCrdtModel<C>>();
};

/// Runs one plan at n replicas and reports the first broken law, with the schedule as it ran.
template <class C>
class DeltaRun {
  using M = DeltaCrdtModel<C>;  // used only where modelled
  using Op = typename Mutators<C>::Op;
  using Reference = typename ModelParts<C>::Reference;
  static constexpr bool modelled = delta_crdt_model<C>;
  static constexpr bool each_step = ModelParts<C>::each_step;

 public:
  explicit DeltaRun(const DeltaPlan<Op>& plan)
      : plan_(plan), crdts_(plan.replicas), refs_(plan.replicas) {}

  /// Runs the schedule, retransmits everything, and checks the final laws. RC_FAILs with the
  /// report at the first broken law.
  void run() {
    for (const auto& event : plan_.events) {
      if (const auto* issue = std::get_if<Issue<Op>>(&event)) {
        run_issue(*issue);
      } else {
        const auto& delivery = std::get<Delivery>(event);
        for (const Packet& packet : delivery.packets) deliver(delivery.to, packet, false);
      }
    }

    // State-based replication: every replica's full state, joined, before retransmission.
    C states = crdts_.front();
    for (std::size_t r = 1; r < crdts_.size(); ++r) ::calm::lattices::merge(states, crdts_[r]);

    retransmission_begins_ = steps_.size();
    std::size_t next = 0;
    for (std::size_t r = 0; r < crdts_.size(); ++r) {
      while (!eligible(r, false).empty()) {
        Packet packet{{0}, Fault::none};
        if (!plan_.retransmission.empty()) {
          packet = plan_.retransmission[next++ % plan_.retransmission.size()];
        }
        if (packet.fault == Fault::lost) packet.fault = Fault::none;
        if (packet.fault == Fault::replayed) packet.fault = Fault::duplicated;
        deliver(r, packet, true);
      }
    }

    for (std::size_t r = 1; r < crdts_.size(); ++r) {
      if (crdts_[r] == crdts_.front()) continue;
      Report report("replicas converge",
                    "once every delta reached every replica, all replicas are equal (==)");
      report.with("diverged", replica_name(r) + " differs from r1")
          .with("r1", text(crdts_.front()))
          .with(replica_name(r), text(crdts_[r]));
      if constexpr (modelled) {
        report.with("observe(r1)", text(M::observe(crdts_.front())))
            .with("observe(" + replica_name(r) + ")", text(M::observe(crdts_[r])));
      }
      fail(report);
    }
    if constexpr (modelled) {
      for (std::size_t r = 0; r < crdts_.size(); ++r) {
        const auto seen = M::observe(crdts_[r]);
        const auto expected = M::observe(refs_[r]);
        if (seen == expected) continue;
        fail(Report("converged replicas match the reference",
                    "once every delta reached every replica, observe(crdt) == "
                    "observe(reference) at each")
                 .with("diverged", replica_name(r))
                 .with("observe(crdt)", text(seen))
                 .with("observe(reference)", text(expected)));
      }
    }
    C deltas{};
    for (const Message& m : messages_) ::calm::lattices::merge(deltas, m.delta);
    if (!(deltas == crdts_.front())) {
      fail(Report("the deltas make the state",
                  "the join of every delta sent equals the state the replicas converge to")
               .with("join of every delta", text(deltas))
               .with("converged state", text(crdts_.front())));
    }
    if (!(states == crdts_.front())) {
      Report report("delta and state replication agree",
                    "the join of every replica's full state, taken before retransmission, "
                    "equals the state the replicas converge to by deltas");
      report.with("join of full states", text(states))
          .with("converged by deltas", text(crdts_.front()));
      if constexpr (modelled) {
        report.with("observe(join of full states)", text(M::observe(states)))
            .with("observe(converged by deltas)", text(M::observe(crdts_.front())));
      }
      fail(report);
    }
  }

 private:
  struct Message {
    std::size_t origin;
    C delta;
    Reference effect;
    std::vector<bool> received;  // per replica; the origin counts as having it
  };

  enum class StepKind : std::uint8_t { issue, packet, nothing_pending };
  struct Step {
    StepKind kind;
    std::size_t replica;
    const Op* op = nullptr;             // issue: the operation
    std::vector<std::size_t> messages;  // packet: indices into messages_
    Fault fault = Fault::none;
  };

  static std::string replica_name(std::size_t r) { return "r" + std::to_string(r + 1); }
  static std::string message_name(std::size_t m) { return "m" + std::to_string(m + 1); }

  void run_issue(const Issue<Op>& issue) {
    const std::size_t r = issue.at;
    const C before = crdts_[r];
    C delta = Mutators<C>::apply(crdts_[r], r + 1, issue.op);
    const std::uint64_t op_id = messages_.size() + 1;
    Reference effect{};
    if constexpr (modelled) effect = M::apply(refs_[r], r + 1, issue.op, op_id);
    steps_.push_back({StepKind::issue, r, &issue.op, {messages_.size()}, Fault::none});
    std::vector<bool> received(crdts_.size(), false);
    received[r] = true;
    messages_.push_back({r, std::move(delta), std::move(effect), std::move(received)});

    const C& sent = messages_.back().delta;
    const C expected = ::calm::lattices::join(before, sent);
    if (!(crdts_[r] == expected)) {
      fail(Report("a mutator's delta is its effect",
                  "after d = apply(crdt, r, op), crdt == join(crdt before the operation, d)")
               .with("at", replica_name(r))
               .with("op", text(issue.op))
               .with("crdt before", text(before))
               .with("returned delta d", text(sent))
               .with("crdt after", text(crdts_[r]))
               .with("join(crdt before, d)", text(expected)));
    }
    if (!below_or_equal(sent, crdts_[r])) {
      fail(Report("a delta is below its state",
                  "after d = apply(crdt, r, op), d <= crdt (compare(d, crdt) is less or equal)")
               .with("at", replica_name(r))
               .with("op", text(issue.op))
               .with("returned delta d", text(sent))
               .with("crdt after", text(crdts_[r]))
               .with("compare(d, crdt)", order_name(::calm::lattices::compare(sent, crdts_[r]))));
    }
    if constexpr (each_step) check_step(r);
  }

  /// The messages replica `to` may be sent: those it lacks, or (replay) those it has had from
  /// another replica.
  std::vector<std::size_t> eligible(std::size_t to, bool replay) const {
    std::vector<std::size_t> out;
    for (std::size_t m = 0; m < messages_.size(); ++m) {
      const bool had = messages_[m].received[to];
      if (replay ? had && messages_[m].origin != to : !had) out.push_back(m);
    }
    return out;
  }

  void deliver(std::size_t to, const Packet& packet, bool retransmitting) {
    Fault fault = packet.fault;
    std::vector<std::size_t> pool = eligible(to, fault == Fault::replayed);
    if (pool.empty() && fault == Fault::replayed) {
      fault = Fault::none;  // nothing to replay yet: an ordinary delivery
      pool = eligible(to, false);
    }
    if (pool.empty()) {
      if (!retransmitting) steps_.push_back({StepKind::nothing_pending, to, nullptr, {}, fault});
      return;
    }
    std::vector<std::size_t> chosen;
    for (const std::uint32_t pick : packet.picks) {
      if (pool.empty()) break;
      const auto at = pool.begin() + static_cast<std::ptrdiff_t>(pick % pool.size());
      chosen.push_back(*at);
      pool.erase(at);
    }
    if (chosen.empty()) chosen.push_back(pool.front());
    steps_.push_back({StepKind::packet, to, nullptr, chosen, fault});
    if (fault == Fault::lost) return;

    // A delta group is the join of its deltas, sent as one.
    C group = messages_[chosen.front()].delta;
    for (std::size_t i = 1; i < chosen.size(); ++i) {
      ::calm::lattices::merge(group, messages_[chosen[i]].delta);
    }
    const int copies = fault == Fault::duplicated ? 2 : 1;
    for (int copy = 0; copy < copies; ++copy) ::calm::lattices::merge(crdts_[to], group);
    for (const std::size_t m : chosen) {
      if (messages_[m].received[to]) continue;  // the reference takes each effect once
      refs_[to].merge(messages_[m].effect);
      messages_[m].received[to] = true;
    }
    if constexpr (each_step) check_step(to);
  }

  void check_step(std::size_t r) {
    const auto seen = M::observe(crdts_[r]);
    const auto expected = M::observe(refs_[r]);
    if (seen == expected) return;
    fail(Report("replicas match the reference",
                "observe(crdt) == observe(reference) at the replica that just changed")
             .with("diverged", replica_name(r) + " at the last step of the schedule")
             .with("observe(crdt)", text(seen))
             .with("observe(reference)", text(expected))
             .with("crdt", text(crdts_[r])));
  }

  void print_step(std::ostream& os, std::size_t index, const Step& step) const {
    os << "    " << index + 1 << ". ";
    switch (step.kind) {
      case StepKind::issue:
        os << replica_name(step.replica) << " does ";
        os << text(*step.op);
        os << " -> " << message_name(step.messages.front());
        break;
      case StepKind::nothing_pending:
        os << replica_name(step.replica) << ": nothing to deliver";
        break;
      case StepKind::packet: {
        os << replica_name(step.replica);
        os << (step.fault == Fault::lost ? " loses " : " receives ");
        if (step.messages.size() > 1) os << '{';
        const char* sep = "";
        for (const std::size_t m : step.messages) {
          os << sep << message_name(m);
          sep = ", ";
        }
        if (step.messages.size() > 1) os << "} joined into one delta group";
        if (step.fault == Fault::duplicated) os << ", twice";
        if (step.fault == Fault::replayed) os << " again (a late duplicate)";
        if (step.fault == Fault::lost) os << " (to be retransmitted)";
        break;
      }
    }
    os << '\n';
  }

  [[noreturn]] void fail(const Report& report) {
    std::ostringstream os;
    os << report.str();
    os << "  replicas = " << crdts_.size() << " (r1..r" << crdts_.size()
       << "); mK is the delta of the K-th operation\n  schedule:\n";
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      if (i == retransmission_begins_) os << "  retransmission of every missing delta:\n";
      print_step(os, i, steps_[i]);
    }
    RC_FAIL(os.str());
  }

  const DeltaPlan<Op>& plan_;
  std::vector<C> crdts_;
  std::vector<Reference> refs_;
  std::vector<Message> messages_;
  std::vector<Step> steps_;
  std::size_t retransmission_begins_ = static_cast<std::size_t>(-1);
};

}  // namespace detail

/// Checks that C's deltas replicate: random operations at 2 to 5 replicas, their deltas
/// delivered in random order, duplicated, lost and retransmitted, replayed late, and joined
/// into delta groups; against DeltaCrdtModel<C>'s reference where C has one. One RapidCheck
/// property of `options.cases` schedules; returns false after printing the shrunk schedule and
/// the law it broke.
template <class C>
bool check_delta_crdt(Options options = {}) {
  static_assert(Lattice<C>, "check_delta_crdt<C>: C must be a lattice (see lattices/core.hpp)");
  static_assert(detail::has_mutators<C>,
                "check_delta_crdt<C>: C has no operations to issue. Composites of library types "
                "get them (lattices/testing/mutators.hpp); for a type of your own, specialize "
                "calm::lattices::testing::DeltaCrdtModel<C> (Op, Reference, Observation, gen_op, "
                "apply for C and for Reference, observe for both), as documented in "
                "lattices/testing/delta_crdt.hpp, or Mutators<C>");
  static_assert(!detail::model_mutators<C> || detail::delta_crdt_model<C>,
                "check_delta_crdt<C>: DeltaCrdtModel<C> is incomplete: it has Op, gen_op and "
                "apply for C, but not all of Reference, Observation, apply for Reference and "
                "observe for both (see lattices/testing/delta_crdt.hpp)");
  if constexpr (Lattice<C> && detail::has_mutators<C>) {
    return detail::run_law(detail::type_label<C>(), "delta CRDT convergence", options, [] {
      const auto plan = *detail::plan_gen<C>();
      detail::DeltaRun<C>(plan).run();
    });
  } else {
    return false;
  }
}

/// Everything a CRDT must pass: check_lattice<C>() and check_delta_crdt<C>(), both run (so that
/// one failure does not hide the other). For a composite of library types, nothing else is
/// needed: its generators and operations compose from its parts.
template <class C>
bool check_crdt(Options options = {}) {
  const bool lattice = check_lattice<C>(options);
  const bool replicates = check_delta_crdt<C>(options);
  return lattice && replicates;
}

}  // namespace calm::lattices::testing

/// GoogleTest wrappers (include <gtest/gtest.h> first). The type may contain commas.
#define EXPECT_CRDT(...) EXPECT_TRUE((::calm::lattices::testing::check_crdt<__VA_ARGS__>()))
#define EXPECT_CRDT_WITH(options, ...) \
  EXPECT_TRUE((::calm::lattices::testing::check_crdt<__VA_ARGS__>(options)))
#define EXPECT_DELTA_CRDT(...) \
  EXPECT_TRUE((::calm::lattices::testing::check_delta_crdt<__VA_ARGS__>()))
#define ASSERT_DELTA_CRDT(...) \
  ASSERT_TRUE((::calm::lattices::testing::check_delta_crdt<__VA_ARGS__>()))
#define EXPECT_DELTA_CRDT_WITH(options, ...) \
  EXPECT_TRUE((::calm::lattices::testing::check_delta_crdt<__VA_ARGS__>(options)))
#define ASSERT_DELTA_CRDT_WITH(options, ...) \
  ASSERT_TRUE((::calm::lattices::testing::check_delta_crdt<__VA_ARGS__>(options)))
