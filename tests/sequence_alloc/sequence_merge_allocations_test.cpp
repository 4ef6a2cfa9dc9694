// "Joining states that split the same ids differently costs O(ids)", measured without a clock:
// this program counts the bytes operator new is asked for (tests/support/counting_new.cpp, which
// is why it is an executable of its own) while one replica's run of n elements, held whole, is
// joined with the same run held as n pieces. Each copy of an element costs bytes, so the bytes
// grow as the work does: 8 times the ids must cost about 8 times the bytes. Cutting the whole
// run again for each piece (what normalize_items did) copied O(n^2) elements: 64 times.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "../support/counting_new.hpp"
#include "lattices/list.hpp"
#include "lattices/text.hpp"

namespace {

using calm::lattices::List;
using calm::lattices::Text;

constexpr std::size_t kSmall = 1000;
constexpr std::size_t kLarge = 8 * kSmall;
// Linear work is 8 times as much, quadratic 64 times; the rebuild's sorts add a little.
constexpr std::size_t kGrowthMax = 12;

List<std::uint64_t> list_run(std::size_t n) {
  std::vector<std::uint64_t> values(n);
  std::iota(values.begin(), values.end(), std::uint64_t{1});
  List<std::uint64_t> list;
  list.insert(1, 0, values.begin(), values.end());
  return list;
}

// Two bytes a code point: Text walks UTF-8 that is not ASCII code point by code point.
Text<> text_run(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "\xc3\xa9";
  Text<> text;
  text.insert(1, 0, s);
  return text;
}

// The same ids as n pieces: a run does not continue across a change of deleted.
template <class Seq>
Seq every_other_erased(Seq seq) {
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < seq.size(); i += 2) positions.push_back(i);
  seq.erase_each(positions);
  return seq;
}

template <class Seq>
std::size_t bytes_to_merge(const Seq& into, const Seq& other) {
  Seq replica = into;
  const calm::testing_support::AllocationCount count;
  replica.merge(other);
  calm::testing_support::keep(&replica);
  return count.bytes();
}

template <class Seq>
std::size_t bytes_to_join_all(std::vector<Seq> values) {
  const calm::testing_support::AllocationCount count;
  Seq joined = Seq::join_all(values);
  calm::testing_support::keep(&joined);
  return count.bytes();
}

TEST(SequenceMergeAllocations, ListPiecesMergedIntoTheirWholeRunCostLinearBytes) {
  const auto bytes = [](std::size_t n) {
    const List<std::uint64_t> whole = list_run(n);
    const List<std::uint64_t> pieces = every_other_erased(whole);
    EXPECT_EQ(pieces.piece_count(), n);
    return bytes_to_merge(whole, pieces);
  };
  const std::size_t small = bytes(kSmall);
  const std::size_t large = bytes(kLarge);
  EXPECT_LT(large, kGrowthMax * small)
      << small << " bytes for " << kSmall << " ids, " << large << " for " << kLarge;
}

TEST(SequenceMergeAllocations, TextPiecesMergedIntoTheirWholeRunCostLinearBytes) {
  const auto bytes = [](std::size_t n) {
    const Text<> whole = text_run(n);
    const Text<> pieces = every_other_erased(whole);
    EXPECT_EQ(pieces.piece_count(), n);
    return bytes_to_merge(whole, pieces);
  };
  const std::size_t small = bytes(kSmall);
  const std::size_t large = bytes(kLarge);
  EXPECT_LT(large, kGrowthMax * small)
      << small << " bytes for " << kSmall << " ids, " << large << " for " << kLarge;
}

// A replica's whole document joined with the one-element deltas that typed it.
TEST(SequenceMergeAllocations, JoinAllOfARunAndItsOneElementDeltasCostsLinearBytes) {
  const auto bytes = [](std::size_t n) {
    std::vector<List<std::uint64_t>> values(1);
    for (std::size_t i = 0; i < n; ++i) values.push_back(values.front().insert(1, i, i));
    // One run, held as runs of at most 64 values (List's bound on a stored run).
    EXPECT_EQ(values.front().piece_count(), (n + 63) / 64);
    return bytes_to_join_all(std::move(values));
  };
  const std::size_t small = bytes(kSmall);
  const std::size_t large = bytes(kLarge);
  EXPECT_LT(large, kGrowthMax * small)
      << small << " bytes for " << kSmall << " ids, " << large << " for " << kLarge;
}

}  // namespace
