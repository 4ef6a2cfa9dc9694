// detail::ChunkedVector, the chunked sorted storage of DotMap's entries: every sequence of
// inserts and erasures at sorted positions leaves the same elements as a flat vector would,
// with its invariants (no empty chunk, none past chunk_max, the size right) after each step.
#include "lattices/detail/chunked_vector.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <numeric>
#include <random>
#include <vector>

namespace calm::lattices::detail {
namespace {

using Chunked = ChunkedVector<int>;
constexpr auto below = [](int e, int key) { return e < key; };

std::vector<int> contents(const Chunked& c) { return {c.begin(), c.end()}; }

/// Inserts `x` at its sorted place in both, unless present; erases it from both if present.
/// False when the chunked vector's answer differs from the flat one's.
bool toggle(Chunked& chunked, std::vector<int>& flat, int x) {
  auto it = chunked.lower_bound(x, below);
  auto at = std::lower_bound(flat.begin(), flat.end(), x);
  if (at != flat.end() && *at == x) {
    if (it == chunked.end() || *it != x) return false;
    const auto next = chunked.erase(it);
    const auto flat_next = flat.erase(at);
    // The position returned is the element after the erased one.
    if ((next == chunked.end()) != (flat_next == flat.end())) return false;
    return flat_next == flat.end() || *next == *flat_next;
  }
  const auto inserted = chunked.insert(it, x);
  flat.insert(at, x);
  // Where it sits: between its neighbors.
  if (*inserted != x) return false;
  if (inserted != chunked.begin() && !(*std::prev(inserted) < x)) return false;
  return std::next(inserted) == chunked.end() || x < *std::next(inserted);
}

TEST(ChunkedVector, InsertsInTheMiddleSplitChunksAndIterationStaysInOrder) {
  Chunked c;
  std::vector<int> flat;
  // Every other number, then the ones between, from the middle outwards: splits everywhere.
  for (int i = 0; i < 2000; i += 2) ASSERT_TRUE(toggle(c, flat, i));
  for (int i = 999; i >= 1; i -= 2) ASSERT_TRUE(toggle(c, flat, i));
  for (int i = 1001; i < 2000; i += 2) ASSERT_TRUE(toggle(c, flat, i));
  EXPECT_EQ(contents(c), flat);
  EXPECT_EQ(c.size(), 2000u);
  EXPECT_TRUE(c.check_invariants());
  EXPECT_GE(c.chunk_count(), 2000u / Chunked::chunk_max);
  // Backwards, too.
  std::vector<int> backwards;
  for (auto it = c.end(); it != c.begin();) backwards.push_back(*--it);
  std::reverse(backwards.begin(), backwards.end());
  EXPECT_EQ(backwards, flat);
}

TEST(ChunkedVector, ErasuresMergeSmallChunksSoFewAreLeft) {
  Chunked c;
  std::vector<int> flat;
  for (int i = 0; i < 10'000; ++i) {
    c.push_back(i);
    flat.push_back(i);
  }
  ASSERT_EQ(c.chunk_count(), 10'000u / Chunked::chunk_max + 1);
  // Keep one element in sixteen: the chunks that are left hold more than a sixteenth each.
  for (int i = 0; i < 10'000; ++i) {
    if (i % 16 != 0) {
      ASSERT_TRUE(toggle(c, flat, i));
    }
  }
  EXPECT_TRUE(c.check_invariants());
  EXPECT_EQ(c.size(), 625u);
  EXPECT_LE(c.chunk_count(), 2 * 625u / (Chunked::chunk_max / 4) + 1);
  EXPECT_EQ(contents(c), flat);
}

TEST(ChunkedVector, AMovedFromVectorIsEmptyAndACopyIsEqual) {
  for (const int n : {1, 300}) {  // one chunk (its header in place), and several
    Chunked a;
    for (int i = 0; i < n; ++i) a.push_back(i);
    const Chunked copy = a;
    EXPECT_EQ(copy, a);
    Chunked moved = std::move(a);
    EXPECT_EQ(moved, copy);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): what is checked
    EXPECT_EQ(a.size(), 0u);
    EXPECT_TRUE(a.check_invariants());
    a.push_back(7);
    EXPECT_EQ(contents(a), std::vector<int>{7});
    Chunked assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned, copy);
    EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(moved.check_invariants());
  }
}

TEST(ChunkedVector, EqualityIgnoresHowTheElementsAreChunked) {
  Chunked appended, inserted;
  for (int i = 0; i < 500; ++i) appended.push_back(i);
  for (int i = 499; i >= 0; --i) inserted.insert(inserted.begin(), i);
  EXPECT_NE(appended.chunk_count(), inserted.chunk_count());
  EXPECT_EQ(appended, inserted);
  inserted.erase(inserted.lower_bound(250, below));
  EXPECT_NE(appended, inserted);
}

RC_GTEST_PROP(ChunkedVector, AnySequenceOfInsertsAndErasuresMatchesAFlatVector, ()) {
  // Up to 2,000 keys inserted in a random order (chunks fill and split), most of them erased in
  // another (chunks shrink and join), then up to 2,000 toggles of random keys (both at once).
  const int n = *rc::gen::inRange(0, 2000);
  std::vector<int> keys(static_cast<std::size_t>(n));
  std::iota(keys.begin(), keys.end(), 0);
  std::mt19937_64 random(*rc::gen::arbitrary<std::uint64_t>());
  std::shuffle(keys.begin(), keys.end(), random);
  const int keep_one_in = *rc::gen::inRange(1, 32);
  std::vector<int> steps = keys;
  std::shuffle(keys.begin(), keys.end(), random);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i % static_cast<std::size_t>(keep_one_in) != 0) steps.push_back(keys[i]);
  }
  const auto mixed = *rc::gen::container<std::vector<int>>(
      static_cast<std::size_t>(*rc::gen::inRange(0, 2000)), rc::gen::inRange(0, n + 1));
  steps.insert(steps.end(), mixed.begin(), mixed.end());

  Chunked c;
  std::vector<int> flat;
  for (int k : steps) {
    RC_ASSERT(toggle(c, flat, k));
    RC_ASSERT(c.check_invariants());
    RC_ASSERT(c.size() == flat.size());
  }
  RC_ASSERT(contents(c) == flat);
  for (int k = -1; k <= n + 1; ++k) {
    const auto it = c.lower_bound(k, below);
    const auto at = std::lower_bound(flat.begin(), flat.end(), k);
    RC_ASSERT(std::distance(c.begin(), it) == std::distance(flat.begin(), at));
  }
}

}  // namespace
}  // namespace calm::lattices::detail
