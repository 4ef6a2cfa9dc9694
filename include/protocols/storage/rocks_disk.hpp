#pragma once
/// RocksDisk: a node's storage::Disk (disk.hpp) on RocksDB, for a node that runs on real
/// sockets and must keep what it acknowledged. A batch is one RocksDB write batch (one record
/// in the write-ahead log: all of it survives or none), written with ByteStore::write.
///
/// Durability. A batch written with `Sync::yes`, or any batch when the disk is made with
/// `per_write = Sync::yes` (the default), is fsynced before `write` returns: it survives power
/// loss. A batch written with `Sync::no` on a disk made with `Sync::no` is in RocksDB's
/// write-ahead log, in the operating system, when `write` returns: it survives the process
/// being killed (`kill -9`) but not the machine losing power, unless `sync()` ran after it
/// (calm-kvs calls it every second, as Redis's appendfsync everysec does). The log is written
/// in order, so what a power cut leaves is a prefix of the batches, as disk.hpp promises. The
/// simulator's disk is in memory (memory_disk.hpp); a node cannot tell the two apart.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "protocols/storage/byte_store.hpp"
#include "protocols/storage/disk.hpp"

namespace calm::protocols::storage {

class RocksDisk final : public Disk {
 public:
  /// Opens (and recovers) the disk at `path`. `merge` folds the operands of merges; the same
  /// path must always be opened with the same one (the default refuses every merge, for a disk
  /// of plain puts: an operand is then reported as a corrupt record). `per_write`: sync every
  /// batch. `open_files_max`, `reserve_bytes`: StoreOptions's.
  explicit RocksDisk(const std::filesystem::path& path, MergeFunction merge = &refuse_merges,
                     Sync per_write = Sync::yes, int open_files_max = -1,
                     std::size_t reserve_bytes = 0)
      : bytes_(path, std::move(merge),
               StoreOptions{.sync_writes = per_write == Sync::yes,
                            .open_files_max = open_files_max,
                            .reserve_bytes = reserve_bytes}) {}
  /// The same, with every option of the store (a protocol's log: Memtable::log).
  RocksDisk(const std::filesystem::path& path, MergeFunction merge, const StoreOptions& options)
      : bytes_(path, std::move(merge), options) {}

  /// One RocksDB write batch; a write that fails throws StorageError and writes nothing.
  void write(std::span<const Write> writes, Sync sync) override { bytes_.write(writes, sync); }
  /// fsyncs the write-ahead log.
  void sync() override { bytes_.flush_log(); }
  /// ByteStore::sync_log_concurrently: a sync from another thread (a host's background sync).
  std::optional<std::string> sync_concurrently() { return bytes_.sync_log_concurrently(); }
  std::optional<std::string> get(std::string_view key) const override { return bytes_.get(key); }
  std::function<std::optional<std::string>(std::string_view key)> point_reads() const override {
    return bytes_.point_reads();
  }
  void scan(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& f) const override {
    bytes_.scan(prefix, f);
  }
  std::uint64_t estimated_keys() const override { return bytes_.estimated_keys(); }
  /// Merges every key's operands now (ByteStore::compact).
  void compact() { bytes_.compact(); }

 private:
  ByteStore bytes_;
};

}  // namespace calm::protocols::storage
