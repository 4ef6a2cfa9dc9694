#pragma once
/// RocksDisk: a node's net::Disk on RocksDB, for a node that runs on real sockets and must keep
/// what it acknowledged. With `Sync::yes` (the default) every put and erase is fsynced before
/// it returns, which is the Disk contract ("durable when they return") against power loss too.
/// With `Sync::no` a write is in RocksDB's write-ahead log, in the operating system, when it
/// returns: it survives the process being killed (`kill -9`) but not the machine losing
/// power, unless `flush_log` ran after it (calm-kvs calls it every second, as Redis's
/// appendfsync everysec does). The simulator's disk is in memory; a node cannot tell the
/// two apart.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "protocols/net/transport.hpp"
#include "protocols/storage/byte_store.hpp"

namespace calm::protocols::storage {

/// A disk that also writes several puts and erases at once: all of them or, when it throws
/// StorageError, none.
class BatchDisk : public net::Disk {
 public:
  virtual void write(std::span<const BatchEntry> entries) = 0;
};

class RocksDisk final : public BatchDisk {
 public:
  /// `open_files_max`, `reserve_bytes`: StoreOptions's.
  explicit RocksDisk(const std::filesystem::path& path, Sync per_write = Sync::yes,
                     int open_files_max = -1, std::size_t reserve_bytes = 0)
      : bytes_(path, &no_merges,
               StoreOptions{.sync_writes = per_write == Sync::yes,
                            .open_files_max = open_files_max,
                            .reserve_bytes = reserve_bytes}) {}

  /// A write that fails throws StorageError and writes nothing (ByteStore::write).
  void put(std::string key, std::string value) override { bytes_.put(key, value); }
  void erase(const std::string& key) override { bytes_.erase(key); }
  /// Puts and erases as one write-ahead log record (ByteStore::write), fsynced first when this
  /// disk syncs every write: what a host that groups writes commits at once.
  void write(std::span<const BatchEntry> entries) override { bytes_.write(entries); }
  /// Makes every write so far survive power loss.
  void flush_log() { bytes_.flush_log(); }
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
