#pragma once
// The types fuzz_lattice_decode decodes, in the order of the selector byte that starts each
// input (input[0] % kTypeCount), shared with the program that writes its seed corpus.
#include <cereal/types/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "kvs/value.hpp"
#include "lattices/lattices.hpp"

namespace calm::lattices::fuzz {

using Set = AWSet<std::string>;
using Hash = ORMap<std::string, MVRegister<std::string>>;
using Counter = PNCounter<>;
using Str = LWWRegister<std::optional<std::string>>;
using Counters = MapUnion<std::string, PNCounter<>>;
using Context = DotContext<>;
using KeyValue = calm::apps::kvs::KeyValue;
using Doc = Text<>;

inline constexpr std::uint8_t kTypeCount = 8;

/// Calls f(T{}) for the type that `selector` picks.
template <class F>
void with_type(std::uint8_t selector, F&& f) {
  switch (selector % kTypeCount) {
    case 0:
      return f(Set{});
    case 1:
      return f(Hash{});
    case 2:
      return f(Counter{});
    case 3:
      return f(Str{});
    case 4:
      return f(Counters{});
    case 5:
      return f(Context{});
    case 6:
      return f(KeyValue{});
    default:
      return f(Doc{});
  }
}

}  // namespace calm::lattices::fuzz
