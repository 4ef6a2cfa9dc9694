// GroupCommitDisk: calm-kvs's disk writes through, or holds a turn's writes and commits them as
// one RocksDB batch.
#include <gtest/gtest.h>

#include <kvs/group_commit.hpp>
#include <optional>
#include <string>
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

}  // namespace
}  // namespace calm::apps::kvs
