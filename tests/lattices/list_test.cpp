// List<T, Id>: positions, runs, reading, the pinned encoding and what decoding refuses. The
// concurrent cases are Text's tests and both types' law files (one algorithm underneath).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "lattices/lattices.hpp"
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

/// A list merged by rvalue into bottom hands over its whole value and is left bottom (its
/// element count had stayed behind: size() was 40 and, after one insert, 41). Moves by
/// construction and assignment: tests/moved_from_test.cpp.
TEST(List, MergedByRvalueIntoBottomLeavesItsSourceBottom) {
  List<int> from;
  for (int i = 0; i < 40; ++i) from.insert(1, 0, i);  // at the front, so the cursor is cached
  const List<int> copy = from;
  List<int> to;
  EXPECT_TRUE(to.merge(std::move(from)));
  EXPECT_EQ(to, copy);
  EXPECT_TRUE(from.is_bot());
  EXPECT_EQ(from.size(), 0u);
  from.insert(2, 0, 7);
  from.insert(2, 1, 8);
  EXPECT_EQ(from.values(), (std::vector<int>{7, 8}));
  EXPECT_EQ(from_bytes<List<int>>(to_bytes(from)), from);
}

/// The same joins taking each delta by rvalue (what a replica does with a write's delta): the
/// pieces move instead of being copied, and the result is the same value. String replica ids,
/// so that a piece whose id moved before it was read would show; and the deltas inside a
/// product, whose rvalue merge hands each field its own.
TEST(List, PushDeltasJoinedByRvalueEqualThoseJoinedByCopy) {
  using Doc = List<std::string, std::string>;
  for (const bool front : {true, false}) {
    Doc here;
    here.insert("alice", 0, std::string("start"));
    const Doc base = here;
    Doc copied;
    Doc moved;
    std::pair<Doc, GCounter<std::string>> copied_pair;
    std::pair<Doc, GCounter<std::string>> moved_pair;
    for (int i = 0; i < 40; ++i) {
      const std::size_t pos = front ? 0 : here.size();
      std::string value = "v";
      value += std::to_string(i);
      const Doc delta = here.insert(i < 30 ? "bob" : "carol", pos, value);
      EXPECT_TRUE(copied.merge(delta));
      EXPECT_TRUE(merge(moved, Doc(delta)));
      std::pair<Doc, GCounter<std::string>> step{delta, {}};
      step.second.increment("bob", 1);
      merge(copied_pair, step);
      merge(moved_pair, std::move(step));
    }
    EXPECT_EQ(moved, copied);
    EXPECT_EQ(to_bytes(moved), to_bytes(copied));
    // Each replica's last counter came along: a next insert takes the same fresh id.
    Doc copied_next = copied;
    Doc moved_next = moved;
    EXPECT_EQ(moved_next.insert("carol", 0, std::string("w")),
              copied_next.insert("carol", 0, std::string("w")));
    EXPECT_EQ(moved_pair, copied_pair);
    EXPECT_EQ(moved_pair.first, copied);
    Doc there = base;
    EXPECT_TRUE(merge(there, std::move(moved)));
    EXPECT_EQ(there.values(), here.values());
    EXPECT_FALSE(merge(there, Doc(copied)));  // nothing new: an rvalue merge says so too
  }
}

/// decompose cuts a value into parts that each fit a message: a part is at most about 4 KiB
/// of values or one element, and a deleted run (no values) is one part however long it is, so
/// a forged length cannot make it work.
TEST(List, DecomposeBoundsEachPartByBytesAndKeepsDeletedRunsWhole) {
  List<std::string> list;
  std::vector<std::string> run{std::string(4000, 'a'), std::string(1'000'000, 'b')};
  for (int i = 0; i < 200; ++i) run.push_back("small");
  list.insert(1, 0, run.begin(), run.end());
  for (const List<std::string>& part : list.decompose()) {
    const std::size_t bytes = encoded_size(part);
    EXPECT_TRUE(bytes <= 4096 + 256 || (bytes > 1'000'000 && bytes <= 1'000'000 + 256)) << bytes;
  }
  std::vector<int> many(100'000, 7);
  List<int> ints;
  ints.insert(1, 0, many.begin(), many.end());
  (void)ints.erase(0, ints.size());
  EXPECT_EQ(ints.decompose().size(), 1U);
}

/// erase_each (LREM's erase) gives the value and the delta that single erases, joined, give.
TEST(List, EraseEachEqualsSingleErasesJoined) {
  List<int> a;
  std::vector<int> values;
  for (int i = 0; i < 50; ++i) {
    values.push_back(i);
    a.insert(1 + static_cast<std::uint64_t>(i % 3), a.size(), i);  // pieces of several replicas
  }
  List<int> b = a;
  const std::vector<std::size_t> positions{0, 3, 4, 5, 17, 30, 49};
  const List<int> together = a.erase_each(positions);
  List<int> joined;
  for (auto it = positions.rbegin(); it != positions.rend(); ++it) joined.merge(b.erase(*it, 1));
  EXPECT_EQ(a, b);
  EXPECT_EQ(together, joined);
  EXPECT_THROW((void)a.erase_each({2, 2}), std::out_of_range);
  EXPECT_THROW((void)a.erase_each({a.size()}), std::out_of_range);
  EXPECT_EQ(a, b);  // refused: nothing changed
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

// A moved-from list is the empty list, as a moved-from std::vector of pieces was, also after
// front inserts gave its leaf headers room before the first (found by a review: it crashed).
TEST(List, AMovedFromListIsEmptyAndTakesMerges) {
  List<std::string> a;
  for (int i = 0; i < 200; ++i) a.insert(1, 0, std::to_string(i));
  List<std::string> b = std::move(a);
  EXPECT_EQ(b.size(), 200u);
  EXPECT_TRUE(is_bot(a));  // NOLINT(bugprone-use-after-move): what this test is about
  a.merge(b);
  EXPECT_EQ(a, b);
  List<std::string> c;
  c = std::move(b);
  EXPECT_TRUE(is_bot(b));  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c, a);
}

}  // namespace
