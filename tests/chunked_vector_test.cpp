// detail::ChunkedVector, the chunked sorted storage of DotMap's entries: every sequence of
// inserts and erasures at sorted positions leaves the same elements as a flat vector would,
// with its invariants (no empty chunk, none past chunk_max, the size right) after each step, and
// a cursor walks and skips through it as through the flat vector.
#include "lattices/detail/chunked_vector.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
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

/// Hands out consecutive pieces of one arena, so that a chunk allocated next starts exactly where
/// the one before it ends (as jemalloc's same-sized allocations can).
template <class T>
struct PackingAllocator {
  using value_type = T;
  alignas(64) static inline std::byte arena[1 << 16];
  static inline std::size_t used = 0;
  PackingAllocator() = default;
  template <class U>
  PackingAllocator(const PackingAllocator<U>&) {}  // NOLINT: allocators convert implicitly
  T* allocate(std::size_t n) {
    static_assert(alignof(T) <= 64);
    if (used + n * sizeof(T) > sizeof(arena)) throw std::bad_alloc();
    T* p = reinterpret_cast<T*>(arena + used);
    used += n * sizeof(T);
    return p;
  }
  void deallocate(T*, std::size_t) {}
  friend bool operator==(const PackingAllocator&, const PackingAllocator&) { return true; }
};

TEST(ChunkedVector, ACursorTellsTheEndFromAChunkThatStartsWhereTheLastChunkEnds) {
  // Two full chunks of even numbers, the second allocated right after the first; then an odd
  // number inserted into the first splits it, and the new upper half is allocated where the
  // last chunk ends. (A cursor that named the end by the last chunk's end pointer stopped
  // there, and a join saw a whole group as empty: acknowledged SADDs were lost.)
  PackingAllocator<int>::used = 0;
  ChunkedVector<int, PackingAllocator<int>> c;
  std::vector<int> flat;
  for (int i = 0; i < 2 * static_cast<int>(Chunked::chunk_max); ++i) {
    c.push_back(2 * i);
    flat.push_back(2 * i);
  }
  ASSERT_EQ(c.chunk_count(), 2u);
  const int* last_chunk_end = &c.back() + 1;
  c.insert(c.lower_bound(65, below), 65);
  flat.insert(std::lower_bound(flat.begin(), flat.end(), 65), 65);
  ASSERT_EQ(c.chunk_count(), 3u);
  // The premise: the split's upper half starts where the last chunk ends.
  const int upper_start = 2 * static_cast<int>(Chunked::chunk_max / 2);
  ASSERT_EQ(&*c.lower_bound(upper_start, below), last_chunk_end);

  std::vector<int> walked;
  for (auto at = c.first(), end = c.last(); at != end; ++at) walked.push_back(*at);
  EXPECT_EQ(walked, flat);
  for (std::size_t skip = 0; skip < flat.size(); ++skip) {
    auto at = c.first();
    at.advance(skip);
    EXPECT_FALSE(at == c.last()) << "after " << skip << " steps";
    EXPECT_EQ(*at, flat[skip]);
  }
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
  // A cursor's walk, and its skips of any length, land where the flat vector's would.
  std::vector<int> walked;
  for (auto at = c.first(), end = c.last(); at != end; ++at) walked.push_back(*at);
  RC_ASSERT(walked == flat);
  std::size_t position = 0;
  auto skipping = c.first();
  while (position < flat.size()) {
    RC_ASSERT(*skipping == flat[position]);
    // At least one step (a generator at size 0 may give its lower bound every time).
    const auto skip = *rc::gen::inRange<std::size_t>(1, flat.size() - position + 1);
    skipping.advance(skip);
    position += skip;
  }
  RC_ASSERT(skipping == c.last());
  for (int k = -1; k <= n + 1; ++k) {
    const auto it = c.lower_bound(k, below);
    const auto at = std::lower_bound(flat.begin(), flat.end(), k);
    RC_ASSERT(std::distance(c.begin(), it) == std::distance(flat.begin(), at));
  }
}

}  // namespace
}  // namespace calm::lattices::detail
