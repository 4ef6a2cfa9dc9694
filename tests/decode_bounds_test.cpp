// Decoding never allocates or works from a length it has not seen the bytes for: every size
// tag, in the library's own load functions and in cereal's loaders for std types, is refused
// when it claims more elements than bytes remain (include/lattices/detail/input_archive.hpp).
// tests/decode_alloc measures the allocations of the same hostile inputs.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "hostile_bytes.hpp"
#include "lattices/lattices.hpp"
#include "wire_checks.hpp"

namespace {

using namespace calm::lattices;
using namespace calm::lattices::wire_checks;
namespace hostile = calm::lattices::hostile;

/// Decoding throws a DecodeError that says a length claimed more than the input holds.
::testing::AssertionResult refused_as_a_lying_length(const hostile::Case& c) {
  try {
    c.decode(c.bytes);
    return ::testing::AssertionFailure() << c.name << ": decoded";
  } catch (const DecodeError& e) {
    const std::string what = e.what();
    if (what.find("claims") == std::string::npos) {
      return ::testing::AssertionFailure() << c.name << ": refused for another reason: " << what;
    }
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure()
           << c.name << ": threw " << typeid(e).name() << " (" << e.what() << ")";
  }
}

TEST(DecodeBounds, EveryLengthLargerThanTheBytesLeftIsRefusedByName) {
  const std::vector<hostile::Case> cases = hostile::all_cases();
  ASSERT_GT(cases.size(), 50u);
  for (const hostile::Case& c : cases) EXPECT_TRUE(refused_as_a_lying_length(c));
}

TEST(DecodeBounds, TheHostileCasesAreHonestBytesWithOneLengthChanged) {
  // The same values with their true lengths decode: only the length is what the tests lie about.
  LWWRegister<std::optional<std::string>> reg;
  reg.write(1, std::optional<std::string>(std::string(hostile::kMarker)), HlcTimestamp{5, 0});
  const std::string honest = hostile::with_claimed_length(reg, hostile::kMarker.size());
  EXPECT_TRUE(from_bytes<decltype(reg)>(honest) == reg);  // (no operator<< for optional)
  hostile::KeyValueLike kv;
  kv.hash.update(2, "field", [](auto& r) { return r.write(2, std::string(hostile::kMarker)); });
  EXPECT_TRUE(from_bytes<hostile::KeyValueLike>(to_bytes(kv)) == kv);
}

TEST(DecodeBounds, ALengthEqualToTheBytesLeftIsAccepted) {
  EXPECT_EQ(from_bytes<std::string>(unhex("01 0300000000000000 616263")), "abc");
  EXPECT_EQ(from_bytes<std::vector<std::uint8_t>>(unhex("01 0300000000000000 010203")),
            (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ(from_bytes<std::vector<std::uint16_t>>(unhex("01 0200000000000000 01000200")),
            (std::vector<std::uint16_t>{1, 2}));
  EXPECT_EQ(from_bytes<std::string>(unhex("01 0000000000000000")), "");
  // Two numbers of two bytes claimed, three bytes present.
  EXPECT_TRUE(rejects<std::vector<std::uint16_t>>("01 0200000000000000 010002"));
}

struct Empty {
  template <class Archive>
  void serialize(Archive&) {}
  friend bool operator==(const Empty&, const Empty&) = default;
};

TEST(DecodeBounds, ElementsThatEncodeInZeroBytesCountAgainstTheBytesLeftToo) {
  // The documented choice (docs/lattices.md): a count may not exceed the bytes after it, even
  // for elements that take no bytes. Such a container round-trips only while it is that short.
  const std::vector<Empty> two(2);
  EXPECT_TRUE(rejects_bytes<std::vector<Empty>>(to_bytes(two)));
  EXPECT_TRUE(round_trips(std::vector<Empty>{}));
}

TEST(DecodeBounds, AFlagByteOtherThanZeroOrOneIsRefused) {
  // cereal copies the byte into a bool; 2 would be undefined behaviour, and a second encoding.
  EXPECT_TRUE(rejects<std::optional<std::uint8_t>>("01 02 07"));
  EXPECT_EQ(from_bytes<std::optional<std::uint8_t>>(unhex("01 00 07")), std::uint8_t{7});
  EXPECT_EQ(from_bytes<std::optional<std::uint8_t>>(unhex("01 01")), std::nullopt);
}

TEST(DecodeBounds, EmptyInputAndAWrongHeaderAreRefused) {
  EXPECT_TRUE(rejects_bytes<std::string>(""));
  EXPECT_TRUE(rejects<std::string>("00 0000000000000000"));
  EXPECT_TRUE(rejects<PNCounter<>>("01 0000000000000000 0000000000000000 00"));
}

}  // namespace
