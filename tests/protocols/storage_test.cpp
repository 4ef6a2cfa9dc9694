// LatticeStore and ByteStore on a real RocksDB in a fresh directory per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <lattices/aw_set.hpp>
#include <lattices/g_counter.hpp>
#include <lattices/point.hpp>
#include <protocols/storage/lattice_store.hpp>
#include <protocols/storage/rocks_disk.hpp>
#include <random>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"

namespace calm::protocols::storage {
namespace {

namespace fs = std::filesystem;
using lattices::AWSet;
using lattices::GCounter;

class StoreTest : public testing_support::TempDirTest {
 protected:
  StoreTest() : TempDirTest("calm-storage") {}
  fs::path path(const std::string& name = "db") const { return dir_ / name; }
};

TEST_F(StoreTest, MergedDeltasReadAsTheirJoin) {
  LatticeStore<AWSet<std::string>> carts(path());
  AWSet<std::string> alice;
  carts.merge("alice", alice.add(1, "book"));
  carts.merge("alice", alice.add(1, "pen"));
  carts.merge("alice", alice.remove("book"));
  EXPECT_EQ(carts.get("alice"), alice);
  EXPECT_EQ(carts.get("alice").elements(), (std::vector<std::string>{"pen"}));
  EXPECT_TRUE(carts.get("bob").is_bot());  // absent reads as bottom
}

TEST_F(StoreTest, WritesSurviveClosingAndReopening) {
  GCounter<> expected;
  {
    LatticeStore<GCounter<>> counters(path());
    for (std::uint64_t r = 1; r <= 5; ++r) counters.merge("hits", expected.increment(r, r * 10));
    counters.merge("misses", GCounter<>{}.increment(9, 1), Sync::yes);
  }
  LatticeStore<GCounter<>> reopened(path());
  EXPECT_EQ(reopened.get("hits"), expected);
  EXPECT_EQ(reopened.get("misses").value(), 1u);
}

TEST_F(StoreTest, DeltasInAnyOrderAnyNumberOfTimesStoreTheSameValue) {
  // Deltas of three replicas, delivered to two stores in different orders with duplicates:
  // the stores read equal, and equal to the join, before and after compaction.
  std::vector<AWSet<int>> deltas;
  AWSet<int> replicas[3];
  std::mt19937 rng(5);
  for (int step = 0; step < 300; ++step) {
    AWSet<int>& r = replicas[rng() % 3];
    const int x = static_cast<int>(rng() % 40);
    deltas.push_back(rng() % 3 == 0 ? r.remove(x)
                                    : r.add(static_cast<std::uint64_t>(&r - replicas) + 1, x));
  }
  AWSet<int> joined;
  for (const auto& d : deltas) joined.merge(d);

  LatticeStore<AWSet<int>> in_order(path("a")), shuffled(path("b"));
  for (const auto& d : deltas) in_order.merge("k", d);
  std::vector<AWSet<int>> again = deltas;
  again.insert(again.end(), deltas.begin(), deltas.begin() + 100);
  std::shuffle(again.begin(), again.end(), rng);
  for (const auto& d : again) shuffled.merge("k", d);

  EXPECT_EQ(in_order.get("k"), joined);
  EXPECT_EQ(shuffled.get("k"), joined);
  shuffled.compact();
  EXPECT_EQ(shuffled.get("k"), joined);
}

TEST_F(StoreTest, AWriteNeverReadsTheValueItJoins) {
  // The record under "k" does not decode; a merge still succeeds, because it only appends an
  // operand. Reading shows the corruption instead of hiding it behind the later write.
  ByteStore raw(path(), [](const std::string_view*, std::span<const std::string_view>,
                           std::string&) { return false; });
  raw.put("k", "not a counter");
  raw = ByteStore(path("other"), [](auto...) { return true; });
  LatticeStore<GCounter<>> counters(path());
  EXPECT_NO_THROW(counters.merge("k", GCounter<>{}.increment(1, 5)));
  EXPECT_THROW(counters.get("k"), CorruptRecord);
}

TEST_F(StoreTest, ACorruptRecordIsReportedWithItsKeyAndTheOthersStayReadable) {
  {
    ByteStore raw(path(), [](auto...) { return false; });
    raw.put("bad", "\x01\xff garbage");
  }
  LatticeStore<GCounter<>> counters(path());
  counters.merge("good", GCounter<>{}.increment(1, 3));
  try {
    counters.get("bad");
    FAIL() << "a corrupt record read as a value";
  } catch (const CorruptRecord& e) {
    EXPECT_EQ(e.key(), "bad");
  }
  EXPECT_EQ(counters.get("good").value(), 3u);
  // A walk over every key reaches the corrupt one and reports it rather than skipping it.
  EXPECT_THROW(counters.for_each([](std::string_view, const GCounter<>&) { return true; }),
               CorruptRecord);
}

TEST_F(StoreTest, AMergeOntoACorruptRecordIsReportedAndKeepsTheRecord) {
  {
    ByteStore raw(path(), [](auto...) { return false; });
    raw.put("k", "garbage");
  }
  LatticeStore<GCounter<>> counters(path());
  counters.merge("k", GCounter<>{}.increment(1, 1));
  counters.compact();  // a compaction cannot merge it either, and must not drop it
  EXPECT_THROW(counters.get("k"), CorruptRecord);
}

TEST_F(StoreTest, AJoinThatDoesNotExistIsReportedNotResolved) {
  // Point<int> has no join of 1 and 2: the store reports the key rather than keep either.
  LatticeStore<lattices::Point<int>> points(path());
  points.merge("p", lattices::Point<int>{1});
  points.merge("p", lattices::Point<int>{1});
  EXPECT_EQ(points.get("p"), lattices::Point<int>{1});
  points.merge("p", lattices::Point<int>{2});
  EXPECT_THROW(points.get("p"), CorruptRecord);
}

TEST_F(StoreTest, ForEachVisitsEveryKeyInByteOrderWithItsJoin) {
  LatticeStore<GCounter<>> counters(path());
  const std::string binary_key("a\0b", 3);
  counters.merge("b", GCounter<>{}.increment(1, 2));
  counters.merge(binary_key, GCounter<>{}.increment(1, 7));
  counters.merge("b", GCounter<>{}.increment(2, 3));
  std::vector<std::pair<std::string, std::uint64_t>> seen;
  counters.for_each([&](std::string_view key, const GCounter<>& c) {
    seen.emplace_back(std::string(key), c.value());
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::uint64_t>>{{binary_key, 7}, {"b", 5}}));
}

TEST_F(StoreTest, EraseRemovesAKeyAndItsOperands) {
  LatticeStore<GCounter<>> counters(path(), StoreOptions{.sync_writes = true});
  counters.merge("k", GCounter<>{}.increment(1, 4));
  counters.erase("k");
  EXPECT_TRUE(counters.get("k").is_bot());
  counters.merge("k", GCounter<>{}.increment(1, 1));
  EXPECT_EQ(counters.get("k").value(), 1u);
}

TEST_F(StoreTest, OpeningWhatIsNotADatabaseIsAnError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "not a directory";
  EXPECT_THROW(LatticeStore<GCounter<>>(dir_ / "file"), StorageError);
  EXPECT_THROW(LatticeStore<GCounter<>>(path("missing"), StoreOptions{.create_if_missing = false}),
               StorageError);
}

TEST_F(StoreTest, ARocksDiskKeepsItsEntriesAcrossReopeningInKeyOrder) {
  {
    RocksDisk disk(path());
    disk.put("state/b", "2");
    disk.put("state/a", "1");
    disk.put("meta", "m");
    disk.erase("meta");
    disk.put("state/a", "1'");
  }
  RocksDisk disk(path());
  EXPECT_EQ(disk.get("state/a"), "1'");
  EXPECT_EQ(disk.get("meta"), std::nullopt);
  EXPECT_EQ(disk.scan(), (std::vector<std::pair<std::string, std::string>>{{"state/a", "1'"},
                                                                           {"state/b", "2"}}));
}

}  // namespace
}  // namespace calm::protocols::storage
