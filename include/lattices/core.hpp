#pragma once
/// The lattice contract: the `Lattice` concept and the free vocabulary every lattice shares.
///
/// Minimal complete definition of a user's lattice `L`:
///   - `L{}` is bottom;
///   - `bool L::merge(const L&)` makes `*this` the least upper bound and returns whether it
///     changed;
///   - `operator==` is value equality;
///   - a cereal `serialize` (or `save`/`load`).
///
/// Laws (checked by `calm::lattices::testing::check_lattice<L>()`):
///   join(a, join(b, c)) == join(join(a, b), c)        associativity
///   join(a, b) == join(b, a)                          commutativity
///   join(a, a) == a                                   idempotence
///   join(a, L{}) == a                                 bottom is the identity
///   merge(a, b) returns true  iff  a changed          an honest return value
///   compare(a, b) <= 0  iff  join(a, b) == b          compare agrees with join
///   compare(a, b) == 0  iff  a == b                   compare agrees with ==
///
/// The free functions here (merge, compare, join, is_bot, is_top, reveal, atomize, delta) work
/// on library types through their members, on `std::pair`/`std::tuple`/`Pair` and Hana structs
/// of lattices through `product_traits` (see product.hpp), and on a user's type with the
/// minimal definition above. They are found by argument-dependent lookup for calm's own types,
/// so `reveal(Max<int>{5})` needs no qualification.
#include <compare>
#include <concepts>
#include <cstddef>
#include <ostream>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace calm::lattices {

/// Thrown by a partial lattice when a join does not exist, e.g. `Point` holding two different
/// values. The law harness treats it as "this case is outside the lattice's domain".
class JoinUndefined : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Thrown when bytes do not decode to a valid value: truncated, corrupt, or not canonical.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Opt-in description of a type whose value is a tuple of lattices merged field by field.
/// Specializations (product.hpp: std::pair, std::tuple, Pair, Hana structs) provide
///   using fields = std::tuple<F0, F1, ...>;                        // the field types
///   template <std::size_t I, class Self> static auto& get(Self&);  // Self is L or const L
/// and everything else (merge, compare, is_bot, atomize, delta, cereal, Arbitrary) follows.
template <class L>
struct product_traits;

namespace detail {

/// Rejects NaN where a lattice takes a plain value: NaN is unordered and unequal to itself, so
/// it would break sorted sets, equality and merges. Free for every other type.
template <class T>
constexpr const T& require_ordered(const T& value) {
  if constexpr (std::is_floating_point_v<T>) {
    if (value != value) throw std::domain_error("calm: NaN is not a lattice value");
  }
  return value;
}

/// `os << value` compiles: a container prints itself only where its elements print (a user's
/// Hana struct need not, and the law harness then prints it field by field).
template <class T>
concept printable = requires(std::ostream& os, const T& value) {
  os << value;
};

template <class L>
concept has_member_merge = requires(L& a, const L& b) {
  { a.merge(b) } -> std::same_as<bool>;
};

template <class L>
concept has_member_move_merge = requires(L& a, L&& b) {
  { a.merge(std::move(b)) } -> std::same_as<bool>;
};

template <class Fields, template <class> class Pred>
inline constexpr bool all_fields = false;
template <class... Fs, template <class> class Pred>
inline constexpr bool all_fields<std::tuple<Fs...>, Pred> = (Pred<Fs>::value && ...);

/// Lattice<L> as a class template, declared here and defined after the concept, so that
/// "every field is a lattice" can be asked before the concept exists.
template <class L>
struct is_lattice;

template <class L>
concept is_product = !has_member_merge<L> && requires {
  typename product_traits<L>::fields;
}
&&all_fields<typename product_traits<L>::fields, is_lattice>;

template <class L>
inline constexpr std::size_t field_count = std::tuple_size_v<typename product_traits<L>::fields>;

/// Calls f(get<I>(objs)...) for every field index I of the product type L, in order.
template <class L, class F, class... Objs>
constexpr void for_each_field(F&& f, Objs&&... objs) {
  auto at = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
    f(product_traits<L>::template get<I>(objs)...);
  };
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (at(std::integral_constant<std::size_t, I>{}), ...);
  }
  (std::make_index_sequence<field_count<L>>{});
}

