#pragma once
/// rc::Arbitrary and DeltaCrdtModel for the causality types and the dot-based CRDTs.
///
/// Arbitrary values of a CRDT are joins of deltas and states recorded from one fixed random
/// history (see history() below), so that contexts get gaps and elements concurrent tags, as
/// on a real network, and a dot always names the same event.
///
/// The reference models are tagged histories: every operation is a tag (its op id), and an
/// operation that supersedes or removes what it saw tombstones the tags it saw. Nothing is
/// ever forgotten, so the model is obviously right, and slow.
#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/aw_set.hpp"
#include "lattices/dot_context.hpp"
#include "lattices/dot_store.hpp"
#include "lattices/dw_flag.hpp"
#include "lattices/ew_flag.hpp"
#include "lattices/mv_register.hpp"
#include "lattices/or_map.hpp"
#include "lattices/pn_counter.hpp"
#include "lattices/random.hpp"
#include "lattices/rw_set.hpp"
#include "lattices/testing/delta_crdt.hpp"
#include "lattices/testing/laws.hpp"

namespace calm::lattices::testing::detail {

/// One fixed history of a CRDT type: 160 random operations (Mutators<C>) at four replicas, each
/// delta reaching each other replica with probability 1/2, and now and then two replicas syncing
/// whole states. It records every delta and some full states.
///
/// Values are drawn from one history because a dot names one event: two values generated
/// apart would give the same dot to different events, which no run can produce (and on which
/// atoms, deltas and even commutativity of DotFun rightly fail).
template <class C>
const std::vector<C>& history() {
  static const std::vector<C> recorded = [] {
    using Ops = Mutators<C>;
    SplitMix64 rng(0xca1a'5eed);
    std::array<C, 4> replicas;
    std::vector<C> out;
    for (int i = 0; i < 160; ++i) {
      const std::uint64_t r = 1 + rng.below(replicas.size());
      const auto op = Ops::gen_op(r)(rc::Random(rng.next()), 10).value();
      C delta = Ops::apply(replicas[r - 1], r, op);
      for (std::size_t k = 0; k < replicas.size(); ++k) {
        if (k != r - 1 && rng.chance(0.5)) replicas[k].merge(delta);
      }
      out.push_back(std::move(delta));
      if (rng.below(10) == 0) replicas[rng.below(4)].merge(replicas[rng.below(4)]);
      if (rng.below(8) == 0) out.push_back(replicas[rng.below(4)]);
    }
    return out;
  }();
  return recorded;
}

/// A CRDT value: the join of a random handful of the recorded deltas and states.
template <class C>
rc::Gen<C> replayed() {
  return rc::gen::withSize([](int size) {
    const std::size_t most = 1 + static_cast<std::size_t>(size) / 12;
    return rc::gen::map(rc::gen::container<std::vector<std::size_t>>(
                            rc::gen::inRange<std::size_t>(0, history<C>().size())),
                        [most](const std::vector<std::size_t>& picks) {
                          C value;
                          for (std::size_t i = 0; i < picks.size() && i < most; ++i) {
                            value.merge(history<C>()[picks[i]]);
                          }
                          return value;
                        });
  });
}

/// The reference model of every dot-based CRDT: tags that are never forgotten, and the
/// tombstones of the tags that later operations saw and removed or superseded.
template <class Payload>
struct TaggedHistory {
  std::map<std::uint64_t, Payload> tags;
  std::set<std::uint64_t> tombstones;

  void merge(const TaggedHistory& other) {
    tags.insert(other.tags.begin(), other.tags.end());
    tombstones.insert(other.tombstones.begin(), other.tombstones.end());
  }
  bool visible(std::uint64_t tag) const { return !tombstones.contains(tag); }
  /// Tombstones (in this replica and in the returned effect) the visible tags matching `pred`.
  template <class Pred>
  TaggedHistory remove_if(Pred pred) {
    TaggedHistory effect;
    for (const auto& [tag, payload] : tags) {
      if (visible(tag) && pred(payload)) effect.tombstones.insert(tag);
    }
    merge(effect);
    return effect;
  }
  /// remove_if(pred), and a new tag.
  template <class Pred>
  TaggedHistory supersede_if(Pred pred, std::uint64_t tag, Payload payload) {
    TaggedHistory effect = remove_if(pred);
    effect.tags.emplace(tag, std::move(payload));
    merge(effect);
    return effect;
  }
  template <class F>
  void for_visible(F f) const {
    for (const auto& [tag, payload] : tags) {
      if (visible(tag)) f(payload);
    }
  }
};

template <class T>
std::vector<T> sorted_unique(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// An operation on a set or flag: its kind and its argument.
template <class T>
struct SetOp {
  enum Kind { add, remove, clear } kind = add;
  T x{};
  friend std::ostream& operator<<(std::ostream& os, const SetOp& op) {
    const char* names[] = {"add", "remove", "clear"};
    os << names[op.kind];
    if (op.kind != clear) os << '(' << op.x << ')';
    return os;
  }
};

template <class T>
rc::Gen<SetOp<T>> gen_set_op(bool with_clear) {
  return rc::gen::apply(
      [](int kind, T x) {
        return SetOp<T>{static_cast<typename SetOp<T>::Kind>(kind), x};
      },
      rc::gen::weightedElement<int>(
          {{5, SetOp<T>::add}, {3, SetOp<T>::remove}, {with_clear ? 1 : 0, SetOp<T>::clear}}),
      small_element<T>());
}

/// A value of an ORMap model: an operation on key `key` (and inner key `x`).
struct MapOp {
  enum Kind { inner_add, inner_remove, remove_key } kind = inner_add;
  int key = 0;
  int x = 0;
  friend std::ostream& operator<<(std::ostream& os, const MapOp& op) {
    const char* names[] = {"update-add", "update-remove", "remove"};
    os << names[op.kind] << '(' << op.key;
    if (op.kind != remove_key) os << ", " << op.x;
    return os << ')';
  }
};

inline rc::Gen<MapOp> gen_map_op() {
  return rc::gen::apply(
      [](int kind, int key, int x) {
        return MapOp{static_cast<MapOp::Kind>(kind), key, x};
      },
      rc::gen::weightedElement<int>(
          {{5, MapOp::inner_add}, {2, MapOp::inner_remove}, {2, MapOp::remove_key}}),
      rc::gen::inRange(0, 3), rc::gen::inRange(0, 4));
}

}  // namespace calm::lattices::testing::detail

namespace calm::lattices::testing {

template <class T, class Id>
struct DeltaCrdtModel<AWSet<T, Id>> {
  using Op = detail::SetOp<T>;
  using Reference = detail::TaggedHistory<T>;
  using Observation = std::vector<T>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::gen_set_op<T>(true); }
  static AWSet<T, Id> apply(AWSet<T, Id>& s, std::uint64_t r, const Op& op) {
    switch (op.kind) {
      case Op::add:
        return s.add(detail::replica_id<Id>(r), op.x);
      case Op::remove:
        return s.remove(op.x);
      case Op::clear:
        break;
    }
    return s.clear();
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    auto same = [&](const T& x) { return x == op.x; };
    switch (op.kind) {
      case Op::add:
        return ref.supersede_if(same, op_id, op.x);
      case Op::remove:
        return ref.remove_if(same);
      case Op::clear:
        break;
    }
    return ref.remove_if([](const T&) { return true; });
  }
  static Observation observe(const AWSet<T, Id>& s) { return s.elements(); }
  static Observation observe(const Reference& ref) {
    Observation out;
    ref.for_visible([&](const T& x) { out.push_back(x); });
    return detail::sorted_unique(std::move(out));
  }
};

template <class T, class Id>
struct DeltaCrdtModel<RWSet<T, Id>> {
  using Op = detail::SetOp<T>;
  using Reference = detail::TaggedHistory<std::pair<T, bool>>;  // (element, is add)
  using Observation = std::vector<T>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::gen_set_op<T>(false); }
  static RWSet<T, Id> apply(RWSet<T, Id>& s, std::uint64_t r, const Op& op) {
    const Id id = detail::replica_id<Id>(r);
    return op.kind == Op::add ? s.add(id, op.x) : s.remove(id, op.x);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    return ref.supersede_if([&](const auto& tag) { return tag.first == op.x; }, op_id,
                            {op.x, op.kind == Op::add});
  }
  static Observation observe(const RWSet<T, Id>& s) { return s.elements(); }
  static Observation observe(const Reference& ref) {
    std::map<T, bool> present;  // element -> no visible remove tag
    ref.for_visible([&](const auto& tag) {
      auto [it, fresh] = present.emplace(tag.first, tag.second);
      if (!fresh) it->second = it->second && tag.second;
    });
    Observation out;
    for (const auto& [x, in] : present) {
      if (in) out.push_back(x);
    }
    return out;
  }
};

/// Flags: Op::add is the flag's own-dot operation (enable for EWFlag, disable for DWFlag).
template <class Flag>
struct FlagModel {
  using Op = detail::SetOp<int>;
  using Reference = detail::TaggedHistory<int>;
  using Observation = bool;
  static constexpr bool enable_wins = requires(Flag f) { f.enable(std::uint64_t{}); };

