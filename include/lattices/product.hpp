#pragma once
/// Products of lattices: `std::pair`, `std::tuple`, and any struct declared with
/// BOOST_HANA_DEFINE_STRUCT whose fields are all lattices, with no code from the user.
///
/// Order:  field by field: a <= b iff a.f <= b.f for every field f (the product order).
/// Bottom: every field at bottom.   Top: every field at top, where every field has one.
/// Merge:  each field merged in declaration order; changed if any field changed.
/// Atoms:  one field's atom with every other field at bottom, where every field is atomizable.
///
/// Rationale: composing state from small lattices is how users build their own (a shopping
/// cart = a set of items + a counter per item + an address register); the product is always a
/// lattice, so a struct of lattices needs no proof of its own.
#include <boost/hana/accessors.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/define_struct.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/tuple.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/utility.hpp>
#include <tuple>
#include <utility>

#include "lattices/detail/serialization.hpp"

namespace calm::lattices {

template <class A, class B>
struct product_traits<std::pair<A, B>> {
  using fields = std::tuple<A, B>;
  template <std::size_t I, class Self>
  static constexpr auto& get(Self& self) {
    return std::get<I>(self);
  }
};

template <class... Ts>
struct product_traits<std::tuple<Ts...>> {
  using fields = std::tuple<Ts...>;
  template <std::size_t I, class Self>
  static constexpr auto& get(Self& self) {
    return std::get<I>(self);
  }
};

namespace detail {

template <class S>
concept hana_struct = boost::hana::Struct<S>::value;

template <class S, std::size_t I>
using hana_field_t = std::remove_cvref_t<decltype(boost::hana::second(
    boost::hana::at_c<I>(boost::hana::accessors<S>()))(std::declval<S&>()))>;

template <class S>
inline constexpr std::size_t hana_field_count =
    decltype(boost::hana::length(boost::hana::accessors<S>()))::value;

template <class S, std::size_t... I>
auto hana_fields(std::index_sequence<I...>) -> std::tuple<hana_field_t<S, I>...>;

}  // namespace detail

template <detail::hana_struct S>
struct product_traits<S> {
  using fields =
      decltype(detail::hana_fields<S>(std::make_index_sequence<detail::hana_field_count<S>>{}));
  template <std::size_t I, class Self>
  static constexpr auto& get(Self& self) {
    return boost::hana::second(boost::hana::at_c<I>(boost::hana::accessors<S>()))(self);
  }
};

}  // namespace calm::lattices

namespace cereal {

/// Hana structs of lattices serialize field by field, in declaration order. (Found through
/// the archive's namespace, so it applies to structs in any namespace.)
template <class Archive, class S>
requires calm::lattices::detail::hana_struct<S> && calm::lattices::Lattice<S>
void serialize(Archive& ar, S& value) {
  calm::lattices::detail::for_each_field<S>([&](auto& field) { ar(field); }, value);
}

}  // namespace cereal