template <class L>
concept has_member_compare = requires(const L& a, const L& b) {
  { a.compare(b) } -> std::same_as<std::partial_ordering>;
};

}  // namespace detail

/// merge(a, b): a becomes join(a, b); returns whether a changed.
template <class L>
requires detail::has_member_merge<L>
constexpr bool merge(L& a, const L& b) { return a.merge(b); }

template <class L>
requires(detail::has_member_merge<L>&& detail::has_member_move_merge<L> &&
         !std::is_lvalue_reference_v<L>) constexpr bool merge(L& a, L&& b) {
  return a.merge(std::move(b));
}

template <class L>
requires detail::is_product<L>
constexpr bool merge(L& a, const L& b) {
  bool changed = false;
  detail::for_each_field<L>(
      [&](auto& x, const auto& y) { changed |= ::calm::lattices::merge(x, y); }, a, b);
  return changed;
}

/// The same, each field taking `b`'s where its own merge can (a write's delta joined into a
/// turn's, then dropped).
template <class L>
requires(detail::is_product<L> && !std::is_lvalue_reference_v<L>) constexpr bool merge(L& a,
                                                                                       L&& b) {
  if (&a == &b) return false;  // its fields' rvalue merges need not expect themselves
  bool changed = false;
  detail::for_each_field<L>(
      [&](auto& x, auto& y) { changed |= ::calm::lattices::merge(x, std::move(y)); }, a, b);
  return changed;
}

/// A join-semilattice with a bottom: see the laws at the top of this file.
template <class L>
concept Lattice = std::semiregular<L> && std::equality_comparable<L> && requires(L& a, const L& b) {
  { ::calm::lattices::merge(a, b) } -> std::same_as<bool>;
};

namespace detail {
template <class L>
struct is_lattice : std::bool_constant<Lattice<L>> {};
}  // namespace detail

namespace detail {

inline constexpr std::partial_ordering combine(std::partial_ordering acc,
                                               std::partial_ordering next) {
  if (acc == std::partial_ordering::unordered || next == std::partial_ordering::unordered) {
    return std::partial_ordering::unordered;
  }
  if (acc == 0) return next;
  if (next == 0 || next == acc) return acc;
  return std::partial_ordering::unordered;
}

}  // namespace detail

/// compare(a, b): the lattice order. `less` means a < b (join(a, b) == b and a != b);
/// `unordered` means neither is below the other. Derived from merge unless `L` has a member
/// `std::partial_ordering compare(const L&) const`.
template <Lattice L>
constexpr std::partial_ordering compare(const L& a, const L& b) {
  if constexpr (detail::has_member_compare<L>) {
    return a.compare(b);
  } else if constexpr (detail::is_product<L>) {
    auto order = std::partial_ordering::equivalent;
    detail::for_each_field<L>(
        [&](const auto& x, const auto& y) {
          order = detail::combine(order, ::calm::lattices::compare(x, y));
        },
        a, b);
    return order;
  } else {
    L b_joined = b;
    const bool a_above_b = ::calm::lattices::merge(b_joined, a);  // a is not <= b
    L a_joined = a;
    const bool b_above_a = ::calm::lattices::merge(a_joined, b);  // b is not <= a
    if (!a_above_b && !b_above_a) return std::partial_ordering::equivalent;
    if (!a_above_b) return std::partial_ordering::less;
    if (!b_above_a) return std::partial_ordering::greater;
    return std::partial_ordering::unordered;
  }
}

namespace detail {
/// A lattice that builds a join afresh cheaper than it copies one side and merges into it
/// supplies `static L joined(const L&, const L&)`.
template <class L>
concept has_static_joined = requires(const L& a, const L& b) {
  { L::joined(a, b) } -> std::same_as<L>;
};
}  // namespace detail

/// join(a, b): the least upper bound, as a new value. Pass `a` as an rvalue to reuse it.
template <Lattice L>
requires(!detail::has_static_joined<L>) constexpr L join(L a, const L& b) {
  ::calm::lattices::merge(a, b);
  return a;
}
template <Lattice L>
requires detail::has_static_joined<L>
constexpr L join(const L& a, const L& b) { return L::joined(a, b); }
template <Lattice L>
requires(detail::has_static_joined<L> && !std::is_lvalue_reference_v<L>) constexpr L
    join(L&& a, const L& b) {
  ::calm::lattices::merge(a, b);
  return std::move(a);
}