  static rc::Gen<Op> gen_op(std::uint64_t) {
    return rc::gen::map(rc::gen::inRange(0, 2), [](int k) {
      return Op{k == 0 ? Op::add : Op::remove, 0};
    });
  }
  static Flag apply(Flag& f, std::uint64_t r, const Op& op) {
    using Id = typename Flag::id_type;
    if constexpr (enable_wins) {
      return op.kind == Op::add ? f.enable(detail::replica_id<Id>(r)) : f.disable();
    } else {
      return op.kind == Op::add ? f.disable(detail::replica_id<Id>(r)) : f.enable();
    }
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    auto all = [](int) { return true; };
    return op.kind == Op::add ? ref.supersede_if(all, op_id, 0) : ref.remove_if(all);
  }
  static Observation observe(const Flag& f) { return f.value(); }
  static Observation observe(const Reference& ref) {
    bool any = false;
    ref.for_visible([&](int) { any = true; });
    return enable_wins ? any : !any;
  }
};

template <class Id>
struct DeltaCrdtModel<EWFlag<Id>> : FlagModel<EWFlag<Id>> {};
template <class Id>
struct DeltaCrdtModel<DWFlag<Id>> : FlagModel<DWFlag<Id>> {};

template <class T, class Id>
struct DeltaCrdtModel<MVRegister<T, Id>> {
  using Op = T;  // write(op)
  using Reference = detail::TaggedHistory<T>;
  using Observation = std::vector<T>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::small_element<T>(); }
  static MVRegister<T, Id> apply(MVRegister<T, Id>& reg, std::uint64_t r, const Op& v) {
    return reg.write(detail::replica_id<Id>(r), v);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& v, std::uint64_t op_id) {
    return ref.supersede_if([](const T&) { return true; }, op_id, v);
  }
  static Observation observe(const MVRegister<T, Id>& reg) { return reg.values(); }
  static Observation observe(const Reference& ref) {
    Observation out;
    ref.for_visible([&](const T& v) { out.push_back(v); });
    return detail::sorted_unique(std::move(out));
  }
};

