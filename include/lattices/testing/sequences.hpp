#pragma once
/// rc::Arbitrary for List and Text, and their DeltaCrdtModel for check_delta_crdt, with a
/// reference model: the Fugue tree kept element by element in plain maps and walked
/// recursively, with none of the runs, leaves or caches of detail/sequence.hpp.
///
/// Values are built the way replicas build them: inserts and erases at a few replica states,
/// each with its own replica id, and syncs that copy one state into another, so that the
/// states share history and then insert concurrently at the same places.
#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "lattices/list.hpp"
#include "lattices/testing/delta_crdt.hpp"
#include "lattices/testing/laws.hpp"
#include "lattices/testing/scalar_crdts.hpp"
#include "lattices/text.hpp"

namespace calm::lattices::testing::detail {

/// One edit: insert `values` at `pos`, or erase `n` elements at `pos`. Positions and lengths
/// are taken modulo the document's size when the edit runs, so any edit applies to any state.
template <class V>
struct SequenceOp {
  bool erase = false;
  std::size_t pos = 0;
  std::size_t n = 1;
  std::vector<V> values;
  friend std::ostream& operator<<(std::ostream& os, const SequenceOp& op) {
    if (op.erase) return os << "erase(" << op.pos << ", " << op.n << ')';
    os << "insert(" << op.pos << ", [";
    const char* sep = "";
    for (const V& v : op.values) {
      os << sep;
      show(os, v);
      sep = ", ";
    }
    return os << "])";
  }
};

/// Code points as UTF-8, some of them multi-byte, for Text.
inline rc::Gen<std::string> code_point() {
  return rc::gen::element<std::string>("a", "b", "c", "\xc3\xa9", "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80");
}

template <class V>
rc::Gen<V> sequence_value() {
  if constexpr (std::is_same_v<V, std::string>) {
    return code_point();
  } else {
    return element<V>();
  }
}

template <class V>
rc::Gen<SequenceOp<V>> gen_sequence_op() {
  return rc::gen::apply(
      [](bool erase, std::size_t pos, std::size_t n, std::vector<V> values) {
        if (values.empty()) values.push_back(V{});
        return SequenceOp<V>{erase, pos, n, std::move(values)};
      },
      rc::gen::weightedElement<bool>({{3, false}, {1, true}}), rc::gen::inRange<std::size_t>(0, 64),
      rc::gen::inRange<std::size_t>(1, 4),
      rc::gen::resize(3,
                      rc::gen::nonEmpty(rc::gen::container<std::vector<V>>(sequence_value<V>()))));
}

/// Runs `op` on a List or Text at `replica`; returns the delta. Text's values are code points
/// as UTF-8 strings.
template <class S, class V, class Id>
S apply_sequence_op(S& s, const Id& replica, const SequenceOp<V>& op) {
  if (op.erase) {
    if (s.size() == 0) return S{};
    const std::size_t pos = op.pos % s.size();
    return s.erase(pos, std::min(op.n, s.size() - pos));
  }
  const std::size_t pos = op.pos % (s.size() + 1);
  if constexpr (requires { s.str(); }) {
    std::string text;
    for (const V& v : op.values) text += v;
    return s.insert(replica, pos, text);
  } else if (op.values.size() == 1) {
    return s.insert(replica, pos, op.values.front());
  } else {
    return s.insert(replica, pos, op.values.begin(), op.values.end());
  }
}

/// The i-th distinct replica id of a generated value.
template <class Id>
Id nth_replica(std::size_t i) {
  if constexpr (std::is_integral_v<Id>) {
    return static_cast<Id>(i + 1);
  } else {
    return Id(std::string(1, static_cast<char>('p' + i)));
  }
}

template <class S, class V, class Id>
rc::Gen<S> arbitrary_sequence() {
  using Op = std::tuple<bool, std::size_t, SequenceOp<V>>;  // (sync?, from, edit)
  return rc::gen::map(
      replica_ops(rc::gen::tuple(rc::gen::weightedElement<bool>({{4, false}, {1, true}}),
                                 rc::gen::inRange<std::size_t>(0, generated_replicas),
                                 gen_sequence_op<V>())),
      [](const std::vector<std::pair<std::size_t, Op>>& ops) {
        std::vector<S> replicas(generated_replicas);
        for (const auto& [at, op] : ops) {
          const auto& [sync, from, edit] = op;
          S& here = replicas[at % generated_replicas];
          if (sync) {
            here.merge(replicas[from]);
          } else {
            apply_sequence_op(here, nth_replica<Id>(at % generated_replicas), edit);
          }
        }
        S out;
        for (S& r : replicas) out.merge(r);
        return out;
      });
}

/// The reference: every element with its parent and side, and the tombstones; the document is
/// the recursive in-order walk of the tree (children by id, left ones before their parent).
template <class V>
struct SequenceReference {
  using Id = std::uint64_t;
  struct Node {
    Dot<Id> parent;  // counter 0: the root
    bool left = false;
    V value;
  };
  std::map<Dot<Id>, Node> nodes;
  std::set<Dot<Id>> tombstones;

