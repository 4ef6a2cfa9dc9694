// Text<Id>: edits by code point, concurrent editing cases, deltas that arrive early, stable
// element ids, the pinned encoding and what decoding refuses.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "lattices/lattices.hpp"
#include "wire_checks.hpp"

namespace {

using namespace calm::lattices;
using namespace ::calm::lattices::wire_checks;

/// Two replicas that both hold `start`.
std::pair<Text<>, Text<>> forked(const std::string& start) {
  Text<> a;
  (void)a.insert(1, 0, start);
  return {a, a};
}

TEST(Text, InsertsAndErasesCountCodePoints) {
  Text<> t;
  (void)t.insert(1, 0, "h\xc3\xa9llo");  // "héllo": 5 code points, 6 bytes
  EXPECT_EQ(t.size(), 5U);
  (void)t.insert(1, 5, " \xe2\x82\xac");  // " €"
  (void)t.erase(1, 1);
  EXPECT_EQ(t.str(), "hllo \xe2\x82\xac");
  (void)t.insert(1, 1, "\xf0\x9f\x98\x80");
  EXPECT_EQ(t.str(), "h\xf0\x9f\x98\x80llo \xe2\x82\xac");
  EXPECT_EQ(t.size(), 7U);
}

TEST(Text, RefusesInvalidUtf8AndPositionsPastTheEndChangingNothing) {
  Text<> t;
  (void)t.insert(1, 0, "ab");
  const Text<> before = t;
  EXPECT_THROW((void)t.insert(1, 0, "\xc3"), std::invalid_argument);          // cut short
  EXPECT_THROW((void)t.insert(1, 0, "\xc0\xaf"), std::invalid_argument);      // overlong
  EXPECT_THROW((void)t.insert(1, 0, "\xed\xa0\x80"), std::invalid_argument);  // surrogate
  EXPECT_THROW((void)t.insert(1, 3, "x"), std::out_of_range);
  EXPECT_THROW((void)t.erase(1, 2), std::out_of_range);
  EXPECT_TRUE(t == before);
}

TEST(Text, ConcurrentTypingAtOnePlaceKeepsEachRunWhole) {
  auto [a, b] = forked("ac");
  std::vector<Text<>> from_a, from_b;
  for (const char* s : {"1", "2", "3"}) from_a.push_back(a.insert(2, 1 + from_a.size(), s));
  for (const char* s : {"x", "y", "z"}) from_b.push_back(b.insert(3, 1 + from_b.size(), s));
  for (const Text<>& d : from_b) a.merge(d);
  for (const Text<>& d : from_a) b.merge(d);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_TRUE(a.str() == "a123xyzc" || a.str() == "axyz123c") << a.str();
}

TEST(Text, ConcurrentTypingBackwardsAtOnePlaceKeepsEachRunWhole) {
  auto [a, b] = forked("ac");
  std::vector<Text<>> from_a, from_b;
  for (const char* s : {"3", "2", "1"}) from_a.push_back(a.insert(2, 1, s));
  for (const char* s : {"z", "y", "x"}) from_b.push_back(b.insert(3, 1, s));
  for (const Text<>& d : from_b) a.merge(d);
  for (const Text<>& d : from_a) b.merge(d);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_TRUE(a.str() == "a123xyzc" || a.str() == "axyz123c") << a.str();
}

TEST(Text, InsertConcurrentWithEraseOfItsNeighboursSurvives) {
  auto [a, b] = forked("abc");
  const Text<> erased = a.erase(0, 3);
  const Text<> inserted = b.insert(2, 2, "X");  // between b and c
  a.merge(inserted);
  b.merge(erased);
  EXPECT_EQ(a.str(), "X");
  EXPECT_TRUE(a == b);
}

TEST(Text, DeltasArrivingBeforeTheirParentsWaitAndThenApply) {
  Text<> source;
  const Text<> first = source.insert(1, 0, "ab");
  const Text<> second = source.insert(1, 1, "X");  // left child of b: needs `first`
  const Text<> third = source.erase(0, 1);         // tombstone of a: needs `first`
  Text<> late;
  EXPECT_TRUE(late.merge(third));
  EXPECT_TRUE(late.merge(second));
  EXPECT_EQ(late.str(), "");
  EXPECT_EQ(late.pending_elements(), 1U);
  EXPECT_TRUE(late.merge(first));
  EXPECT_EQ(late.str(), "Xb");
  EXPECT_EQ(late.pending_elements(), 0U);
  EXPECT_TRUE(late == source);
  EXPECT_FALSE(late.merge(second));  // a duplicate changes nothing
}

TEST(Text, AnElementIdNamesTheSamePlaceAtEveryReplica) {
  auto [a, b] = forked("hello");
  const auto cursor = a.id_at(4);  // the 'o'
  (void)b.insert(2, 0, ">> ");
  EXPECT_EQ(b.position_of(cursor), 7U);
  (void)b.erase(6, 2);  // deletes "lo": the cursor falls on what follows
  EXPECT_EQ(b.position_of(cursor), 6U);
  EXPECT_EQ(a.position_of(Text<>::ElementId{9, 9}), std::nullopt);
}

TEST(Text, DeltaCarriesOnlyWhatTheOtherSideLacks) {
  auto [a, b] = forked("hello");
  (void)a.insert(1, 5, " world");
  (void)a.erase(0, 1);
  const Text<> d = a.delta(b);
  Text<> c = b;
  c.merge(d);
  EXPECT_TRUE(c == a);
  EXPECT_TRUE(a.delta(a).is_bot());
  EXPECT_TRUE(b.delta(a).is_bot());  // b <= a
}

TEST(Text, ANestedDocumentInAnORMapMergesLikeAnyValue) {
  ORMap<std::string, Text<>> docs, other;
  docs.update(1, "readme", [](Text<>& t) { return t.insert(1, 0, "hi"); });
  other.merge(docs);
  other.update(2, "readme", [](Text<>& t) { return t.insert(2, 2, "!"); });
  docs.update(1, "readme", [](Text<>& t) { return t.insert(1, 0, "> "); });
  docs.merge(other);
  other.merge(docs);
  EXPECT_TRUE(docs == other);
  EXPECT_EQ(docs.get("readme").str(), "> hi!");
}

// The pinned encoding (CHANGING IT IS A FORMAT CHANGE: see tests/serialization_test.cpp):
// PortableBinary; the replica ids, then the shape as one varint string, then the values.
// Text "hi" typed by replica 1: replicas [1]; shape: 1 document piece, 0 pending, 0 tombstone
// runs; flags 0 (root parent), replica #0, counter +1 (zigzag 2), length 2; values "hi".
constexpr std::string_view kTyped =
    "01 0100000000000000 0100000000000000"
    " 0700000000000000 01 00 00 00 00 02 02"
    " 0200000000000000 6869";
// "hi", then 'h' erased and "é" inserted at 0 by replica 2: replicas [1, 2]; shape: 3 pieces;
// "é" (flags 0b1010: left child of the piece after it; replica #1, counter 1, length 1), the
// tombstone of 'h' (flags 1: deleted, root parent; counter 1 is 2 - 1, zigzag 1), then "i"
// (flags 0b0100: right child of the piece before; counter 2, difference 0); values "éi".
constexpr std::string_view kEdited =
    "01 0200000000000000 0100000000000000 0200000000000000"
    " 0f00000000000000 03 00 00  0a 01 02 01  01 00 01 01  04 00 00 01"
    " 0300000000000000 c3a969";
constexpr std::string_view kEmpty = "01 0000000000000000 0300000000000000 000000 0000000000000000";

TEST(TextGoldenBytes, ATypedRunIsOnePieceAndItsText) {
  Text<> t;
  (void)t.insert(1, 0, "hi");
  EXPECT_TRUE(matches_golden(t, kTyped));
  EXPECT_TRUE(matches_golden(Text<>{}, kEmpty));
}

TEST(TextGoldenBytes, TombstonesAndLeftChildrenKeepTheirPlaces) {
  Text<> t;
  (void)t.insert(1, 0, "hi");
  (void)t.erase(0, 1);
  (void)t.insert(2, 0, "\xc3\xa9");
  EXPECT_TRUE(matches_golden(t, kEdited));
}

TEST(TextDecoding, PrefixesTrailingBytesAndNonCanonicalFormsAreRejected) {
  for (const GoldenCase& c :
       {golden_case<Text<>>("typed", kTyped), golden_case<Text<>>("edited", kEdited),
        golden_case<Text<>>("empty", kEmpty)}) {
    EXPECT_TRUE(every_prefix_rejected(c));
    EXPECT_TRUE(trailing_bytes_rejected(c));
  }
  // Two pieces where one run would do: "h" then "i" (its run child) as separate pieces.
  EXPECT_TRUE(
      rejects<Text<>>("01 0100000000000000 0100000000000000"
                      " 0b00000000000000 02 00 00  00 00 02 01  04 00 00 01"
                      " 0200000000000000 6869"));
  // A value that is not UTF-8, and values shorter than the pieces.
  EXPECT_TRUE(
      rejects<Text<>>("01 0100000000000000 0100000000000000"
                      " 0700000000000000 01 00 00 00 00 02 02 0200000000000000 c328"));
  EXPECT_TRUE(
      rejects<Text<>>("01 0100000000000000 0100000000000000"
                      " 0700000000000000 01 00 00 00 00 02 02 0100000000000000 68"));
  // Counter 2^64 - 1 (zigzag 1 from 0) with 2 elements: past the last counter.
  EXPECT_TRUE(
      rejects<Text<>>("01 0100000000000000 0100000000000000"
                      " 0700000000000000 01 00 00 00 00 01 02 0200000000000000 6869"));
  // The length 2 written in two bytes (82 00): not the shortest form.
  EXPECT_TRUE(
      rejects<Text<>>("01 0100000000000000 0100000000000000"
                      " 0800000000000000 01 00 00 00 00 02 82 00 0200000000000000 6869"));
  // A replica listed and never named (the fuzzer's first finding), and an unknown flag.
  EXPECT_TRUE(
      rejects<Text<>>("01 0200000000000000 0100000000000000 0600000000000000"
                      " 0700000000000000 01 00 00 00 00 02 02 0200000000000000 6869"));
  EXPECT_TRUE(
      rejects<Text<>>("01 0100000000000000 0100000000000000"
                      " 0700000000000000 01 00 00 10 00 02 02 0200000000000000 6869"));
}

TEST(TextDecoding, APieceThatIsItsOwnAncestorIsRejected) {
  // Found in review: a pending piece whose parent lies in its own range could never be placed,
  // and kept forever it made every later merge rebuild the whole document. Elements (1, 1)
  // and (1, 2), pending, with parent (1, 2); then the same with parent (1, 5), which is
  // simply not here yet.
  EXPECT_TRUE(
      rejects<Text<>>("01 0100000000000000 0100000000000000"
                      " 0900000000000000 00 01 00 0c 00 02 02 00 02 0200000000000000 6869"));
  const std::string waiting = unhex(
      "01 0100000000000000 0100000000000000"
      " 0900000000000000 00 01 00 0c 00 02 02 00 05 0200000000000000 6869");
  EXPECT_EQ(from_bytes<Text<>>(waiting).size(), 0u);  // pending: not visible yet
}

TEST(TextDecoding, AReplicaIdLongerThanTheBoundIsRefusedToInsertAndToDecode) {
  // Each piece holds a copy of its replica id: a 1 MB id named by many small pieces made
  // decoding n bytes allocate about n^2 / 16.
  Text<std::string> t;
  EXPECT_THROW((void)t.insert(std::string(257, 'r'), 0, "hi"), std::length_error);
  EXPECT_EQ(t.size(), 0u);
  const auto with_id = [](std::size_t n) {
    std::string bytes = unhex("01 0100000000000000");
    for (int i = 0; i < 8; ++i) bytes += static_cast<char>((n >> (8 * i)) & 0xff);
    bytes += std::string(n, 'r');
    bytes += unhex("0700000000000000 01 00 00 00 00 02 02 0200000000000000 6869");
    return bytes;
  };
  EXPECT_EQ(from_bytes<Text<std::string>>(with_id(256)).str(), "hi");
  EXPECT_TRUE(rejects_bytes<Text<std::string>>(with_id(257)));
  Text<std::string> longest;
  (void)longest.insert(std::string(256, 'r'), 0, "hi");
  EXPECT_EQ(to_bytes(longest), with_id(256));
}

}  // namespace
