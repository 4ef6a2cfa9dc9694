// LatticeStore and ByteStore on a real RocksDB in a fresh directory per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <lattices/aw_set.hpp>
#include <lattices/g_counter.hpp>
#include <lattices/point.hpp>
#include <protocols/storage/lattice_store.hpp>
#include <protocols/storage/rocks_disk.hpp>
#include <random>
#include <string>
#include <thread>
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

TEST(PrintableKey, EscapesWhatIsNotPrintableAndCutsLongKeys) {
  EXPECT_EQ(printable_key("user:1"), "user:1");
  EXPECT_EQ(printable_key(std::string("a\nb\\c\0\xff", 7)), "a\\x0ab\\x5cc\\x00\\xff");
  const std::string cut = printable_key(std::string(100, 'k'));
  EXPECT_EQ(cut, std::string(printable_key_bytes_max, 'k') + "... (100 bytes)");
}

TEST_F(StoreTest, CorruptRecordMessagesShowTheKeyEscaped) {
  const CorruptRecord e(std::string("bad\r\nkey"), "why");
  EXPECT_EQ(e.key(), "bad\r\nkey");
  EXPECT_EQ(std::string(e.what()), "calm: corrupt record under key 'bad\\x0d\\x0akey': why");
}

/// A small tmpfs as the store's disk (root only; skipped otherwise), unmounted after.
class FullDiskTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    fs::create_directories(path("mnt"));
    const std::string mount = "mount -t tmpfs -o size=2m tmpfs " + path("mnt").string() + " 2>&1";
    if (std::system(mount.c_str()) != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) (void)std::system(("umount " + path("mnt").string()).c_str());
    StoreTest::TearDown();
  }
  void grow() {
    ASSERT_EQ(std::system(("mount -o remount,size=16m " + path("mnt").string()).c_str()), 0);
  }
  bool mounted_ = false;
};

TEST_F(FullDiskTest, AWriteTheFullDiskRefusesIsNotStoredReadsGoOnAndWritesWorkOnceThereIsRoom) {
  const fs::path db = path("mnt") / "db";
  const std::string value(4096, 'v');
  int written = 0;
  {
    RocksDisk disk(db, Sync::no, -1, 64 * 1024);
    bool refused = false;
    for (int i = 0; i < 2000 && !refused; ++i) {
      try {
        disk.write(std::vector<BatchEntry>{{"k" + std::to_string(i), value}});
        written = i + 1;
      } catch (const StorageError& e) {
        refused = true;
        EXPECT_NE(std::string(e.what()).find("No space left on device"), std::string::npos)
            << e.what();
      }
    }
    ASSERT_TRUE(refused) << "a 2 MiB disk took 8 MB";
    EXPECT_EQ(disk.get("k" + std::to_string(written)), std::nullopt);  // the refused one
    EXPECT_EQ(disk.get("k0"), value);                                  // reads go on
    EXPECT_THROW(disk.put("again", value), StorageError);              // still full
  }
  {
    // Reopening the full disk works (the reserve makes room for the manifest), and keeps
    // every write that returned.
    RocksDisk disk(db, Sync::no, -1, 64 * 1024);
    EXPECT_EQ(disk.scan().size(), static_cast<std::size_t>(written));
    grow();
    // The next write resumes the store (at most every 100 ms): bounded retries.
    bool ok = false;
    for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
      try {
        disk.put("after", value);
        ok = true;
      } catch (const StorageError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    EXPECT_TRUE(ok) << "writes work again once the disk has room";
  }
  RocksDisk reopened(db, Sync::no, -1, 64 * 1024);
  EXPECT_EQ(reopened.get("after"), value);
  EXPECT_EQ(reopened.scan().size(), static_cast<std::size_t>(written) + 1);
}

}  // namespace
}  // namespace calm::protocols::storage