  void merge(const SequenceReference& other) {
    nodes.insert(other.nodes.begin(), other.nodes.end());
    tombstones.insert(other.tombstones.begin(), other.tombstones.end());
  }

  /// Every element reachable from the root, in document order, tombstoned ones included.
  std::vector<Dot<Id>> walk() const {
    std::map<Dot<Id>, std::vector<Dot<Id>>> left_kids;
    std::map<Dot<Id>, std::vector<Dot<Id>>> right_kids;
    for (const auto& [id, node] : nodes)
      (node.left ? left_kids : right_kids)[node.parent].push_back(id);
    std::vector<Dot<Id>> out;
    const auto visit = [&](const auto& self, const Dot<Id>& id) -> void {
      if (auto it = left_kids.find(id); it != left_kids.end()) {
        for (const Dot<Id>& c : it->second) self(self, c);
      }
      if (id.counter != 0) out.push_back(id);
      if (auto it = right_kids.find(id); it != right_kids.end()) {
        for (const Dot<Id>& c : it->second) self(self, c);
      }
    };
    visit(visit, Dot<Id>{});
    return out;
  }
  std::vector<Dot<Id>> visible() const {
    std::vector<Dot<Id>> out;
    for (const Dot<Id>& id : walk()) {
      if (!tombstones.contains(id)) out.push_back(id);
    }
    return out;
  }
  std::vector<V> values() const {
    std::vector<V> out;
    for (const Dot<Id>& id : visible()) out.push_back(nodes.at(id).value);
    return out;
  }

