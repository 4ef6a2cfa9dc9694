#pragma once
/// rc::Arbitrary for HlcTimestamp and the CRDTs of counters, registers, the two-phase set and
/// Causal, and their DeltaCrdtModel specializations for check_delta_crdt.
///
/// Values are built the way replicas build them: random mutations at a few replicas (replica
/// ids, elements and timestamps from small ranges, so that they collide), then joined.
#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "lattices/causal.hpp"
#include "lattices/g_counter.hpp"
#include "lattices/hybrid_clock.hpp"
#include "lattices/lww_register.hpp"
#include "lattices/pn_counter.hpp"
#include "lattices/serialize.hpp"
#include "lattices/testing/delta_crdt.hpp"
#include "lattices/testing/laws.hpp"
#include "lattices/two_p_set.hpp"

namespace calm::lattices::testing::detail {

/// Timestamps from a few milliseconds and logical counters, so that writes tie; now and then
/// a logical counter at its maximum, where the clock must carry into the wall time.
inline rc::Gen<HlcTimestamp> small_timestamp() {
  return rc::gen::weightedOneOf<HlcTimestamp>(
      {{6, rc::gen::construct<HlcTimestamp>(rc::gen::inRange<std::uint64_t>(0, 4),
                                            rc::gen::inRange<std::uint32_t>(0, 3))},
       {1, rc::gen::construct<HlcTimestamp>(rc::gen::inRange<std::uint64_t>(0, 4),
                                            rc::gen::just(UINT32_MAX))},
       {1, rc::gen::construct<HlcTimestamp>(rc::gen::arbitrary<std::uint64_t>(),
                                            rc::gen::arbitrary<std::uint32_t>())}});
}

/// The number of replica states a generated value is joined from.
inline constexpr std::size_t generated_replicas = 3;

/// Applies `apply(replica_state, op)` for each op at its replica, then joins the replicas.
template <class C, class Op, class Apply>
C join_replicas(const std::vector<std::pair<std::size_t, Op>>& ops, Apply apply) {
  std::vector<C> replicas(generated_replicas);
  for (const auto& [replica, op] : ops) apply(replicas[replica % generated_replicas], op);
  C out{};
  for (C& r : replicas) ::calm::lattices::merge(out, std::move(r));
  return out;
}

template <class Op>
rc::Gen<std::vector<std::pair<std::size_t, Op>>> replica_ops(rc::Gen<Op> op) {
  return rc::gen::resize(
      12, rc::gen::container<std::vector<std::pair<std::size_t, Op>>>(
              rc::gen::pair(rc::gen::inRange<std::size_t>(0, generated_replicas), std::move(op))));
}

/// Observations that need a printable wrapper (std::optional and std::vector have no <<).
template <class T>
struct Shown {
  T value;
  friend bool operator==(const Shown&, const Shown&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Shown& s) {
    if constexpr (requires { s.value.has_value(); }) {
      if (!s.value) return os << "nullopt";
      show(os, *s.value);
      return os;
    } else {
      os << '[';
      const char* sep = "";
      for (const auto& x : s.value) {
        os << sep;
        show(os, x);
        sep = ", ";
      }
      return os << ']';
    }
  }
};

/// What a user reads from an LWWRegister: the value and the timestamp that won.
template <class T>
struct LwwRead {
  T value;
  HlcTimestamp timestamp;
  friend bool operator==(const LwwRead&, const LwwRead&) = default;
  friend std::ostream& operator<<(std::ostream& os, const LwwRead& r) {
    show(os, r.value);
    return os << " @ " << r.timestamp;
  }
};

}  // namespace calm::lattices::testing::detail