/// ORMap of AWSets: update-add and update-remove act on the nested set; remove drops the key.
namespace detail {
/// The reference of a map of sets of ints, as (key, element) pairs: what both ORMap<int,
/// AWSet<int>> and ORMap<int, ORMap<int, EWFlag>> must read as.
inline TaggedHistory<std::pair<int, int>> apply_to_nested_set(
    TaggedHistory<std::pair<int, int>>& ref, const MapOp& op, std::uint64_t op_id) {
  auto same = [&](const std::pair<int, int>& t) { return t.first == op.key && t.second == op.x; };
  switch (op.kind) {
    case MapOp::inner_add:
      return ref.supersede_if(same, op_id, {op.key, op.x});
    case MapOp::inner_remove:
      return ref.remove_if(same);
    case MapOp::remove_key:
      break;
  }
  return ref.remove_if([&](const std::pair<int, int>& t) { return t.first == op.key; });
}
/// The visible (key, value) pairs of such a reference, as key -> its values sorted, each once.
inline std::map<int, std::vector<int>> visible_by_key(
    const TaggedHistory<std::pair<int, int>>& ref) {
  std::map<int, std::vector<int>> out;
  ref.for_visible([&](const std::pair<int, int>& t) { out[t.first].push_back(t.second); });
  for (auto& [key, xs] : out) xs = sorted_unique(std::move(xs));
  return out;
}
}  // namespace detail

