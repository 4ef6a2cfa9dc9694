// A List keeps one replica's inserts at its front (LPUSH after LPUSH) as backward runs in its
// document (detail/sequence.hpp). They exist only in memory, so a replica that made them must
// be indistinguishable from one that only received the same deltas: the same values, the same
// canonical form and bytes, the same ids at every position. These tests make many of them and
// edit, erase and merge around and inside them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lattices/list.hpp"
#include "lattices/serialize.hpp"
#include "support/sanitizers.hpp"

namespace {

using calm::lattices::from_bytes;
using calm::lattices::List;
using calm::lattices::to_bytes;
using PushedList = List<std::string>;

// Every visible element's id maps back to its position, and the bytes decode to an equal list.
void expect_same_as_received(const PushedList& d, const PushedList& shadow, const char* where) {
  const std::vector<std::string> all = shadow.values();
  ASSERT_EQ(d.values(), all) << where;
  ASSERT_EQ(d, shadow) << where;
  // Every position of a short list, and about 16 spread over a long one (position_of scans).
  const std::size_t stride = d.size() / 16 + 1;
  for (std::size_t pos = 0; pos < d.size(); pos += stride) {
    ASSERT_EQ(d.id_at(pos), shadow.id_at(pos)) << where << " at " << pos;
    ASSERT_EQ(d.position_of(d.id_at(pos)), pos) << where << " at " << pos;
    ASSERT_EQ(d.at(pos), shadow.at(pos)) << where << " at " << pos;
  }
  // Every way of reading the values, in order.
  std::vector<std::string> each;
  d.for_each([&](const std::string& x) { each.push_back(x); });
  ASSERT_EQ(each, all) << where;
  for (std::size_t from = 0; from < d.size(); from += stride) {
    std::vector<std::string> range;
    d.for_each(from, from + 40, [&](const std::string& x) { range.push_back(x); });
    ASSERT_EQ(range, std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(from),
                                              all.begin() + static_cast<std::ptrdiff_t>(
                                                                std::min(from + 40, all.size()))))
        << where << " from " << from;
  }
  ASSERT_EQ(to_bytes(d), to_bytes(shadow)) << where;
  ASSERT_EQ(from_bytes<PushedList>(to_bytes(d)), d) << where;
}

TEST(ListBackwardRuns, FrontPushesShareHeadersAndReadInOrder) {
  PushedList here;
  PushedList there;  // receives the deltas only
  std::vector<std::string> model;
  for (int i = 0; i < 200; ++i) {
    there.merge(here.insert(1, 0, std::to_string(i)));
    model.insert(model.begin(), std::to_string(i));
  }
  EXPECT_EQ(here.values(), model);
  expect_same_as_received(here, there, "after the pushes");
  // 200 pushes in runs of PushedList::backward_run_max; the first element starts its own run.
  EXPECT_LE(here.piece_count(), 200 / 32 + 2);
  EXPECT_EQ(there.piece_count(), 200u);
  // Decoding (a restart) and a merge that rebuilds find the runs again: a reloaded list of
  // LPUSHes is not a piece per element (126 bytes an element instead of 35, at 1,000,000).
  const PushedList reloaded = from_bytes<PushedList>(to_bytes(there));
  expect_same_as_received(reloaded, there, "reloaded");
  EXPECT_LE(reloaded.piece_count(), 200 / 32 + 1);
  EXPECT_GT(reloaded.backward_run_count(), 0u);
  PushedList joined;
  joined.merge(PushedList(there));
  expect_same_as_received(joined, there, "a whole state merged into an empty one");
}

// Popped LPUSHes leave tombstones: a rebuild joins them into one deleted backward run, and the
// live elements of a run stay within its bound, however long the chain.
TEST(ListBackwardRuns, ARebuildJoinsTombstonesAndBoundsLiveRuns) {
  PushedList here;
  PushedList there;
  for (int i = 0; i < 300; ++i) there.merge(here.insert(1, 0, std::to_string(i)));
  for (int i = 0; i < 100; ++i) there.merge(here.erase(0, 1));  // LPOP x 100
  const PushedList reloaded = from_bytes<PushedList>(to_bytes(there));
  expect_same_as_received(reloaded, here, "reloaded after pops");
  // 200 live elements in runs of at most 32, and the 100 popped in one deleted run.
  EXPECT_LE(reloaded.piece_count(), (200 + 31) / 32 + 2);
  EXPECT_GE(reloaded.piece_count(), 200 / 32 + 1);
  // Edits after the reload match a copy that only receives them.
  PushedList edited = reloaded;
  PushedList received = reloaded;
  for (int i = 0; i < 40; ++i) received.merge(edited.insert(1, 0, "n" + std::to_string(i)));
  for (std::size_t pos : {0, 5, 31, 32, 33, 100}) {
    received.merge(edited.insert(2, pos, "m"));
    expect_same_as_received(edited, received, "insert after a reload");
  }
  for (std::size_t pos : {0, 3, 30, 60}) {
    received.merge(edited.erase(pos, 2));
    expect_same_as_received(edited, received, "erase after a reload");
  }
  received.merge(edited.erase(0, edited.size()));
  expect_same_as_received(edited, received, "all erased after a reload");
  // A reloaded run takes the next push at its front, as the live one did.
  PushedList pushed;
  for (int i = 0; i < 20; ++i) (void)pushed.insert(1, 0, std::to_string(i));
  PushedList again = from_bytes<PushedList>(to_bytes(pushed));
  EXPECT_EQ(again.piece_count(), 1u);
  (void)again.insert(1, 0, "20");
  (void)pushed.insert(1, 0, "20");
  EXPECT_EQ(again.piece_count(), 1u);
  expect_same_as_received(again, pushed, "a push after a reload");
}