namespace rc {

template <>
struct Arbitrary<calm::lattices::HlcTimestamp> {
  static Gen<calm::lattices::HlcTimestamp> arbitrary() {
    return calm::lattices::testing::detail::small_timestamp();
  }
};

template <class Id>
struct Arbitrary<calm::lattices::GCounter<Id>> {
  static Gen<calm::lattices::GCounter<Id>> arbitrary() {
    namespace d = calm::lattices::testing::detail;
    using Op = std::pair<Id, std::uint64_t>;
    return gen::map(d::replica_ops(gen::pair(d::element<Id>(), gen::inRange<std::uint64_t>(0, 5))),
                    [](const std::vector<std::pair<std::size_t, Op>>& ops) {
                      return d::join_replicas<calm::lattices::GCounter<Id>>(
                          ops, [](auto& c, const Op& op) { c.increment(op.first, op.second); });
                    });
  }
};

template <class Id>
struct Arbitrary<calm::lattices::PNCounter<Id>> {
  static Gen<calm::lattices::PNCounter<Id>> arbitrary() {
    namespace d = calm::lattices::testing::detail;
    using Op = std::tuple<bool, Id, std::uint64_t>;  // (decrement?, replica, amount)
    return gen::map(d::replica_ops(gen::tuple(gen::arbitrary<bool>(), d::element<Id>(),
                                              gen::inRange<std::uint64_t>(0, 5))),
                    [](const std::vector<std::pair<std::size_t, Op>>& ops) {
                      return d::join_replicas<calm::lattices::PNCounter<Id>>(
                          ops, [](auto& c, const Op& op) {
                            const auto& [down, id, n] = op;
                            if (down) {
                              c.decrement(id, n);
                            } else {
                              c.increment(id, n);
                            }
                          });
                    });
  }
};

template <class T, class Id>
struct Arbitrary<calm::lattices::LWWRegister<T, Id>> {
  static Gen<calm::lattices::LWWRegister<T, Id>> arbitrary() {
    namespace d = calm::lattices::testing::detail;
    using Op = std::tuple<Id, T, calm::lattices::HlcTimestamp>;
    return gen::map(
        d::replica_ops(gen::tuple(d::element<Id>(), d::element<T>(), d::small_timestamp())),
        [](const std::vector<std::pair<std::size_t, Op>>& ops) {
          return d::join_replicas<calm::lattices::LWWRegister<T, Id>>(
              ops, [](auto& r, const Op& op) {
                const auto& [id, value, timestamp] = op;
                r.write(id, value, timestamp);
              });
        });
  }
};

template <class T>
struct Arbitrary<calm::lattices::TwoPSet<T>> {
  static Gen<calm::lattices::TwoPSet<T>> arbitrary() {
    namespace d = calm::lattices::testing::detail;
    using Op = std::pair<bool, T>;  // (remove?, element)
    return gen::map(
        d::replica_ops(
            gen::pair(gen::weightedOneOf<bool>({{3, gen::just(false)}, {1, gen::just(true)}}),
                      d::element<T>())),
        [](const std::vector<std::pair<std::size_t, Op>>& ops) {
          return d::join_replicas<calm::lattices::TwoPSet<T>>(ops, [](auto& s, const Op& op) {
            if (op.first) {
              s.remove(op.second);
            } else {
              s.add(op.second);
            }
          });
        });
  }
};

template <class L, class Id>
struct Arbitrary<calm::lattices::Causal<L, Id>> {
  static Gen<calm::lattices::Causal<L, Id>> arbitrary() {
    namespace d = calm::lattices::testing::detail;
    using C = calm::lattices::Causal<L, Id>;
    // Each op writes at one replica state, or copies another's state into it (a sync), so that
    // values hold both concurrent and superseded versions. Replica ids are drawn independently
    // of the replica state, so two states sometimes write with the same id and clock: equal
    // clocks with different values, which merge must join.
    using Op = std::tuple<bool, std::size_t, Id, L>;  // (sync?, from, id, value)
    return gen::map(d::replica_ops(gen::tuple(
                        gen::weightedOneOf<bool>({{3, gen::just(false)}, {1, gen::just(true)}}),
                        gen::inRange<std::size_t>(0, d::generated_replicas),
                        gen::resize(4, d::element<Id>()), d::nested<L>())),
                    [](const std::vector<std::pair<std::size_t, Op>>& ops) {
                      std::vector<C> replicas(d::generated_replicas);
                      for (const auto& [at, op] : ops) {
                        const auto& [sync, from, id, value] = op;
                        if (sync) {
                          replicas[at].merge(replicas[from]);
                        } else {
                          replicas[at].write(id, value);
                        }
                      }
                      // One replica's view, or the join of all.
                      C out = replicas[0];
                      if (!ops.empty() && ops.front().first == 0) return out;
                      for (C& r : replicas) out.merge(std::move(r));
                      return out;
                    });
  }
};

}  // namespace rc