template <class Id>
struct DeltaCrdtModel<ORMap<int, AWSet<int, Id>, Id>> {
  using Map = ORMap<int, AWSet<int, Id>, Id>;
  using Op = detail::MapOp;
  using Reference = detail::TaggedHistory<std::pair<int, int>>;  // (key, element)
  using Observation = std::map<int, std::vector<int>>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::gen_map_op(); }
  static Map apply(Map& m, std::uint64_t r, const Op& op) {
    const Id id = detail::replica_id<Id>(r);
    switch (op.kind) {
      case Op::inner_add:
        return m.update(id, op.key, [&](AWSet<int, Id>& s) { return s.add(id, op.x); });
      case Op::inner_remove:
        return m.update(id, op.key, [&](AWSet<int, Id>& s) { return s.remove(op.x); });
      case Op::remove_key:
        break;
    }
    return m.remove(op.key);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    return detail::apply_to_nested_set(ref, op, op_id);
  }
  static Observation observe(const Map& m) {
    Observation out;
    for (int key : m.keys()) out[key] = m.get(key).elements();
    return out;
  }
  static Observation observe(const Reference& ref) { return detail::visible_by_key(ref); }
};

/// ORMap of plain lattices (Max): every update survives a remove it did not see.
template <class Id>
struct DeltaCrdtModel<ORMap<int, Max<int>, Id>> {
  using Map = ORMap<int, Max<int>, Id>;
  using Op = detail::MapOp;  // inner_add: raise key to x; others: remove the key
  using Reference = detail::TaggedHistory<std::pair<int, int>>;
  using Observation = std::map<int, int>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::gen_map_op(); }
  static Map apply(Map& m, std::uint64_t r, const Op& op) {
    if (op.kind != Op::inner_add) return m.remove(op.key);
    return m.update(detail::replica_id<Id>(r), op.key, [&](Max<int>& v) {
      v.merge(Max<int>{op.x});
      return Max<int>{op.x};
    });
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    if (op.kind != Op::inner_add) {
      return ref.remove_if([&](const std::pair<int, int>& t) { return t.first == op.key; });
    }
    return ref.supersede_if([](const auto&) { return false; }, op_id, {op.key, op.x});
  }
  static Observation observe(const Map& m) {
    Observation out;
    for (int key : m.keys()) out[key] = m.get(key).reveal();
    return out;
  }
  static Observation observe(const Reference& ref) {
    Observation out;
    ref.for_visible([&](const std::pair<int, int>& t) {
      auto [it, fresh] = out.emplace(t.first, t.second);
      if (!fresh) it->second = std::max(it->second, t.second);
    });
    return out;
  }
};

/// ORMap of multi-value registers (a hash's fields): a write replaces the writes of its key
/// that it saw, and a remove (either other operation) drops them; concurrent writes all stay.
template <class Id>
struct DeltaCrdtModel<ORMap<int, MVRegister<int, Id>, Id>> {
  using Map = ORMap<int, MVRegister<int, Id>, Id>;
  using Op = detail::MapOp;  // inner_add: write x at key; others: remove the key
  using Reference = detail::TaggedHistory<std::pair<int, int>>;  // (key, value written)
  using Observation = std::map<int, std::vector<int>>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::gen_map_op(); }
  static Map apply(Map& m, std::uint64_t r, const Op& op) {
    if (op.kind != Op::inner_add) return m.remove(op.key);
    const Id id = detail::replica_id<Id>(r);
    return m.update(id, op.key, [&](MVRegister<int, Id>& reg) { return reg.write(id, op.x); });
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    const auto at_key = [&](const std::pair<int, int>& t) { return t.first == op.key; };
    if (op.kind != Op::inner_add) return ref.remove_if(at_key);
    return ref.supersede_if(at_key, op_id, {op.key, op.x});
  }
  static Observation observe(const Map& m) {
    Observation out;
    for (int key : m.keys()) out[key] = m.get(key).values();  // sorted, each once
    return out;
  }
  static Observation observe(const Reference& ref) { return detail::visible_by_key(ref); }
};

