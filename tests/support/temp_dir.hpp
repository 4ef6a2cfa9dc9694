#pragma once
/// A fresh directory per test for the tests that open RocksDB, removed before and after.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>

namespace calm::testing_support {

class TempDirTest : public ::testing::Test {
 protected:
  /// `prefix` names the suite's directories, e.g. "calm-storage".
  explicit TempDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // The pid keeps two runs of the suite (the sanitize and clang builds) apart.
    dir_ = std::filesystem::temp_directory_path() /
           (prefix_ + "-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string prefix_;
  std::filesystem::path dir_;
};

}  // namespace calm::testing_support
