#pragma once
// Hostile encodings shared by the decode-bound tests (tests/decode_bounds_test.cpp) and the
// allocation-counting executable (tests/decode_alloc): values whose bytes are honest except for
// one length or count, which claims far more than the bytes that follow.
#include <boost/hana/define_struct.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lattices/lattices.hpp"

namespace calm::lattices::hostile {

inline constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
/// The string whose length field the tests rewrite; it appears once in each value's bytes.
inline constexpr std::string_view kMarker = "HOSTILE!";

/// The shape of calm-kvs's KeyValue (apps/kvs/value.hpp), built from the library alone.
struct KeyValueLike {
  BOOST_HANA_DEFINE_STRUCT(KeyValueLike, (LWWRegister<std::optional<std::string>>, str),
                           (PNCounter<>, counter), (AWSet<std::string>, set),
                           (ORMap<std::string, MVRegister<std::string>>, hash),
                           (MapUnion<std::string, PNCounter<>>, hash_counters));
  friend bool operator==(const KeyValueLike&, const KeyValueLike&) = default;
};

inline void put_u64(std::string& bytes, std::size_t at, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>(v >> (8 * i));
}

/// value's bytes with the length of kMarker (the 8 bytes before it) replaced by `claimed`.
template <class L>
std::string with_claimed_length(const L& value, std::uint64_t claimed) {
  std::string bytes = to_bytes(value);
  const std::size_t at = bytes.find(kMarker);
  if (at == std::string::npos || at < 8 || bytes.find(kMarker, at + 1) != std::string::npos) {
    throw std::logic_error("hostile: the marker must appear once, after its length");
  }
  put_u64(bytes, at - 8, claimed);
  return bytes;
}

/// One hostile encoding, and how to decode it as its type.
struct Case {
  std::string name;
  std::string bytes;
  std::function<void(std::string_view)> decode;
};

template <class L>
Case make_case(std::string name, std::string bytes) {
  return {std::move(name), std::move(bytes), [](std::string_view b) { (void)from_bytes<L>(b); }};
}

/// The bytes of a hex literal; spaces are ignored.
inline std::string from_hex(const std::string& spaced) {
  std::string hex, out;
  for (const char ch : spaced) {
    if (ch != ' ') hex += ch;
  }
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

/// Strings claiming 1 GiB, 16 GiB and 2^64 - 1 bytes, and size tags claiming 2^40 and 2^64 - 1
/// elements, inside each library type a peer sends calm-kvs (hostile_library_cases.cpp).
std::vector<Case> library_cases();
/// The same inside cereal's std types: string, optional, vector, map, set
/// (hostile_std_cases.cpp: cereal/types/map.hpp matches any class template with a mapped_type,
/// the library's maps included, so it stays out of the translation units that encode them).
std::vector<Case> std_cases();

inline std::vector<Case> all_cases() {
  std::vector<Case> cases = library_cases();
  for (Case& c : std_cases()) cases.push_back(std::move(c));
  return cases;
}

}  // namespace calm::lattices::hostile
