// GroupCommitDisk: calm-kvs's disk writes through, or holds a turn's writes and commits them as
// one RocksDB batch.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <kvs/group_commit.hpp>
#include <kvs/server.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../support/temp_dir.hpp"

namespace calm::apps::kvs {
namespace {

using protocols::storage::RocksDisk;

class GroupCommit : public testing_support::TempDirTest {
 protected:
  GroupCommit() : TempDirTest("calm-kvs") {}
};

TEST_F(GroupCommit, UnheldWritesGoStraightToRocksDb) {
  RocksDisk rocks(dir_);
  GroupCommitDisk disk(rocks);
  disk.put("a", "1");
  EXPECT_EQ(rocks.get("a"), "1");
  disk.erase("a");
  EXPECT_EQ(rocks.get("a"), std::nullopt);
}

TEST_F(GroupCommit, HeldWritesReachRocksDbAtTheCommitTheLatestPerKey) {
  RocksDisk rocks(dir_);
  rocks.put("gone", "x");
  GroupCommitDisk disk(rocks);
  disk.hold();
  disk.put("a", "1");
  disk.put("b", "2");
  disk.put("a", "3");
  disk.erase("gone");
  EXPECT_EQ(disk.staged(), 3u);
  EXPECT_EQ(rocks.get("a"), std::nullopt);  // not written yet
  EXPECT_EQ(rocks.get("gone"), "x");
  EXPECT_EQ(disk.get("a"), "3");  // but the disk reads what it holds
  EXPECT_EQ(disk.get("gone"), std::nullopt);
  disk.commit();
  EXPECT_FALSE(disk.holding());
  EXPECT_EQ(disk.staged(), 0u);
  EXPECT_EQ(rocks.scan(),
            (std::vector<std::pair<std::string, std::string>>{{"a", "3"}, {"b", "2"}}));
  disk.put("c", "4");  // writes through again
  EXPECT_EQ(rocks.get("c"), "4");
}

TEST_F(GroupCommit, ACommittedBatchSurvivesReopening) {
  {
    RocksDisk rocks(dir_, protocols::storage::Sync::no);
    GroupCommitDisk disk(rocks);
    disk.hold();
    for (int i = 0; i < 100; ++i) {
      std::string key = std::to_string(i % 10);
      key.insert(key.begin(), 'k');  // not "k" + ...: GCC 12's -Wrestrict misfires on it at -O3
      disk.put(std::move(key), std::to_string(i));
    }
    disk.commit();
  }
  RocksDisk reopened(dir_);
  EXPECT_EQ(reopened.scan().size(), 10u);
  EXPECT_EQ(reopened.get("k9"), "99");
}

/// A RocksDisk whose batch writes fail on demand, as a full disk's do, and are counted.
class FailingDisk final : public protocols::storage::BatchDisk {
 public:
  explicit FailingDisk(RocksDisk& rocks) : rocks_(rocks) {}
  bool fail = false;
  int batches = 0;
  void write(std::span<const protocols::storage::BatchEntry> entries) override {
    if (fail) throw protocols::storage::StorageError("IO error: No space left on device");
    ++batches;
    rocks_.write(entries);
  }
  void put(std::string key, std::string value) override {
    if (fail) throw protocols::storage::StorageError("IO error: No space left on device");
    rocks_.put(std::move(key), std::move(value));
  }
  void erase(const std::string& key) override { rocks_.erase(key); }
  std::optional<std::string> get(const std::string& key) const override { return rocks_.get(key); }
  std::vector<std::pair<std::string, std::string>> scan() const override { return rocks_.scan(); }

 private:
  RocksDisk& rocks_;
};

TEST_F(GroupCommit, AFailedWriteAheadWritesNothingHoldsNothingAndTheNextOneWorks) {
  RocksDisk rocks(dir_);
  FailingDisk failing(rocks);
  GroupCommitDisk disk(failing);
  failing.fail = true;
  EXPECT_THROW(disk.write_ahead({{"a", "1"}, {"b", "2"}}), protocols::storage::StorageError);
  EXPECT_FALSE(disk.holding());
  EXPECT_EQ(rocks.scan().size(), 0u);
  failing.fail = false;
  disk.write_ahead({{"a", "1"}});
  EXPECT_TRUE(disk.holding());
  disk.commit();
  EXPECT_EQ(rocks.get("a"), "1");
  EXPECT_EQ(rocks.get("b"), std::nullopt);
}

TEST_F(GroupCommit, PutsOfWhatWasWrittenAheadAreNotWrittenAgainAndOthersAreCommitted) {
  RocksDisk rocks(dir_);
  FailingDisk counting(rocks);
  GroupCommitDisk disk(counting);
  disk.write_ahead({{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(counting.batches, 1);
  disk.put("a", "1");  // the replica persisting what was written ahead: already on disk
  disk.put("b", "3");  // something else: staged, committed
  EXPECT_EQ(disk.staged(), 1u);
  disk.commit();
  EXPECT_EQ(counting.batches, 2);
  EXPECT_EQ(rocks.get("a"), "1");
  EXPECT_EQ(rocks.get("b"), "3");
  disk.put("a", "4");  // writes through again
  EXPECT_EQ(rocks.get("a"), "4");
}

TEST_F(GroupCommit, AFailedCommitDropsWhatWasStagedAndTheDiskWritesThroughAgain) {
  RocksDisk rocks(dir_);
  FailingDisk failing(rocks);
  GroupCommitDisk disk(failing);
  disk.hold();
  disk.put("a", "1");
  failing.fail = true;
  EXPECT_THROW(disk.commit(), protocols::storage::StorageError);
  EXPECT_EQ(disk.staged(), 0u);
  EXPECT_FALSE(disk.holding());
  failing.fail = false;
  disk.put("b", "2");
  EXPECT_EQ(rocks.get("a"), std::nullopt);
  EXPECT_EQ(rocks.get("b"), "2");
}

/// A replica whose data directory holds a value that does not decode under a state key refuses
/// to start, and says which key.
TEST_F(GroupCommit, AReplicaRefusesToStartOnACorruptStateKeyAndNamesIt) {
  {
    RocksDisk rocks(dir_ / "data");
    rocks.put(std::string("state/bad\nkey") + std::string(100, 'x'), "garbage");
  }
  KvsOptions options;
  options.port = 0;
  options.peer_port = 0;
  options.data_dir = (dir_ / "data").string();
  KvsServer server(options);
  std::atomic<bool> returned{false};
  std::thread stopper([&] {
    // Bounded: a server that (wrongly) starts is stopped after 10 s.
    for (int i = 0; i < 200 && !returned; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    server.stop();
  });
  std::string message;
  try {
    server.run();
  } catch (const std::exception& e) {
    message = e.what();
  }
  returned = true;
  stopper.join();
  EXPECT_NE(message.find("corrupt record under key '"), std::string::npos) << message;
  // The first bad key in key order, escaped and cut: 'bad\x0akeyxxx...'.
  EXPECT_NE(message.find("bad\\x0akey"), std::string::npos) << message;
  EXPECT_NE(message.find("... (113 bytes)"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace calm::apps::kvs