namespace detail {
/// A lattice whose join rebuilds both sides (a sequence) supplies
/// `static L join_all(std::vector<L>&)`: k values joined in one rebuild.
template <class L>
concept has_member_join_all = requires(std::vector<L>& values) {
  { L::join_all(values) } -> std::same_as<L>;
};
}  // namespace detail

template <Lattice L>
L join_all(std::vector<L>& values);

namespace detail {
template <std::size_t I, class L>
void join_field_all(L& out, std::vector<L>& values) {
  using Field = std::remove_cvref_t<decltype(product_traits<L>::template get<I>(out))>;
  std::vector<Field> fields;
  fields.reserve(values.size());
  for (L& v : values) fields.push_back(std::move(product_traits<L>::template get<I>(v)));
  product_traits<L>::template get<I>(out) = ::calm::lattices::join_all(fields);
}
}  // namespace detail

/// join_all(values): the join of every value (bottom when there are none), moving from them.
/// The same as merging them one by one into an accumulator; but a type with a member
/// `join_all` joins them at once, a product field by field (so that its fields' own
/// join_all apply), and any other type as a balanced tree: for a join that costs the size of
/// both sides, O(total log k) for k values instead of O(total k). A storage fold of many deltas
/// (storage/lattice_merge.hpp) is what it is for.
template <Lattice L>
L join_all(std::vector<L>& values) {
  if (values.empty()) return L{};
  if (values.size() == 1) return std::move(values.front());
  if constexpr (detail::has_member_join_all<L>) {
    return L::join_all(values);
  } else if constexpr (detail::is_product<L>) {
    L out{};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (detail::join_field_all<I>(out, values), ...);
    }
    (std::make_index_sequence<detail::field_count<L>>{});
    return out;
  } else {
    for (std::size_t step = 1; step < values.size(); step *= 2) {
      for (std::size_t i = 0; i + step < values.size(); i += 2 * step) {
        ::calm::lattices::merge(values[i], std::move(values[i + step]));
      }
    }
    return std::move(values.front());
  }
}

/// is_bot(a): whether a is bottom (the default value).
template <Lattice L>
constexpr bool is_bot(const L& a) {
  if constexpr (requires {
                  { a.is_bot() } -> std::same_as<bool>;
                }) {
    return a.is_bot();
  } else if constexpr (detail::is_product<L>) {
    bool all = true;
    detail::for_each_field<L>([&](const auto& x) { all = all && ::calm::lattices::is_bot(x); }, a);
    return all;
  } else {
    return a == L{};
  }
}

namespace detail {
template <class L>
concept has_member_is_top = requires(const L& a) {
  { a.is_top() } -> std::same_as<bool>;
};
template <class L>
struct has_top : std::bool_constant<has_member_is_top<L>> {};
template <class L>
requires is_product<L>
struct has_top<L> : std::bool_constant<all_fields<typename product_traits<L>::fields, has_top>> {
};
}  // namespace detail

/// A lattice with a greatest element that `is_top` recognizes.
template <class L>
concept BoundedLattice = Lattice<L> && detail::has_top<L>::value;

/// is_top(a): whether a is the top element. Defined only where a top exists.
template <BoundedLattice L>
constexpr bool is_top(const L& a) {
  if constexpr (detail::is_product<L>) {
    bool all = true;
    detail::for_each_field<L>([&](const auto& x) { all = all && ::calm::lattices::is_top(x); }, a);
    return all;
  } else {
    return a.is_top();
  }
}

/// reveal(a): the plain value inside (Max<int> -> int, Point<T> -> std::optional<T>, ...).
/// A type without a member `reveal()` reveals itself.
template <Lattice L>
constexpr decltype(auto) reveal(const L& a) {
  if constexpr (requires { a.reveal(); }) {
    return a.reveal();
  } else {
    return (a);
  }
}

// ---- join decomposition and deltas -------------------------------------------------------

