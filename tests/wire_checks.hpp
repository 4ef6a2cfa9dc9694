#pragma once
// Checks shared by the serialization tests: hex literals, pinned (golden) encodings, and what
// decoding must reject. Every pinned encoding also goes through every_prefix_rejected and
// trailing_bytes_rejected, whatever file pins it.
#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>

#include "lattices/serialize.hpp"

namespace calm::lattices::wire_checks {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

inline std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += digits[byte >> 4];
    out += digits[byte & 0x0f];
  }
  return out;
}

/// The bytes of a hex literal; spaces are ignored.
inline std::string unhex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::invalid_argument(std::string("unhex: not a hex digit: ") + c);
  };
  std::string out;
  int high = -1;
  for (const char c : text) {
    if (c == ' ') continue;
    if (high < 0) {
      high = nibble(c);
    } else {
      out += static_cast<char>((high << 4) | nibble(c));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("unhex: odd number of hex digits");
  return out;
}

/// `value` encodes to exactly the pinned bytes, and the pinned bytes decode to `value`.
template <class L>
AssertionResult matches_golden(const L& value, std::string_view pinned_hex) {
  const std::string pinned = unhex(pinned_hex);
  const std::string actual = to_bytes(value);
  if (actual != pinned) {
    return AssertionFailure() << "the encoding of " << ::testing::PrintToString(value)
                              << " changed (a format change: see tests/serialization_test.cpp)"
                              << "\n  pinned: " << hex(pinned) << "\n  actual: " << hex(actual);
  }
  L decoded{};
  try {
    decoded = from_bytes<L>(pinned);
  } catch (const std::exception& e) {
    return AssertionFailure() << "the pinned bytes " << hex(pinned)
                              << " do not decode: " << e.what();
  }
  if (!(decoded == value)) {
    return AssertionFailure() << "the pinned bytes decode to " << ::testing::PrintToString(decoded)
                              << ", not " << ::testing::PrintToString(value);
  }
  return AssertionSuccess();
}

/// Decoding `bytes` as L throws DecodeError (not another exception, and does not succeed).
template <class L>
AssertionResult rejects_bytes(std::string_view bytes) {
  try {
    const L value = from_bytes<L>(bytes);
    return AssertionFailure() << hex(bytes) << " decoded to " << ::testing::PrintToString(value)
                              << " instead of throwing DecodeError";
  } catch (const DecodeError&) {
    return AssertionSuccess();
  } catch (const std::exception& e) {
    return AssertionFailure() << hex(bytes) << " threw " << typeid(e).name() << " (" << e.what()
                              << ") instead of DecodeError";
  }
}

template <class L>
AssertionResult rejects(std::string_view bytes_hex) {
  return rejects_bytes<L>(unhex(bytes_hex));
}

/// `value` decodes back from its bytes to an equal value, which encodes to the same bytes.
template <class L>
AssertionResult round_trips(const L& value) {
  const std::string bytes = to_bytes(value);
  try {
    const L decoded = from_bytes<L>(bytes);
    if (!(decoded == value)) {
      return AssertionFailure() << ::testing::PrintToString(value) << " decodes to "
                                << ::testing::PrintToString(decoded);
    }
    if (to_bytes(decoded) != bytes) {
      return AssertionFailure() << ::testing::PrintToString(value) << " re-encodes differently";
    }
  } catch (const std::exception& e) {
    return AssertionFailure() << ::testing::PrintToString(value) << " does not decode: " << e.what()
                              << "\n  bytes: " << hex(bytes);
  }
  return AssertionSuccess();
}

/// Decoding `bytes` as L either throws DecodeError, or succeeds in canonical form: the value
/// re-encodes to the very same bytes, which decode to an equal value.
template <class L>
AssertionResult rejects_or_is_canonical(std::string_view bytes) {
  L value{};
  try {
    value = from_bytes<L>(bytes);
  } catch (const DecodeError&) {
    return AssertionSuccess();
  } catch (const std::exception& e) {
    return AssertionFailure() << hex(bytes) << " threw " << typeid(e).name() << " (" << e.what()
                              << ") instead of DecodeError";
  }
  const std::string again = to_bytes(value);
  if (again != bytes) {
    return AssertionFailure() << "accepted a non-canonical encoding: " << hex(bytes)
                              << " decodes to " << ::testing::PrintToString(value)
                              << ", which encodes as " << hex(again);
  }
  try {
    const L back = from_bytes<L>(again);
    if (!(back == value)) {
      return AssertionFailure() << hex(bytes) << " decodes to " << ::testing::PrintToString(value)
                                << ", whose bytes decode to a different "
                                << ::testing::PrintToString(back);
    }
  } catch (const std::exception& e) {
    return AssertionFailure() << hex(bytes)
                              << " decodes, but its re-encoding does not: " << e.what();
  }
  return AssertionSuccess();
}

/// One pinned encoding, with its type erased, for the tests that run over all of them.
struct GoldenCase {
  std::string_view name;
  std::string_view hex;
  AssertionResult (*rejects)(std::string_view bytes);
  AssertionResult (*rejects_or_is_canonical)(std::string_view bytes);
};

template <class L>
GoldenCase golden_case(std::string_view name, std::string_view pinned_hex) {
  return {name, pinned_hex, &rejects_bytes<L>, &rejects_or_is_canonical<L>};
}

/// The whole encoding decodes, and every strict prefix of it is rejected.
inline AssertionResult every_prefix_rejected(const GoldenCase& c) {
  const std::string bytes = unhex(c.hex);
  if (c.rejects(bytes)) return AssertionFailure() << c.name << ": the whole encoding is rejected";
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    if (AssertionResult r = c.rejects(std::string_view(bytes).substr(0, length)); !r) {
      return r << "\n  " << c.name << ", prefix of " << length << " of " << bytes.size()
               << " bytes";
    }
  }
  return AssertionSuccess();
}

/// The encoding followed by any one more byte is rejected.
inline AssertionResult trailing_bytes_rejected(const GoldenCase& c) {
  for (const char extra : {'\x00', '\x01', '\xff'}) {
    if (AssertionResult r = c.rejects(unhex(c.hex) + extra); !r) return r << "\n  " << c.name;
  }
  return AssertionSuccess();
}

}  // namespace calm::lattices::wire_checks
