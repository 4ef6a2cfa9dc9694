#pragma once
/// Functions between lattices, tagged with what they preserve, so that flow can tell whether
/// applying one keeps a stream deterministic.
///
///   monotone:  a <= b  implies  f(a) <= f(b)
///   morphism:  f(join(a, b)) == join(f(a), f(b))       (every morphism is monotone)
///
/// | function      | from              | to                | kind     |
/// |---------------|-------------------|-------------------|----------|
/// | size          | SetUnion<T>       | Max<std::size_t>  | monotone |
/// | threshold(n)  | Max<T>            | Or                | morphism |
/// | contains(x)   | SetUnion<T>       | Or                | morphism |
/// | keys          | MapUnion<K, L>    | SetUnion<K>       | morphism |
/// | project<I>    | a product (Hana struct, tuple, Pair) | its field I | morphism |
///
/// Users tag their own functions with `morphism(f)` or `monotone(f)` and check the claim with
/// `testing::check_morphism` / `testing::check_monotone`.
///
/// Rationale: size is only monotone: |a ∪ b| is not max(|a|, |b|).
#include <cstddef>
#include <utility>

#include "lattices/map_union.hpp"
#include "lattices/max.hpp"
#include "lattices/or.hpp"
#include "lattices/product.hpp"
#include "lattices/set_union.hpp"

namespace calm::lattices {

enum class FunctionKind { monotone, morphism };

/// A callable with its kind attached.
template <FunctionKind Kind, class F>
struct Tagged : F {
  static constexpr FunctionKind kind = Kind;
};

template <class F>
constexpr Tagged<FunctionKind::morphism, std::decay_t<F>> morphism(F&& f) {
  return {std::forward<F>(f)};
}
template <class F>
constexpr Tagged<FunctionKind::monotone, std::decay_t<F>> monotone(F&& f) {
  return {std::forward<F>(f)};
}

template <class F>
concept TaggedFunction = requires {
  { std::remove_cvref_t<F>::kind } -> std::convertible_to<FunctionKind>;
};
template <class F>
inline constexpr bool is_morphism_v =
    TaggedFunction<F>&& std::remove_cvref_t<F>::kind == FunctionKind::morphism;
template <class F>
inline constexpr bool is_monotone_v = TaggedFunction<F>;  // a morphism is monotone too

namespace morphisms {

struct Size {
  static constexpr FunctionKind kind = FunctionKind::monotone;
  template <class T, class B>
  Max<std::size_t> operator()(const SetUnion<T, B>& s) const {
    return Max<std::size_t>{s.size()};
  }
};

template <class T>
struct Threshold {
  static constexpr FunctionKind kind = FunctionKind::morphism;
  T bound;
  Or operator()(const Max<T>& x) const { return Or{!(x.reveal() < bound)}; }
};

template <class T>
struct Contains {
  static constexpr FunctionKind kind = FunctionKind::morphism;
  T element;
  template <class B>
  Or operator()(const SetUnion<T, B>& s) const {
    return Or{s.contains(element)};
  }
};

struct Keys {
  static constexpr FunctionKind kind = FunctionKind::morphism;
  template <class K, class L>
  SetUnion<K> operator()(const MapUnion<K, L>& m) const {
    std::vector<K> keys;
    keys.reserve(m.size());
    for (const auto& entry : m) keys.push_back(entry.first);
    return SetUnion<K>(keys.begin(), keys.end());
  }
};

template <std::size_t I>
struct Project {
  static constexpr FunctionKind kind = FunctionKind::morphism;
  template <class L>
  requires detail::is_product<L>
  const auto& operator()(const L& value) const { return product_traits<L>::template get<I>(value); }
};

}  // namespace morphisms

/// The number of elements: SetUnion -> Max<size_t>. Monotone, not a morphism.
inline constexpr morphisms::Size size{};
/// Whether a Max has reached `bound`: Max<T> -> Or. A morphism.
template <class T>
constexpr morphisms::Threshold<T> threshold(T bound) {
  return {std::move(bound)};
}
/// Whether a set holds `element`: SetUnion<T> -> Or. A morphism.
template <class T>
constexpr morphisms::Contains<T> contains(T element) {
  return {std::move(element)};
}
/// The key set of a map: MapUnion<K, L> -> SetUnion<K>. A morphism (bottom values are never
/// stored, so a key is present exactly when its value is above bottom).
inline constexpr morphisms::Keys keys{};
/// Field I of a product lattice (a Hana struct, tuple, std::pair or Pair). A morphism.
template <std::size_t I>
inline constexpr morphisms::Project<I> project{};

}  // namespace calm::lattices
