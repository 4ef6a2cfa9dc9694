#pragma once
/// RocksDisk: a node's net::Disk on RocksDB, for a node that runs on real sockets and must keep
/// what it acknowledged across `kill -9` and power loss. Every put and erase is synced before
/// it returns, which is the Disk contract ("durable when they return"). The simulator's disk
/// is in memory; a node cannot tell the two apart.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/net/transport.hpp"
#include "protocols/storage/byte_store.hpp"

namespace calm::protocols::storage {

class RocksDisk final : public net::Disk {
 public:
  explicit RocksDisk(const std::filesystem::path& path)
      : bytes_(path, &no_merges, StoreOptions{.sync_writes = true}) {}

  void put(std::string key, std::string value) override { bytes_.put(key, value, Sync::yes); }
  void erase(const std::string& key) override { bytes_.erase(key, Sync::yes); }
  std::optional<std::string> get(const std::string& key) const override { return bytes_.get(key); }
  std::vector<std::pair<std::string, std::string>> scan() const override {
    std::vector<std::pair<std::string, std::string>> out;
    bytes_.for_each([&](std::string_view key, std::string_view value) {
      out.emplace_back(std::string(key), std::string(value));
      return true;
    });
    return out;
  }

 private:
  // A Disk only puts and erases: a merge operand here could only come from another program
  // writing to this path, and is reported rather than guessed at.
  static bool no_merges(const std::string_view*, std::span<const std::string_view>, std::string&) {
    return false;
  }

  ByteStore bytes_;
};

}  // namespace calm::protocols::storage