/// ORMap of counters: a remove takes away exactly the increments it saw.
template <class Id>
struct DeltaCrdtModel<ORMap<int, PNCounter<Id>, Id>> {
  using Map = ORMap<int, PNCounter<Id>, Id>;
  using Op = detail::MapOp;  // inner_add: key += x + 1; inner_remove: key -= x + 1
  using Reference = detail::TaggedHistory<std::pair<int, std::int64_t>>;  // (key, amount)
  using Observation = std::map<int, std::int64_t>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::gen_map_op(); }
  static Map apply(Map& m, std::uint64_t r, const Op& op) {
    const Id id = detail::replica_id<Id>(r);
    const auto n = static_cast<std::uint64_t>(op.x + 1);
    switch (op.kind) {
      case Op::inner_add:
        return m.update(id, op.key, [&](PNCounter<Id>& c) { return c.increment(id, n); });
      case Op::inner_remove:
        return m.update(id, op.key, [&](PNCounter<Id>& c) { return c.decrement(id, n); });
      case Op::remove_key:
        break;
    }
    return m.remove(op.key);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    if (op.kind == Op::remove_key) {
      return ref.remove_if([&](const auto& t) { return t.first == op.key; });
    }
    const std::int64_t n = op.x + 1;
    return ref.supersede_if([](const auto&) { return false; }, op_id,
                            {op.key, op.kind == Op::inner_add ? n : -n});
  }
  static Observation observe(const Map& m) {
    Observation out;
    for (int key : m.keys()) out[key] = m.get(key).value();
    return out;
  }
  static Observation observe(const Reference& ref) {
    Observation out;
    ref.for_visible([&](const std::pair<int, std::int64_t>& t) { out[t.first] += t.second; });
    return out;
  }
};

/// A map of maps of flags: nested updates, inner removes and outer removes.
template <class Id>
struct DeltaCrdtModel<ORMap<int, ORMap<int, EWFlag<Id>, Id>, Id>> {
  using Inner = ORMap<int, EWFlag<Id>, Id>;
  using Map = ORMap<int, Inner, Id>;
  using Op = detail::MapOp;  // inner_add: enable (key, x); inner_remove: remove x from key
  using Reference = detail::TaggedHistory<std::pair<int, int>>;
  using Observation = std::set<std::pair<int, int>>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return detail::gen_map_op(); }
  static Map apply(Map& m, std::uint64_t r, const Op& op) {
    const Id id = detail::replica_id<Id>(r);
    switch (op.kind) {
      case Op::inner_add:
        return m.update(id, op.key, [&](Inner& inner) {
          return inner.update(id, op.x, [&](EWFlag<Id>& f) { return f.enable(id); });
        });
      case Op::inner_remove:
        return m.update(id, op.key, [&](Inner& inner) { return inner.remove(op.x); });
      case Op::remove_key:
        break;
    }
    return m.remove(op.key);
  }
  static Reference apply(Reference& ref, std::uint64_t, const Op& op, std::uint64_t op_id) {
    return detail::apply_to_nested_set(ref, op, op_id);
  }
  static Observation observe(const Map& m) {
    Observation out;
    for (int key : m.keys()) {
      const Inner inner = m.get(key);
      for (int x : inner.keys()) {
        if (inner.get(x).value()) out.emplace(key, x);
      }
    }
    return out;
  }
  static Observation observe(const Reference& ref) {
    Observation out;
    ref.for_visible([&](const std::pair<int, int>& t) { out.insert(t); });
    return out;
  }
};

}  // namespace calm::lattices::testing