TEST(ListBackwardRuns, PopsAndInsertsInsideARunMatchTheReceivedCopy) {
  for (std::size_t cut = 0; cut <= 20; ++cut) {
    PushedList here;
    PushedList there;
    for (int i = 0; i < 20; ++i) there.merge(here.insert(1, 0, std::to_string(i)));
    // An insert at each position inside the run, by this replica and by another.
    there.merge(here.insert(cut % 2 == 0 ? 1 : 2, cut, "x"));
    expect_same_as_received(here, there, "insert inside");
    there.merge(here.erase(0, 1));  // LPOP
    expect_same_as_received(here, there, "pop");
    if (cut + 2 < here.size()) {
      there.merge(here.erase(cut, 2));
      expect_same_as_received(here, there, "erase inside");
    }
    there.merge(here.insert(1, 0, "front"));
    expect_same_as_received(here, there, "push after");
  }
}

// LPOP after LPUSH takes each run's front without copying the rest, and the popped elements'
// tombstones join into backward runs too (they stay in the document, as every tombstone does).
TEST(ListBackwardRuns, FrontPopsLeaveJoinedTombstones) {
  PushedList here;
  PushedList received;
  for (int i = 0; i < 100; ++i) received.merge(here.insert(1, 0, std::to_string(i)));
  for (int i = 0; i < 70; ++i) {
    received.merge(here.erase(0, i % 3 == 0 ? 1 : 0));
    if (i % 10 == 0) expect_same_as_received(here, received, "pops");
  }
  expect_same_as_received(here, received, "after the pops");
  EXPECT_LE(here.piece_count(), 2 * (100 / 32 + 2));
  received.merge(here.erase(0, here.size()));
  expect_same_as_received(here, received, "emptied");
  EXPECT_LE(here.piece_count(), 100 / 32 + 2);
}

// A popped run front keeps knowing that it has a left child: a second one, received later, is
// ordered among its siblings by a rebuild rather than put right before it.
TEST(ListBackwardRuns, APoppedFrontKeepsItsLeftChildren) {
  PushedList here;
  PushedList received;
  for (int i = 0; i < 10; ++i) received.merge(here.insert(1, 0, std::to_string(i)));
  PushedList early = received;
  PushedList late = received;
  const PushedList first_child = early.insert(3, 0, "c");  // both left children of the top
  const PushedList second_child = late.insert(2, 0, "b");  // ordered first: replica 2 < 3
  here.merge(first_child);
  received.merge(first_child);
  received.merge(here.erase(1, 1));  // the run's top, now behind "c"
  here.merge(second_child);
  received.merge(second_child);
  expect_same_as_received(here, received, "a left child after the pop");
  EXPECT_EQ(here.at(0), "b");
}

// Another replica's erases and inserts, merged into the replica whose pushes made the run: a
// small delta is placed without a rebuild (try_tombstone, try_integrate), inside the run.
TEST(ListBackwardRuns, ReceivedErasesAndInsertsLandInsideTheRun) {
  // 40 pushes: two runs (backward_run_max is 32), so that some erases span both.
  for (std::size_t cut = 0; cut < 40; ++cut) {
    for (std::size_t n = 1; n <= 3 && cut + n <= 40; ++n) {
      PushedList here;
      PushedList received;  // here's pushes, then the other replica's edit, by merges only
      for (int i = 0; i < 40; ++i) received.merge(here.insert(1, 0, std::to_string(i)));
      PushedList other = received;
      const PushedList erased = other.erase(cut, n);
      here.merge(erased);
      received.merge(erased);
      expect_same_as_received(here, received, "a received erase");
      const PushedList inserted = other.insert(2, cut, "y");
      here.merge(inserted);
      received.merge(inserted);
      expect_same_as_received(here, received, "a received insert");
      if (::testing::Test::HasFatalFailure()) {
        ADD_FAILURE() << "cut " << cut << " n " << n;
        return;
      }
    }
  }
}