  /// The effect of `op` at `replica`, applied here; the same rule as List: right child of the
  /// element left of the cursor if it has none, else left child of the element after it.
  SequenceReference apply(Id replica, const SequenceOp<V>& op) {
    SequenceReference effect;
    const std::vector<Dot<Id>> shown = visible();
    if (op.erase) {
      if (shown.empty()) return effect;
      const std::size_t pos = op.pos % shown.size();
      const std::size_t n = std::min(op.n, shown.size() - pos);
      for (std::size_t i = pos; i < pos + n; ++i) effect.tombstones.insert(shown[i]);
    } else {
      std::uint64_t counter = 0;
      for (const auto& [id, node] : nodes) {
        if (id.replica == replica) counter = std::max(counter, id.counter);
      }
      for (const Dot<Id>& id : tombstones) {
        if (id.replica == replica) counter = std::max(counter, id.counter);
      }
      const std::size_t pos = op.pos % (shown.size() + 1);
      const Dot<Id> a = pos == 0 ? Dot<Id>{} : shown[pos - 1];
      bool a_has_right = false;
      for (const auto& [id, node] : nodes)
        a_has_right = a_has_right || (node.parent == a && !node.left);
      Dot<Id> parent = a;
      bool left = false;
      if (a_has_right) {
        const std::vector<Dot<Id>> all = walk();
        const auto it = a.counter == 0 ? all.begin() : std::find(all.begin(), all.end(), a) + 1;
        parent = *it;
        left = true;
      }
      for (const V& v : op.values) {
        const Dot<Id> id{replica, ++counter};
        effect.nodes[id] = Node{parent, left, v};
        parent = id;
        left = false;
      }
    }
    merge(effect);
    return effect;
  }
};

/// The values of one piece of a List (its content) or a Text (its code points).
template <class V, class Piece>
std::vector<V> piece_values(const Piece& p) {
  if constexpr (std::is_same_v<decltype(p.content), std::string>) {
    std::vector<V> out;
    for (std::size_t i = 0; i < p.content.size();) {
      const std::size_t j = ::calm::lattices::detail::TextContent::next(p.content, i);
      out.push_back(p.content.substr(i, j - i));
      i = j;
    }
    return out;
  } else {
    return {p.content.begin(), p.content.end()};
  }
}

/// The join of `states`, one id at a time from their pieces alone, as merge must join two
/// definitions of an id: the greater parent and side, the greater value, tombstoned if either
/// is. No runs are cut or joined, so it checks the code that does, whatever the splits.
template <class V, class S>
SequenceReference<V> reference_join(const std::vector<S>& states) {
  SequenceReference<V> ref;
  using Id = typename SequenceReference<V>::Id;
  const auto join_piece = [&](const auto& p) {
    const std::vector<V> values = p.deleted ? std::vector<V>() : piece_values<V>(p);
    for (std::uint64_t k = 0; k < p.length; ++k) {
      const Dot<Id> id = p.at(k);
      const typename SequenceReference<V>::Node node{p.parent_of(k), k == 0 && p.left,
                                                     p.deleted ? V{} : values[k]};
      const auto [it, fresh] = ref.nodes.emplace(id, node);
      if (!fresh) {
        if (std::tie(it->second.parent, it->second.left) < std::tie(node.parent, node.left)) {
          it->second.parent = node.parent;
          it->second.left = node.left;
        }
        it->second.value = std::max(it->second.value, node.value);
      }
      if (p.deleted) ref.tombstones.insert(id);
    }
  };
  for (const S& s : states) {
    for (const auto& p : s.canonical_document()) join_piece(p);
    for (const auto& p : s.pending_pieces()) join_piece(p);
    for (const auto& r : s.pending_tombstones()) {
      for (std::uint64_t k = 0; k < r.length; ++k) {
        ref.tombstones.insert({r.first.replica, r.first.counter + k});
      }
    }
  }
  return ref;
}

template <class S, class V>
struct SequenceModel {
  using C = S;
  using Op = SequenceOp<V>;
  using Reference = SequenceReference<V>;
  using Observation = Shown<std::vector<V>>;

  static rc::Gen<Op> gen_op(std::uint64_t) { return gen_sequence_op<V>(); }
  static C apply(C& crdt, std::uint64_t replica, const Op& op) {
    return apply_sequence_op(crdt, replica, op);
  }
  static Reference apply(Reference& ref, std::uint64_t replica, const Op& op, std::uint64_t) {
    return ref.apply(replica, op);
  }
  static Observation observe(const Reference& ref) { return {ref.values()}; }
};

}  // namespace calm::lattices::testing::detail

namespace rc {

template <class T, class Id>
struct Arbitrary<calm::lattices::List<T, Id>> {
  static Gen<calm::lattices::List<T, Id>> arbitrary() {
    return calm::lattices::testing::detail::arbitrary_sequence<calm::lattices::List<T, Id>, T,
                                                               Id>();
  }
};

template <class Id>
struct Arbitrary<calm::lattices::Text<Id>> {
  static Gen<calm::lattices::Text<Id>> arbitrary() {
    return calm::lattices::testing::detail::arbitrary_sequence<calm::lattices::Text<Id>,
                                                               std::string, Id>();
  }
};

}  // namespace rc

namespace calm::lattices::testing {

template <class T>
struct DeltaCrdtModel<List<T, std::uint64_t>> : detail::SequenceModel<List<T, std::uint64_t>, T> {
  using Base = detail::SequenceModel<List<T, std::uint64_t>, T>;
  using Base::observe;
  static typename Base::Observation observe(const List<T, std::uint64_t>& crdt) {
    return {crdt.values()};
  }
};

template <>
struct DeltaCrdtModel<Text<std::uint64_t>>
    : detail::SequenceModel<Text<std::uint64_t>, std::string> {
  using Base = detail::SequenceModel<Text<std::uint64_t>, std::string>;
  using Base::observe;
  /// The text cut into code points, to compare with the reference's values.
  static typename Base::Observation observe(const Text<std::uint64_t>& crdt) {
    std::vector<std::string> out;
    const std::string s = crdt.str();
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t j = ::calm::lattices::detail::TextContent::next(s, i);
      out.push_back(s.substr(i, j - i));
      i = j;
    }
    return {out};
  }
};

}  // namespace calm::lattices::testing