// ---- reference models for check_delta_crdt --------------------------------------------------

namespace calm::lattices::testing {

namespace detail {

/// A counter's reference: every operation, by its unique id, with its signed amount.
struct CounterReference {
  std::map<std::uint64_t, std::int64_t> amounts;  // op_id -> +n or -n
  void merge(const CounterReference& other) {
    amounts.insert(other.amounts.begin(), other.amounts.end());
  }
  std::int64_t sum() const {
    std::int64_t total = 0;
    for (const auto& [op_id, n] : amounts) total += n;
    return total;
  }
};

struct CounterOp {
  bool decrement = false;
  std::uint64_t amount = 0;
  friend std::ostream& operator<<(std::ostream& os, const CounterOp& op) {
    return os << (op.decrement ? "decrement(" : "increment(") << op.amount << ')';
  }
};

}  // namespace detail

template <>
struct DeltaCrdtModel<GCounter<std::uint64_t>> {
  using C = GCounter<std::uint64_t>;
  using Op = detail::CounterOp;
  using Reference = detail::CounterReference;
  using Observation = std::uint64_t;
  static constexpr bool compare_each_step = false;  // a delta is the replica's whole total

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::construct<Op>(rc::gen::just(false), rc::gen::inRange<std::uint64_t>(0, 6));
  }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return crdt.increment(replica, op.amount);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    Reference effect;
    effect.amounts[op_id] = static_cast<std::int64_t>(op.amount);
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return crdt.value(); }
  static Observation observe(const Reference& ref) { return static_cast<std::uint64_t>(ref.sum()); }
};

template <>
struct DeltaCrdtModel<PNCounter<std::uint64_t>> {
  using C = PNCounter<std::uint64_t>;
  using Op = detail::CounterOp;
  using Reference = detail::CounterReference;
  using Observation = std::int64_t;
  static constexpr bool compare_each_step = false;

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::construct<Op>(rc::gen::arbitrary<bool>(),
                                  rc::gen::inRange<std::uint64_t>(0, 6));
  }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return op.decrement ? crdt.decrement(replica, op.amount) : crdt.increment(replica, op.amount);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    Reference effect;
    const auto n = static_cast<std::int64_t>(op.amount);
    effect.amounts[op_id] = op.decrement ? -n : n;
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return crdt.value(); }
  static Observation observe(const Reference& ref) { return ref.sum(); }
};

template <class T>
struct DeltaCrdtModel<LWWRegister<T, std::uint64_t>> {
  using C = LWWRegister<T, std::uint64_t>;
  struct Op {
    T value;
    HlcTimestamp timestamp;
    friend std::ostream& operator<<(std::ostream& os, const Op& op) {
      os << "write(";
      detail::show(os, op.value);
      return os << ", " << op.timestamp << ')';
    }
  };
  /// Every write delivered here: (timestamp, replica, value).
  struct Reference {
    std::set<std::tuple<HlcTimestamp, std::uint64_t, T>> writes;
    void merge(const Reference& other) { writes.insert(other.writes.begin(), other.writes.end()); }
  };
  using Observation = detail::Shown<std::optional<detail::LwwRead<T>>>;

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::construct<Op>(detail::element<T>(), detail::small_timestamp());
  }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return crdt.write(replica, op.value, op.timestamp);
  }
  static Reference apply(Reference& ref, std::uint64_t replica, const Op& op, std::uint64_t) {
    Reference effect;
    effect.writes.emplace(op.timestamp, replica, op.value);
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) {
    if (!crdt.value()) return {std::nullopt};
    return {detail::LwwRead<T>{*crdt.value(), crdt.timestamp()}};
  }
  static Observation observe(const Reference& ref) {
    if (ref.writes.empty()) return {std::nullopt};
    const auto& [timestamp, replica, value] = *ref.writes.rbegin();  // the greatest write
    return {detail::LwwRead<T>{value, timestamp}};
  }
};