// Another replica's insert inside a run is placed there, splitting it, not by a rebuild (which
// would make every pushed element a piece again: found by a review, 200 such inserts into
// 100,000 pushes took 9.8 s against 0.18 s before backward runs).
TEST(ListBackwardRuns, AReceivedInsertInsideARunSplitsItWithoutARebuild) {
  for (std::size_t pos = 1; pos < 40; ++pos) {
    PushedList here;
    PushedList received;
    for (int i = 0; i < 100; ++i) received.merge(here.insert(1, 0, std::to_string(i)));
    PushedList other = received;
    const PushedList inserted = other.insert(2, pos, "y");
    here.merge(inserted);
    received.merge(inserted);
    expect_same_as_received(here, received, "a received insert inside a run");
    EXPECT_LE(here.piece_count(), 100 / 32 + 4) << "at " << pos;
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// A right child of a run's last element whose id continues the run's ids (a replica id that
// two writers share): a forward run would take it in, a backward one must not.
TEST(ListBackwardRuns, AnElementAfterTheRunWithTheNextIdStaysItsOwnPiece) {
  PushedList here;
  PushedList received;
  for (int i = 0; i < 10; ++i) received.merge(here.insert(1, 0, std::to_string(i)));
  PushedList twin = received;  // the same replica id, elsewhere
  const PushedList appended = twin.insert(1, twin.size(), "z");
  here.merge(appended);
  received.merge(appended);
  expect_same_as_received(here, received, "an element after the run");
  EXPECT_EQ(here.values().back(), "z");
}

// A queue: RPUSH, then LPOP. The pushes' forward run is kept as runs of at most
// run_values_max values, so that each pop moves at most that many (it moved the whole queue).
TEST(ListRunBound, PushesAtTheBackThenPopsAtTheFrontMatchTheReceivedCopy) {
  PushedList here;
  PushedList received;
  for (int i = 0; i < 300; ++i) received.merge(here.insert(1, here.size(), std::to_string(i)));
  EXPECT_EQ(here.piece_count(), (300 + 63) / 64);
  expect_same_as_received(here, received, "after the pushes");
  for (int i = 0; i < 200; ++i) {
    received.merge(here.erase(0, 1));
    if (i % 25 == 0) expect_same_as_received(here, received, "pops");
  }
  expect_same_as_received(here, received, "after the pops");
}

// One insert of a long run, anywhere, is stored as bounded runs; so is a received or decoded
// long run (a rebuild), and a delta's own document.
TEST(ListRunBound, LongInsertsReceivedRunsAndDecodedRunsAreBounded) {
  std::vector<std::string> run;
  for (int i = 0; i < 200; ++i) run.push_back("v" + std::to_string(i));
  for (std::size_t pos : {0, 1, 3, 5}) {
    PushedList here;
    PushedList received;
    for (int i = 0; i < 5; ++i) received.merge(here.insert(2, here.size(), std::to_string(i)));
    const PushedList delta = here.insert(1, pos, run.begin(), run.end());
    received.merge(delta);
    expect_same_as_received(here, received, "a long insert");
    EXPECT_GE(here.piece_count(), 200u / 64);
    EXPECT_GE(received.piece_count(), 200u / 64);
    // Inserts and erases inside and across the bounded runs.
    for (std::size_t at : {pos + 1, pos + 63, pos + 64, pos + 65, pos + 130}) {
      received.merge(here.insert(3, at, "x"));
      received.merge(here.erase(at + 1, 3));
      expect_same_as_received(here, received, "edits inside");
    }
    const PushedList decoded = from_bytes<PushedList>(to_bytes(here));
    expect_same_as_received(decoded, received, "decoded");
  }
  // One replica's long appends to its own run (a multi-value RPUSH after another): the run
  // stops at the bound (an overflow in the check once let it grow without one).
  PushedList queue;
  PushedList queue_received;
  queue_received.merge(queue.insert(1, 0, "first"));
  for (int i = 0; i < 5; ++i)
    queue_received.merge(queue.insert(1, queue.size(), run.begin(), run.end()));
  EXPECT_GE(queue.piece_count(), (1 + 5 * 200 + 63) / 64);
  expect_same_as_received(queue, queue_received, "long appends");
  // A received long run is placed as bounded runs without a rebuild: the receiver's backward
  // runs stay (a rebuild would make a piece of each pushed element).
  PushedList pusher;
  PushedList receiver;
  for (int i = 0; i < 100; ++i) receiver.merge(pusher.insert(1, 0, std::to_string(i)));
  PushedList appender = receiver;
  const PushedList appended = appender.insert(2, appender.size(), run.begin(), run.end());
  pusher.merge(appended);
  receiver.merge(appended);
  expect_same_as_received(pusher, receiver, "a received long run");
  EXPECT_LE(pusher.piece_count(), 100 / 32 + 2 + (200 + 63) / 64);
  // The bound exactly: 64 values in a run, the 65th in the next, however the run was made.
  PushedList typed;
  for (int i = 0; i < 65; ++i) (void)typed.insert(1, typed.size(), "t");
  EXPECT_EQ(typed.piece_count(), 2u);
  EXPECT_EQ(from_bytes<PushedList>(to_bytes(typed)).piece_count(), 2u);
  PushedList fresh;
  const PushedList delta = fresh.insert(1, 0, run.begin(), run.end());
  EXPECT_EQ(delta.piece_count(), (200 + 63) / 64);
  EXPECT_EQ(delta, fresh);
}

// Three replicas push, insert, erase and exchange deltas in random order; each has a shadow
// that only merges the deltas it merged, and after every step the two must be the same list.
// 24 seeds, 8 under ASan (90 s there for 24, 17 s at g++ -O0).
TEST(ListBackwardRuns, RandomEditsAndMergesEqualTheirDeltasJoined) {
  constexpr int replicas = 3;
  constexpr std::uint32_t seeds = calm::testing_support::kUnderAsan ? 8 : 24;
  constexpr int steps = 300;
  int with_runs = 0;  // local edits after which the replica held a backward run
  for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
    std::mt19937 rng(seed);
    const auto below = [&](std::size_t n) {
      return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
    };
    std::vector<PushedList> doc(replicas);
    std::vector<PushedList> shadow(replicas);
    std::vector<std::vector<PushedList>> inbox(replicas);  // deltas not yet merged at each replica
    int value = 0;
    for (int step = 0; step < steps; ++step) {
      const std::size_t r = below(replicas);
      PushedList& d = doc[r];
      const std::size_t roll = below(100);
      PushedList delta;
      if (roll < 45 || d.size() == 0) {
        delta = d.insert(r + 1, 0, std::to_string(value++));
      } else if (roll < 55) {
        delta = d.insert(r + 1, below(d.size() + 1), std::to_string(value++));
      } else if (roll < 60) {
        // A run, now and then longer than a stored run's bound.
        std::vector<std::string> run(roll == 59 ? 70 : 2);
        for (std::string& x : run) x = std::to_string(value++);
        delta = d.insert(r + 1, below(d.size() + 1), run.begin(), run.end());
      } else if (roll < 75) {
        const std::size_t pos = roll < 68 ? 0 : below(d.size());
        delta = d.erase(pos, 1 + below(std::min<std::size_t>(3, d.size() - pos)));
      } else if (roll < 79) {
        // A restart: the decoded document is rebuilt, with backward runs of its own, and the
        // edits after it must agree with the received copy as before.
        d = from_bytes<PushedList>(to_bytes(d));
        expect_same_as_received(d, shadow[r], "after a restart");
        if (::testing::Test::HasFatalFailure()) return;
        continue;
      } else {
        // Deliver some waiting deltas, not necessarily in the order they were made.
        std::vector<PushedList>& waiting = inbox[r];
        for (std::size_t n = below(4); n > 0 && !waiting.empty(); --n) {
          const std::size_t i = below(waiting.size());
          d.merge(waiting[i]);
          shadow[r].merge(waiting[i]);
          waiting.erase(waiting.begin() + static_cast<std::ptrdiff_t>(i));
        }
        expect_same_as_received(d, shadow[r], "after delivery");
        if (::testing::Test::HasFatalFailure()) return;
        continue;
      }
      shadow[r].merge(delta);
      for (std::size_t o = 0; o < replicas; ++o) {
        if (o != r) inbox[o].push_back(delta);
      }
      if (d.backward_run_count() > 0) ++with_runs;
      expect_same_as_received(d, shadow[r], "after a local edit");
      if (::testing::Test::HasFatalFailure()) {
        ADD_FAILURE() << "seed " << seed << " step " << step;
        return;
      }
    }
    for (std::size_t r = 0; r < replicas; ++r) {
      for (const PushedList& delta : inbox[r]) doc[r].merge(delta);
    }
    EXPECT_EQ(doc[0], doc[1]) << "seed " << seed;
    EXPECT_EQ(doc[1], doc[2]) << "seed " << seed;
    EXPECT_EQ(doc[0].values(), doc[2].values()) << "seed " << seed;
  }
  // The test is about backward runs: most local edits must have had one to get wrong.
  EXPECT_GT(with_runs, static_cast<int>(seeds) * steps / 4);
}

}  // namespace
