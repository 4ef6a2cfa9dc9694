// List<T, Id>: positions, runs, reading, the pinned encoding and what decoding refuses. The
// concurrent cases are Text's tests and both types' law files (one algorithm underneath).
#include <gtest/gtest.h>

#include <lattices/lattices.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "wire_checks.hpp"

namespace {

using namespace calm::lattices;
using namespace ::calm::lattices::wire_checks;

TEST(List, InsertsValuesAndRunsAtPositions) {
  List<std::string> l;
  (void)l.insert(1, 0, "b");
  (void)l.insert(1, 0, "a");
  const std::vector<std::string> run{"x", "y"};
  (void)l.insert(1, 1, run.begin(), run.end());
  EXPECT_EQ(l.values(), (std::vector<std::string>{"a", "x", "y", "b"}));
  EXPECT_EQ(l.at(2), "y");
  EXPECT_THROW((void)l.at(4), std::out_of_range);
  std::vector<std::string> seen;
  l.for_each([&](const std::string& s) { seen.push_back(s); });
  EXPECT_EQ(seen, l.values());
}

TEST(List, EraseSpansRunsAndKeepsTheRest) {
  List<int> l;
  const std::vector<int> first{1, 2, 3};
  const std::vector<int> second{7, 8, 9};
  (void)l.insert(1, 0, first.begin(), first.end());
  (void)l.insert(2, 3, second.begin(), second.end());
  const List<int> d = l.erase(2, 2);  // 3 and 7: one from each replica's run
  EXPECT_EQ(l.values(), (std::vector<int>{1, 2, 8, 9}));
  EXPECT_EQ(d.pending_tombstones().size(), 2U);
  List<int> other;
  other.merge(l);
  EXPECT_TRUE(other == l);
}

TEST(List, AReplicaThatRunsOutOfCountersRefusesTheInsertChangingNothing) {
  // A peer's state where replica 1 has used counter 2^64 - 3 (zigzag 5 from 0).
  List<int> l =
      from_bytes<List<int>>(unhex("01 0100000000000000 0100000000000000"
                                  " 0700000000000000 01 00 00  00 00 05 01"
                                  " 05000000"));
  (void)l.insert(1, 1, 6);  // takes 2^64 - 2, the last one
  const List<int> before = l;
  EXPECT_THROW((void)l.insert(1, 0, 7), std::overflow_error);
  EXPECT_TRUE(l == before);
  EXPECT_EQ(l.values(), (std::vector<int>{5, 6}));
}

// List<int> [7, 8] typed by replica 1, then 8 erased: replicas [1]; shape: 2 pieces; [7] (root
// parent, counter 1) and the tombstone of 8 (flags 0b0101: deleted, the run child of the piece
// before; counter difference 0); then the values, each a 4-byte int (no count: the shape has it).
constexpr std::string_view kList =
    "01 0100000000000000 0100000000000000"
    " 0b00000000000000 02 00 00  00 00 02 01  05 00 00 01"
    " 07000000";

/// A turn's deltas of pushes, joined one by one (what a replica buffers between gossip rounds):
/// each join appends to the pending runs instead of rebuilding, and must still be the
/// canonical value (decoding refuses any other form) that the deltas' union is.
TEST(List, PushDeltasJoinedOneByOneStayCanonicalAndEqualTheirUnion) {
  List<std::string> base;
  base.insert(1, 0, std::string("start"));
  for (const bool front : {true, false}) {
    List<std::string> here = base;
    List<std::string> joined;
    List<std::string> rebuilt;  // the same deltas, joined in reverse: rebuild path
    std::vector<List<std::string>> deltas;
    for (int i = 0; i < 40; ++i) {
      const std::size_t pos = front ? 0 : here.size();
      std::string value = "v";  // appended: GCC 12 warns falsely (-Wrestrict) on "v" + ...
      value += std::to_string(i);
      deltas.push_back(here.insert(i < 30 ? 1 : 2, pos, value));
      EXPECT_TRUE(joined.merge(deltas.back()));
    }
    for (auto it = deltas.rbegin(); it != deltas.rend(); ++it) rebuilt.merge(*it);
    EXPECT_EQ(joined, rebuilt);
    EXPECT_EQ(from_bytes<List<std::string>>(to_bytes(joined)), joined);
    List<std::string> there = base;
    there.merge(joined);
    EXPECT_EQ(there.values(), here.values());
  }
}

TEST(ListGoldenBytes, PiecesThenEachValue) {
  List<int> l;
  const std::vector<int> v{7, 8};
  (void)l.insert(1, 0, v.begin(), v.end());
  (void)l.erase(1, 1);
  EXPECT_TRUE(matches_golden(l, kList));
}

TEST(ListDecoding, PrefixesTrailingBytesAndMissingValuesAreRejected) {
  const GoldenCase c = golden_case<List<int>>("list", kList);
  EXPECT_TRUE(every_prefix_rejected(c));
  EXPECT_TRUE(trailing_bytes_rejected(c));
  // A piece that claims 2^62 values with 4 bytes of them: refused when the bytes run out.
  EXPECT_TRUE(
      rejects<List<int>>("01 0100000000000000 0100000000000000"
                         " 0f00000000000000 01 00 00  00 00 02 8080808080808080 40"
                         " 07000000"));
}

}  // namespace