namespace detail {
template <class L>
concept has_member_atomize = requires(const L& a) {
  { a.atomize() } -> std::same_as<std::vector<L>>;
};
template <class L>
concept has_member_delta = requires(const L& a, const L& b) {
  { a.delta(b) } -> std::same_as<L>;
};
template <class L>
struct atomizable : std::bool_constant<has_member_atomize<L>> {};
template <class L>
requires is_product<L>
struct atomizable<L>
    : std::bool_constant<all_fields<typename product_traits<L>::fields, atomizable>> {
};
template <class L>
struct deltable : std::bool_constant<has_member_delta<L> || atomizable<L>::value> {};
template <class L>
requires is_product<L>
struct deltable<L> : std::bool_constant<all_fields<typename product_traits<L>::fields, deltable>> {
};
}  // namespace detail

/// A lattice whose values decompose into join-irreducible atoms. The atoms of `a` are
/// non-bottom, none is below the join of the others, and together they join to `a`.
/// A type opts in with a member `std::vector<L> atomize() const`; products of atomizable
/// lattices are atomizable (each atom is one field's atom, the other fields at bottom).
template <class L>
concept Atomizable = Lattice<L> && detail::atomizable<L>::value;

/// atomize(a): the irredundant join decomposition of a.
template <Atomizable L>
std::vector<L> atomize(const L& a) {
  if constexpr (detail::is_product<L>) {
    std::vector<L> atoms;
    auto embed_field = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      for (auto& part : ::calm::lattices::atomize(product_traits<L>::template get<J>(a))) {
        L atom{};
        product_traits<L>::template get<J>(atom) = std::move(part);
        atoms.push_back(std::move(atom));
      }
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (embed_field(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::make_index_sequence<detail::field_count<L>>{});
    return atoms;
  } else {
    return a.atomize();
  }
}

namespace detail {
template <class L>
concept has_member_decompose = requires(const L& a) {
  { a.decompose() } -> std::same_as<std::vector<L>>;
};
template <class L>
struct decomposable : std::bool_constant<has_member_decompose<L> || atomizable<L>::value> {};
template <class L>
requires is_product<L>
struct decomposable<L>
    : std::bool_constant<all_fields<typename product_traits<L>::fields, decomposable>> {
};
}  // namespace detail

/// A lattice that protocols can split into parts that join back to the value: every
/// Atomizable type, and a type that is not a distributive lattice but can still be cut (a
/// sequence) by a member `std::vector<L> decompose() const`; products field by field.
template <class L>
concept Decomposable = Lattice<L> && detail::decomposable<L>::value;

/// decompose(a): a join decomposition of a (non-bottom parts that join to a) whose length
/// follows a's representation, not its number of atoms. The two differ for the dot-based
/// CRDTs: a context claiming dots 1..n is two numbers and n atoms. A type opts in with a member
/// `std::vector<L> decompose() const`; products go field by field; anything else is atomized.
/// Protocols split values they did not make with this, never with atomize.
template <Decomposable L>
std::vector<L> decompose(const L& a) {
  if constexpr (detail::is_product<L>) {
    std::vector<L> parts;
    auto embed_field = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      for (auto& part : ::calm::lattices::decompose(product_traits<L>::template get<J>(a))) {
        L whole{};
        product_traits<L>::template get<J>(whole) = std::move(part);
        parts.push_back(std::move(whole));
      }
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (embed_field(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::make_index_sequence<detail::field_count<L>>{});
    return parts;
  } else if constexpr (detail::has_member_decompose<L>) {
    return a.decompose();
  } else {
    return a.atomize();
  }
}

/// A lattice that computes delta(a, b): by a member `L delta(const L& b) const`, from its
/// atoms, or field by field.
template <class L>
concept DeltaLattice = Lattice<L> && detail::deltable<L>::value;

/// delta(a, b): the part of a that b lacks. join(b, delta(a, b)) == join(a, b), and
/// delta(a, b) <= a; for atomizable types no atom of it is below b.
template <DeltaLattice L>
L delta(const L& a, const L& b) {
  if constexpr (detail::is_product<L>) {
    L out{};
    detail::for_each_field<L>(
        [&](auto& o, const auto& x, const auto& y) { o = ::calm::lattices::delta(x, y); }, out, a,
        b);
    return out;
  } else if constexpr (detail::has_member_delta<L>) {
    return a.delta(b);
  } else {
    L out{};
    for (L& atom : a.atomize()) {
      L probe = b;
      if (::calm::lattices::merge(probe, atom)) ::calm::lattices::merge(out, atom);
    }
    return out;
  }
}

}  // namespace calm::lattices