template <class T>
struct DeltaCrdtModel<TwoPSet<T>> {
  using C = TwoPSet<T>;
  struct Op {
    bool remove = false;
    T element;
    friend std::ostream& operator<<(std::ostream& os, const Op& op) {
      os << (op.remove ? "remove(" : "add(");
      detail::show(os, op.element);
      return os << ')';
    }
  };
  /// Every add and every remove delivered here.
  struct Reference {
    std::set<T> adds;
    std::set<T> removes;
    void merge(const Reference& other) {
      adds.insert(other.adds.begin(), other.adds.end());
      removes.insert(other.removes.begin(), other.removes.end());
    }
  };
  using Observation = detail::Shown<std::vector<T>>;

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::construct<Op>(
        rc::gen::weightedOneOf<bool>({{2, rc::gen::just(false)}, {1, rc::gen::just(true)}}),
        detail::element<T>());
  }
  static C apply(C& crdt, std::uint64_t, const Op& op) {
    return op.remove ? crdt.remove(op.element) : crdt.add(op.element);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t) {
    Reference effect;
    (op.remove ? effect.removes : effect.adds).insert(op.element);
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return {crdt.elements()}; }
  static Observation observe(const Reference& ref) {
    std::vector<T> out;
    for (const T& x : ref.adds) {
      if (!ref.removes.contains(x)) out.push_back(x);
    }
    return {out};
  }
};

template <class L>
struct DeltaCrdtModel<Causal<L, std::uint64_t>> {
  using C = Causal<L, std::uint64_t>;
  struct Op {
    L value;
    friend std::ostream& operator<<(std::ostream& os, const Op& op) {
      os << "write(";
      detail::show(os, op.value);
      return os << ')';
    }
  };
  struct Write {
    L value;
    std::set<std::uint64_t> observed;  // op ids in this write's causal past
  };
  /// Every write delivered here, by op id, with the writes it had observed.
  struct Reference {
    std::map<std::uint64_t, Write> writes;
    void merge(const Reference& other) { writes.insert(other.writes.begin(), other.writes.end()); }
  };
  /// The values of the writes no other delivered write observed, sorted by their encoding
  /// (L need not be totally ordered).
  using Observation = detail::Shown<std::vector<L>>;

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::construct<Op>(rc::gen::resize(4, rc::gen::arbitrary<L>()));
  }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return crdt.write(replica, op.value);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    Write w{op.value, {}};
    for (const auto& [id, seen] : ref.writes) {
      w.observed.insert(id);
      w.observed.insert(seen.observed.begin(), seen.observed.end());
    }
    Reference effect;
    effect.writes.emplace(op_id, std::move(w));
    ref.merge(effect);
    return effect;
  }
  static Observation observe(const C& crdt) { return sorted(crdt.values()); }
  static Observation observe(const Reference& ref) {
    std::vector<L> out;
    for (const auto& write : ref.writes) {
      const std::uint64_t id = write.first;
      const bool superseded =
          std::any_of(ref.writes.begin(), ref.writes.end(),
                      [&](const auto& other) { return other.second.observed.contains(id); });
      if (!superseded) out.push_back(write.second.value);
    }
    return sorted(std::move(out));
  }

 private:
  static Observation sorted(std::vector<L> values) {
    std::sort(values.begin(), values.end(), [](const L& a, const L& b) {
      return ::calm::lattices::to_bytes(a) < ::calm::lattices::to_bytes(b);
    });
    return {std::move(values)};
  }
};

}  // namespace calm::lattices::testing
