// calm-kvs refuses a data directory written in another storage format, before reading a key.
#include <gtest/gtest.h>

#include <kvs/server.hpp>
#include <stdexcept>
#include <string>

#include "../support/temp_dir.hpp"
#include "lattices/serialize.hpp"
#include "protocols/storage/rocks_disk.hpp"

namespace calm::apps::kvs {
namespace {

using protocols::storage::RocksDisk;
using protocols::storage::Sync;

class StorageFormat : public testing_support::TempDirTest {
 protected:
  StorageFormat() : TempDirTest("calm-kvs-format") {}
  /// check_storage_format's error on the directory, or "" when it accepts it.
  std::string refusal() {
    RocksDisk rocks(dir_);
    try {
      check_storage_format(rocks);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(StorageFormat, AnEmptyDirectoryTakesTheFormatAndIsAcceptedAgain) {
  EXPECT_EQ(refusal(), "");
  {
    RocksDisk rocks(dir_);
    const auto stored = rocks.get(std::string(storage_format_key));
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(lattices::from_bytes<std::uint64_t>(*stored), storage_format);
  }
  EXPECT_EQ(refusal(), "");
}

TEST_F(StorageFormat, DataWithoutARecordedFormatIsFormatOneAndRefused) {
  {
    RocksDisk rocks(dir_);
    rocks.put("meta/writer", lattices::to_bytes(std::uint64_t{7}), Sync::yes);
  }
  const std::string why = refusal();
  EXPECT_NE(why.find("storage format 1 and this build reads format 4"), std::string::npos) << why;
  // Refused, it is left as it was: the format is not recorded over it.
  RocksDisk rocks(dir_);
  EXPECT_FALSE(rocks.get(std::string(storage_format_key)).has_value());
}

TEST_F(StorageFormat, ANewerFormatIsRefused) {
  {
    RocksDisk rocks(dir_);
    rocks.put(std::string(storage_format_key), lattices::to_bytes(std::uint64_t{5}), Sync::yes);
  }
  EXPECT_NE(refusal().find("storage format 5"), std::string::npos);
}

TEST_F(StorageFormat, FormatTwoWithoutTheExpiryIsRefused) {
  {
    RocksDisk rocks(dir_);
    rocks.put(std::string(storage_format_key), lattices::to_bytes(std::uint64_t{2}), Sync::yes);
  }
  EXPECT_NE(refusal().find("storage format 2 and this build reads format 4"), std::string::npos);
}

TEST_F(StorageFormat, FormatThreeWithoutDecimalCountersIsRefused) {
  {
    RocksDisk rocks(dir_);
    rocks.put(std::string(storage_format_key), lattices::to_bytes(std::uint64_t{3}), Sync::yes);
  }
  EXPECT_NE(refusal().find("storage format 3 and this build reads format 4"), std::string::npos);
}

}  // namespace
}  // namespace calm::apps::kvs
