// LatticeStore, ByteStore and RocksDisk on a real RocksDB in a fresh directory per test;
// MemoryDisk, its power cut and its failing writes; lattice_merge, the format both share.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../support/temp_dir.hpp"
#include "lattices/aw_set.hpp"
#include "lattices/g_counter.hpp"
#include "lattices/list.hpp"
#include "lattices/point.hpp"
#include "protocols/storage/lattice_merge.hpp"
#include "protocols/storage/lattice_store.hpp"
#include "protocols/storage/memory_disk.hpp"
#include "protocols/storage/rocks_disk.hpp"

namespace calm::protocols::storage {
namespace {

namespace fs = std::filesystem;
using lattices::AWSet;
using lattices::GCounter;

using Entries = std::vector<std::pair<std::string, std::string>>;

/// What `scan(prefix)` shows of a disk.
Entries scan(const Disk& disk, std::string_view prefix = "") {
  Entries out;
  disk.scan(prefix, [&](std::string_view key, std::string_view value) {
    out.emplace_back(std::string(key), std::string(value));
    return true;
  });
  return out;
}

Entries scan(const ByteStore& store, std::string_view prefix = "") {
  Entries out;
  store.scan(prefix, [&](std::string_view key, std::string_view value) {
    out.emplace_back(std::string(key), std::string(value));
    return true;
  });
  return out;
}

/// A merge function for tests of merges themselves: appends operands, "|" between them
/// (associative, as a merge function must be); refuses an operand "bad".
bool concatenate(const std::string_view* existing, std::span<const std::string_view> operands,
                 std::string& out) {
  out = existing ? std::string(*existing) : std::string();
  for (std::string_view operand : operands) {
    if (operand == "bad") return false;
    out += (out.empty() ? "" : "|") + std::string(operand);
  }
  return true;
}

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
  EXPECT_EQ(scan(disk), (Entries{{"state/a", "1'"}, {"state/b", "2"}}));
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

// ---- Batches, prefix scans, RocksDisk ----

TEST_F(StoreTest, ABatchAppliesItsPutsMergesAndErasesInOrder) {
  RocksDisk disk(path(), &concatenate);
  const std::vector<Write> batch{Write::put("a", "1"),   Write::merge("a", "2"),
                                 Write::merge("b", "x"), Write::erase("b"),
                                 Write::merge("b", "y"), Write::put("c", "gone"),
                                 Write::erase("c"),      Write::merge("a", "3")};
  disk.write(batch, Sync::yes);
  EXPECT_EQ(scan(disk), (Entries{{"a", "1|2|3"}, {"b", "y"}}));
}

// The memtable is hashed by key (byte_store.cpp): a scan must still see every key, from the
// memtable and the tables alike, in byte order, and the disk can tell about how many it holds.
TEST_F(StoreTest, AScanSeesTheMemtableAndTheTablesInKeyOrderAndTheDiskEstimatesItsKeys) {
  constexpr int keys = 2000;
  std::vector<int> order(keys);
  for (int i = 0; i < keys; ++i) order[static_cast<std::size_t>(i)] = (i * 7919) % keys;
  auto key = [](int i) { return "state/" + std::to_string(i); };
  RocksDisk disk(path(), &concatenate, Sync::no);
  for (int n = 0; n < keys; ++n) {
    const int i = order[static_cast<std::size_t>(n)];
    disk.write(std::vector<Write>{Write::put(key(i), "p"), Write::merge(key(i), "m")}, Sync::no);
    if (n == keys / 2) disk.compact();  // the first half in a table, the rest in the memtable
  }
  disk.put("meta", "x");
  Entries expected;
  for (int i = 0; i < keys; ++i) expected.emplace_back(key(i), "p|m");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(scan(disk, "state/"), expected);
  EXPECT_EQ(disk.get(key(keys - 1)), "p|m");
  EXPECT_GE(disk.estimated_keys(), std::uint64_t{keys} / 2);
  EXPECT_LE(disk.estimated_keys(), std::uint64_t{keys} * 4);
}

// A hot key's records fill its bucket past the 256 at which the hashed memtable turns it into a
// skip list; a reopen with a reserve replays the log into the memtable without flushing it.
TEST_F(StoreTest, AHotKeysOperandsAndAReplayedLogReadTheSameFromTheHashedMemtable) {
  constexpr int operands = 300;
  std::string expected = "base";
  {
    RocksDisk disk(path(), &concatenate, Sync::no, -1, std::size_t{1} << 20);
    disk.put("hot", "base");
    for (int i = 0; i < operands; ++i) {
      const std::string n = std::to_string(i);
      std::string cold = "cold/";
      cold += n;
      disk.write(std::vector<Write>{Write::merge("hot", n), Write::put(cold, "c")}, Sync::no);
      expected += '|';
      expected += n;
    }
    EXPECT_EQ(disk.get("hot"), expected);
    disk.sync();
  }
  RocksDisk disk(path(), &concatenate, Sync::no, -1, std::size_t{1} << 20);
  EXPECT_EQ(disk.get("hot"), expected);
  const Entries all = scan(disk);
  ASSERT_EQ(all.size(), std::size_t{operands} + 1);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(all.back(), (std::pair<std::string, std::string>{"hot", expected}));
  EXPECT_EQ(scan(disk, "hot"), (Entries{{"hot", expected}}));
}

// A protocol's log (Memtable::log: an array sorted when it is flushed or read) reads as the
// hashed memtable does, by get, by scan and by point_reads, from the memtable, the tables and a
// replayed log; point_reads on either memtable answers as get does, absent keys included.
TEST_F(StoreTest, ALogMemtableReadsAsTheHashedOneByGetScanAndPointReads) {
  constexpr int keys = 3000;
  auto key = [](int i) { return "t/" + std::to_string((i * 7919) % keys); };
  const StoreOptions log{.memtable = Memtable::log};
  std::map<std::string, std::string> model;
  auto check = [&](const RocksDisk& disk, const RocksDisk& hashed) {
    const Entries all = scan(disk);
    EXPECT_EQ(all, Entries(model.begin(), model.end()));
    EXPECT_EQ(all, scan(hashed));
    const auto reads = disk.point_reads();
    const auto hashed_reads = hashed.point_reads();
    for (int i = 0; i < keys + 10; ++i) {
      const std::string k = i < keys ? key(i) : "t/absent" + std::to_string(i);
      const auto it = model.find(k);
      const std::optional<std::string> expected =
          it == model.end() ? std::nullopt : std::optional(it->second);
      ASSERT_EQ(reads(k), expected) << k;
      ASSERT_EQ(hashed_reads(k), expected) << k;
      if (i % 97 == 0) {
        ASSERT_EQ(disk.get(k), expected) << k;
      }
    }
  };
  {
    RocksDisk disk(path(), &concatenate, log);
    RocksDisk hashed(path("hashed"), &concatenate, Sync::no);
    for (int i = 0; i < keys; ++i) {
      std::vector<Write> batch{Write::put(key(i), "p"), Write::merge(key(i), "m")};
      model[key(i)] = "p|m";
      if (i % 3 == 0) {  // an erase of a key written earlier, in the memtable or a table
        batch.push_back(Write::erase(key(i / 2)));
        model.erase(key(i / 2));
      }
      disk.write(batch, Sync::no);
      hashed.write(batch, Sync::no);
      if (i == keys / 2) disk.compact();  // the first half in a table, the rest in the memtable
    }
    check(disk, hashed);
    disk.sync();
  }
  RocksDisk disk(path(), &concatenate, log);  // the log replayed
  RocksDisk hashed(path("hashed"), &concatenate, Sync::no);
  check(disk, hashed);
}

// A log's point_reads may hand out the reader it made last (a full disk fails every turn, and
// each failure's rollback reads): only while no write landed since, so a reader never answers
// from before a write that landed, whichever way the write came.
TEST_F(StoreTest, PointReadsOfALogSeeEveryWriteThatLanded) {
  RocksDisk disk(path(), &concatenate, StoreOptions{.memtable = Memtable::log});
  disk.write(std::vector<Write>{Write::put("a", "1"), Write::put("b", "1")}, Sync::no);
  EXPECT_EQ(disk.point_reads()("a"), "1");
  EXPECT_EQ(disk.point_reads()("b"), "1");  // no write between: the same reader, same answers
  disk.write(std::vector<Write>{Write::put("a", "2")}, Sync::no);
  EXPECT_EQ(disk.point_reads()("a"), "2");
  disk.put("b", "2");
  EXPECT_EQ(disk.point_reads()("b"), "2");
  disk.write(std::vector<Write>{Write::merge("a", "m")}, Sync::no);
  EXPECT_EQ(disk.point_reads()("a"), "2|m");
  disk.write(std::vector<Write>{Write::erase("b")}, Sync::no);
  EXPECT_EQ(disk.point_reads()("b"), std::nullopt);
}

// A corrupt record read through point_reads is reported with its key, as get reports it.
TEST_F(StoreTest, PointReadsOfALogReportACorruptRecordWithItsKey) {
  RocksDisk disk(path(), &concatenate, StoreOptions{.memtable = Memtable::log});
  disk.write(std::vector<Write>{Write::put("a", "1"), Write::merge("b", "bad")}, Sync::no);
  const auto reads = disk.point_reads();
  EXPECT_EQ(reads("a"), "1");
  try {
    reads("b");
    ADD_FAILURE() << "no CorruptRecord";
  } catch (const CorruptRecord& e) {
    EXPECT_EQ(e.key(), "b") << e.what();
  }
  EXPECT_THROW(disk.get("b"), CorruptRecord);
  // An absent key just before the corrupt one reads as absent, as get has it: the seek stops
  // at the key, not at the record after it. So does one past it, through a reader that has
  // seeked further already.
  EXPECT_EQ(reads("a0"), std::nullopt);
  EXPECT_EQ(disk.get("a0"), std::nullopt);
  EXPECT_EQ(reads("c"), std::nullopt);
  EXPECT_EQ(reads("a"), "1");
}

TEST_F(StoreTest, ABatchSurvivesReopeningWhole) {
  {
    RocksDisk disk(path(), &concatenate, Sync::no);
    disk.write(std::vector<Write>{Write::put("k", "v"), Write::merge("m", "1")}, Sync::no);
    disk.write(std::vector<Write>{Write::merge("m", "2"), Write::erase("k")}, Sync::no);
    disk.sync();
  }
  RocksDisk disk(path(), &concatenate, Sync::no);
  EXPECT_EQ(scan(disk), (Entries{{"m", "1|2"}}));
}

TEST_F(StoreTest, AScanReadsOnlyTheKeysOfItsPrefix) {
  ByteStore store(path(), &concatenate);
  const std::string ff("\xff", 1);
  for (const std::string& key : {std::string("a"), std::string("ab"), "ab" + ff, "ab" + ff + ff,
                                 std::string("ac"), std::string("b"), ff, ff + "z"}) {
    store.put(key, "v");
  }
  auto keys = [&](std::string_view prefix) {
    std::vector<std::string> out;
    for (const auto& [key, value] : scan(store, prefix)) out.push_back(key);
    return out;
  };
  EXPECT_EQ(keys("ab"), (std::vector<std::string>{"ab", "ab" + ff, "ab" + ff + ff}));
  EXPECT_EQ(keys("ab" + ff), (std::vector<std::string>{"ab" + ff, "ab" + ff + ff}));
  EXPECT_EQ(keys(ff), (std::vector<std::string>{ff, ff + "z"}));
  EXPECT_EQ(keys("abc"), std::vector<std::string>{});
  EXPECT_EQ(keys("").size(), 8u);
  // Stops when told to.
  std::size_t seen = 0;
  store.scan("a", [&](std::string_view, std::string_view) { return ++seen < 2; });
  EXPECT_EQ(seen, 2u);
}

TEST_F(StoreTest, AScanOfOnePrefixDoesNotReadTheCorruptRecordAfterIt) {
  // A record that does not merge right after the prefix: reading it would throw, so a scan
  // that throws here read past its prefix.
  ByteStore store(path(), &concatenate);
  store.put("state/a", "1");
  store.put("state/b", "2");
  store.merge("u", "bad");
  EXPECT_EQ(scan(store, "state/"), (Entries{{"state/a", "1"}, {"state/b", "2"}}));
  EXPECT_THROW(scan(store, ""), StorageError);  // RocksDB cannot name it: "after key state/b"
}

TEST_F(StoreTest, ARocksDiskWithoutAMergeFunctionReportsAMergeAsCorrupt) {
  RocksDisk disk(path());
  disk.write(std::vector<Write>{Write::merge("k", "operand")}, Sync::no);
  EXPECT_THROW(disk.get("k"), CorruptRecord);
}

TEST_F(StoreTest, WhatAMergeFunctionThrowsReachesTheReaderAsItselfNotAsACorruptRecord) {
  ByteStore store(
      path(), [](const std::string_view*, std::span<const std::string_view>, std::string&) -> bool {
        throw std::bad_alloc();
      });
  store.merge("k", "x");
  EXPECT_THROW(store.get("k"), std::bad_alloc);
  EXPECT_THROW(scan(store), std::bad_alloc);
}

// ---- lattice_merge: one format on every disk ----

TEST(LatticeMerge, JoinsTheOperandsIntoTheValueBefore) {
  GCounter<> a, b, c;
  const std::string existing = lattices::to_bytes(a.increment(1, 2));
  const std::string ops[] = {lattices::to_bytes(b.increment(2, 5)),
                             lattices::to_bytes(c.increment(1, 7))};
  const std::string_view views[] = {ops[0], ops[1]};
  const std::string_view existing_view = existing;
  std::string out;
  ASSERT_TRUE(lattice_merge<GCounter<>>(&existing_view, views, out));
  EXPECT_EQ(lattices::from_bytes<GCounter<>>(out).value(), 12u);
  ASSERT_TRUE(lattice_merge<GCounter<>>(nullptr, views, out));
  EXPECT_EQ(lattices::from_bytes<GCounter<>>(out).value(), 12u);
}

// The operands are joined as a tree (pairs, then pairs of pairs); any number of them, in any
// count that is not a power of two, gives the join of all of them in order.
TEST(LatticeMerge, JoinsAnyNumberOfOperandsAsTheirJoinInOrder) {
  using List = lattices::List<std::string, std::uint64_t>;
  for (const std::size_t n : {2u, 3u, 7u, 64u, 100u}) {
    List replica;
    List sequential;
    const std::string existing = lattices::to_bytes(replica.insert(1, 0, std::string("first")));
    sequential.merge(lattices::from_bytes<List>(existing));
    std::vector<std::string> operands;
    for (std::size_t i = 0; i < n; ++i) {
      // Pushes at both ends and inserts in the middle, from two replicas: deltas that depend
      // on the ones before them.
      const std::uint64_t id = 1 + i % 2;
      const std::size_t pos = i % 3 == 0 ? 0 : i % 3 == 1 ? replica.size() : replica.size() / 2;
      operands.push_back(lattices::to_bytes(replica.insert(id, pos, std::to_string(i))));
    }
    std::vector<std::string_view> views(operands.begin(), operands.end());
    for (const std::string& op : operands) sequential.merge(lattices::from_bytes<List>(op));
    const std::string_view existing_view = existing;
    std::string out;
    ASSERT_TRUE(lattice_merge<List>(&existing_view, views, out)) << n;
    const List folded = lattices::from_bytes<List>(out);
    EXPECT_EQ(folded, sequential) << n;
    EXPECT_EQ(folded, replica) << n;
  }
}

TEST(LatticeMerge, RefusesBytesThatDoNotDecodeAndJoinsThatDoNotExist) {
  std::string out;
  const std::string_view garbage[] = {"\x01\xff garbage"};
  EXPECT_FALSE(lattice_merge<GCounter<>>(nullptr, garbage, out));
  const std::string one = lattices::to_bytes(lattices::Point<int>{1});
  const std::string two = lattices::to_bytes(lattices::Point<int>{2});
  const std::string_view points[] = {one, two};
  EXPECT_FALSE(lattice_merge<lattices::Point<int>>(nullptr, points, out));
}

TEST_F(StoreTest, ARocksDiskOfLatticeMergesAndALatticeStoreShareOneFormat) {
  AWSet<std::string> cart;
  std::vector<Write> batch;
  batch.push_back(Write::merge("cart", lattices::to_bytes(cart.add(1, "book"))));
  batch.push_back(Write::merge("cart", lattices::to_bytes(cart.add(1, "pen"))));
  batch.push_back(Write::merge("cart", lattices::to_bytes(cart.remove("book"))));
  std::string memory_bytes, rocks_bytes;
  {
    RocksDisk disk(path(), &lattice_merge<AWSet<std::string>>);
    disk.write(batch, Sync::yes);
    rocks_bytes = disk.get("cart").value();
  }
  MemoryDisk memory(&lattice_merge<AWSet<std::string>>);
  memory.write(batch, Sync::no);
  memory_bytes = memory.get("cart").value();
  EXPECT_EQ(memory_bytes, rocks_bytes);
  EXPECT_EQ(memory_bytes, lattices::to_bytes(cart));
  LatticeStore<AWSet<std::string>> store(path());
  EXPECT_EQ(store.get("cart"), cart);
}

// ---- MemoryDisk ----

TEST(MemoryDisk, ABatchAppliesItsPutsMergesAndErasesInOrderAndScansAPrefix) {
  MemoryDisk disk(&concatenate);
  disk.write(
      std::vector<Write>{Write::put("a", "1"), Write::merge("a", "2"), Write::merge("b", "x"),
                         Write::erase("b"), Write::merge("b", "y"), Write::put("c", "gone"),
                         Write::erase("c"), Write::merge("a", "3"), Write::put("ab", "z")},
      Sync::no);
  EXPECT_EQ(scan(disk), (Entries{{"a", "1|2|3"}, {"ab", "z"}, {"b", "y"}}));
  EXPECT_EQ(scan(disk, "a"), (Entries{{"a", "1|2|3"}, {"ab", "z"}}));
  EXPECT_EQ(scan(disk, "ab"), (Entries{{"ab", "z"}}));
  EXPECT_EQ(disk.get("c"), std::nullopt);
}

TEST(MemoryDisk, AMergeWithoutAMergeFunctionIsAStorageErrorAndAppliesNothingOfItsBatch) {
  MemoryDisk disk;
  EXPECT_THROW(
      disk.write(std::vector<Write>{Write::put("a", "1"), Write::merge("b", "x")}, Sync::yes),
      StorageError);
  EXPECT_EQ(disk.size(), 0u);
  EXPECT_EQ(disk.unsynced_batches(), 0u);
}

TEST(MemoryDisk, ARefusedMergeReadsAsCorruptUntilAPutReplacesIt) {
  MemoryDisk disk(&concatenate);
  disk.put("k", "v");
  disk.write(std::vector<Write>{Write::merge("k", "bad")}, Sync::no);
  EXPECT_THROW(disk.get("k"), CorruptRecord);
  disk.write(std::vector<Write>{Write::merge("k", "later")}, Sync::no);  // does not hide it
  EXPECT_THROW(disk.get("k"), CorruptRecord);
  EXPECT_THROW(scan(disk), CorruptRecord);
  disk.put("k", "fresh");
  EXPECT_EQ(disk.get("k"), "fresh");
}

TEST(MemoryDisk, AMergeFunctionThatThrowsLeavesTheDiskAsItWas) {
  MemoryDisk disk([](const std::string_view*, std::span<const std::string_view>,
                     std::string&) -> bool { throw std::bad_alloc(); });
  disk.put("k", "v");
  EXPECT_THROW(
      disk.write(std::vector<Write>{Write::put("k", "w"), Write::merge("m", "x")}, Sync::no),
      std::bad_alloc);
  EXPECT_EQ(scan(disk), (Entries{{"k", "v"}}));
  EXPECT_EQ(disk.unsynced_batches(), 1u);
}

TEST(MemoryDisk, APowerCutKeepsTheSyncedBatchesAndThenOnlyTheFirstUnsyncedOnes) {
  MemoryDisk disk(&concatenate);
  disk.write(std::vector<Write>{Write::put("a", "1"), Write::merge("m", "1")}, Sync::no);
  disk.write(std::vector<Write>{Write::put("b", "2"), Write::merge("m", "2")}, Sync::yes);
  disk.write(std::vector<Write>{Write::put("c", "3"), Write::merge("m", "3")}, Sync::no);
  disk.write(std::vector<Write>{Write::erase("a"), Write::merge("m", "4")}, Sync::no);
  disk.write(std::vector<Write>{Write::put("e", "5"), Write::merge("m", "5")}, Sync::no);
  EXPECT_EQ(disk.unsynced_batches(), 3u);
  disk.power_cut(2);  // the synced two, then c and the erase of a; not e
  EXPECT_EQ(scan(disk), (Entries{{"b", "2"}, {"c", "3"}, {"m", "1|2|3|4"}}));
  EXPECT_EQ(disk.unsynced_batches(), 0u);
  disk.power_cut(0);  // what survived a power cut is durable
  EXPECT_EQ(scan(disk), (Entries{{"b", "2"}, {"c", "3"}, {"m", "1|2|3|4"}}));
  disk.put("f", "6");
  disk.sync();
  disk.put("g", "7");
  disk.power_cut(0);
  EXPECT_EQ(disk.get("f"), "6");
  EXPECT_EQ(disk.get("g"), std::nullopt);
  disk.wipe();
  EXPECT_EQ(disk.size(), 0u);
}

TEST(MemoryDisk, WhatSurvivesAnyPowerCutIsAPrefixOfTheBatchesInTheOrderWritten) {
  // Random batches over few keys (so that later batches overwrite earlier ones), synced now
  // and then; after a cut keeping k unsynced batches the disk reads exactly as a fresh disk
  // given the first (synced + k) batches.
  std::mt19937 rng(13);
  for (int round = 0; round < 40; ++round) {
    std::vector<std::vector<Write>> batches;
    std::vector<Sync> syncs;
    std::size_t synced = 0;  // batches up to the last synced one
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      std::vector<Write> batch;
      for (int w = 0, size = 1 + static_cast<int>(rng() % 3); w < size; ++w) {
        const std::string key(1, static_cast<char>('a' + rng() % 4));
        const std::string value = std::to_string(i) + "." + std::to_string(w);
        switch (rng() % 3) {
          case 0:
            batch.push_back(Write::put(key, value));
            break;
          case 1:
            batch.push_back(Write::merge(key, value));
            break;
          default:
            batch.push_back(Write::erase(key));
            break;
        }
      }
      batches.push_back(batch);
      syncs.push_back(rng() % 4 == 0 ? Sync::yes : Sync::no);
      if (syncs.back() == Sync::yes) synced = batches.size();
    }
    for (std::size_t keep = 0; keep + synced <= batches.size() + 1; ++keep) {
      MemoryDisk disk(&concatenate), expected(&concatenate);
      for (std::size_t i = 0; i < batches.size(); ++i) disk.write(batches[i], syncs[i]);
      ASSERT_EQ(disk.unsynced_batches(), batches.size() - synced);
      disk.power_cut(keep);
      const std::size_t survivors = std::min(batches.size(), synced + keep);
      for (std::size_t i = 0; i < survivors; ++i) expected.write(batches[i], Sync::no);
      ASSERT_EQ(scan(disk), scan(expected)) << "round " << round << ", keep " << keep;
    }
  }
}

TEST(MemoryDisk, FailingWritesThrowAndChangeNothingWhileReadsGoOn) {
  MemoryDisk disk(&concatenate);
  disk.put("k", "v");
  disk.fail_writes(true);
  EXPECT_THROW(disk.put("k", "w"), StorageError);
  EXPECT_THROW(disk.write(std::vector<Write>{Write::merge("m", "x")}, Sync::yes), StorageError);
  EXPECT_THROW(disk.sync(), StorageError);
  EXPECT_EQ(disk.get("k"), "v");
  EXPECT_EQ(scan(disk), (Entries{{"k", "v"}}));
  EXPECT_EQ(disk.unsynced_batches(), 1u);  // the put before: a failed sync synced nothing
  EXPECT_EQ(disk.batches_refused(), 3u);
  disk.fail_writes(false);
  disk.put("k", "w", Sync::yes);
  disk.power_cut(0);
  EXPECT_EQ(disk.get("k"), "w");
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
    RocksDisk disk(db, &refuse_merges, Sync::no, -1, 64 * 1024);
    bool refused = false;
    for (int i = 0; i < 2000 && !refused; ++i) {
      try {
        disk.put("k" + std::to_string(i), value);
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
    RocksDisk disk(db, &refuse_merges, Sync::no, -1, 64 * 1024);
    EXPECT_EQ(scan(disk).size(), static_cast<std::size_t>(written));
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
  RocksDisk reopened(db, &refuse_merges, Sync::no, -1, 64 * 1024);
  EXPECT_EQ(reopened.get("after"), value);
  EXPECT_EQ(scan(reopened).size(), static_cast<std::size_t>(written) + 1);
}

}  // namespace
}  // namespace calm::protocols::storage