namespace rc {

template <class Id>
struct Arbitrary<calm::lattices::DotContext<Id>> {
  static Gen<calm::lattices::DotContext<Id>> arbitrary() {
    // Dots of three replicas with small counters: runs, gaps and clouds all come up.
    return gen::map(gen::container<std::vector<std::pair<std::uint64_t, std::uint64_t>>>(gen::pair(
                        gen::inRange<std::uint64_t>(1, 4), gen::inRange<std::uint64_t>(1, 7))),
                    [](const std::vector<std::pair<std::uint64_t, std::uint64_t>>& dots) {
                      calm::lattices::DotContext<Id> context;
                      for (const auto& [r, n] : dots) {
                        context.insert({calm::lattices::testing::detail::replica_id<Id>(r), n});
                      }
                      return context;
                    });
  }
};

template <class Id>
struct Arbitrary<calm::lattices::Dotted<calm::lattices::DotSet<Id>>> {
  static Gen<calm::lattices::Dotted<calm::lattices::DotSet<Id>>> arbitrary() {
    return gen::map(calm::lattices::testing::detail::replayed<calm::lattices::EWFlag<Id>>(),
                    [](const auto& flag) { return flag.dotted(); });
  }
};

template <class T, class Id>
struct Arbitrary<calm::lattices::Dotted<calm::lattices::DotFun<T, Id>>> {
  static Gen<calm::lattices::Dotted<calm::lattices::DotFun<T, Id>>> arbitrary() {
    return gen::map(calm::lattices::testing::detail::replayed<calm::lattices::MVRegister<T, Id>>(),
                    [](const auto& reg) { return reg.dotted(); });
  }
};

template <class T, class Id>
struct Arbitrary<calm::lattices::Dotted<calm::lattices::DotMap<T, calm::lattices::DotSet<Id>>>> {
  static Gen<calm::lattices::Dotted<calm::lattices::DotMap<T, calm::lattices::DotSet<Id>>>>
  arbitrary() {
    return gen::map(calm::lattices::testing::detail::replayed<calm::lattices::AWSet<T, Id>>(),
                    [](const auto& set) { return set.dotted(); });
  }
};

template <class T, class Id>
struct Arbitrary<calm::lattices::AWSet<T, Id>> {
  static Gen<calm::lattices::AWSet<T, Id>> arbitrary() {
    return calm::lattices::testing::detail::replayed<calm::lattices::AWSet<T, Id>>();
  }
};
template <class T, class Id>
struct Arbitrary<calm::lattices::RWSet<T, Id>> {
  static Gen<calm::lattices::RWSet<T, Id>> arbitrary() {
    return calm::lattices::testing::detail::replayed<calm::lattices::RWSet<T, Id>>();
  }
};
template <class Id>
struct Arbitrary<calm::lattices::EWFlag<Id>> {
  static Gen<calm::lattices::EWFlag<Id>> arbitrary() {
    return calm::lattices::testing::detail::replayed<calm::lattices::EWFlag<Id>>();
  }
};
template <class Id>
struct Arbitrary<calm::lattices::DWFlag<Id>> {
  static Gen<calm::lattices::DWFlag<Id>> arbitrary() {
    return calm::lattices::testing::detail::replayed<calm::lattices::DWFlag<Id>>();
  }
};
template <class T, class Id>
struct Arbitrary<calm::lattices::MVRegister<T, Id>> {
  static Gen<calm::lattices::MVRegister<T, Id>> arbitrary() {
    return calm::lattices::testing::detail::replayed<calm::lattices::MVRegister<T, Id>>();
  }
};
/// ORMaps whose value type has operations (lattices/testing/mutators.hpp): replayed from them.
template <class K, class V, class Id>
requires calm::lattices::testing::detail::has_mutators<calm::lattices::ORMap<K, V, Id>>
struct Arbitrary<calm::lattices::ORMap<K, V, Id>> {
  static Gen<calm::lattices::ORMap<K, V, Id>> arbitrary() {
    return calm::lattices::testing::detail::replayed<calm::lattices::ORMap<K, V, Id>>();
  }
};

}  // namespace rc
