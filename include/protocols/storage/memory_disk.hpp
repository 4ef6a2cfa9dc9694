#pragma once
/// MemoryDisk: a storage::Disk (disk.hpp) in memory, for the simulator and for tests, with the
/// crash model of a real disk under a write-ahead log.
///
/// Power cut. The disk remembers which batches are synced: a batch written with `Sync::yes`,
/// or written before a `sync()` or before a synced batch. `power_cut(keep_unsynced)` is the
/// machine losing power: every synced batch survives, and of the unsynced batches after them
/// only the first `keep_unsynced` do (a log on a real disk keeps a prefix of what it was
/// given: never a later batch without every earlier one, never part of a batch). `wipe()`
/// loses everything (a new, empty disk). Nothing is lost otherwise: a crash of the process
/// alone (the node object destroyed, the disk kept) loses no batch, as with RocksDB's log.
///
/// Merges. A disk made with a MergeFunction folds each merge into the key's value when it is
/// written (so a read costs a lookup), with the same meaning RocksDB gives it: the value is the
/// function applied to the value before and the operands since. When the function refuses
/// (returns false) the key holds a corrupt record: reads of it throw CorruptRecord, later
/// merges keep it so, and a put or an erase replaces it, as on RocksDB. A merge written to a
/// disk made without a function is a StorageError at `write` (nothing of the batch applied):
/// the program forgot to give the disk its format, and that should fail where it happens.
///
/// Failing writes. `fail_writes(true)` makes every `write` and `sync` throw StorageError and
/// apply nothing, until `fail_writes(false)`: what a full disk does, for tests of a host's
/// failure path. Reads go on.
///
/// Cost: a write costs O(batch · log disk): the disk keeps the current image, the durable
/// image, and the unsynced batches (as the keys they set), and a sync or a power cut replays
/// them onto the durable image (each batch once). A power cut copies the durable image.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/storage/disk.hpp"
#include "protocols/storage/write.hpp"

namespace calm::protocols::storage {

class MemoryDisk final : public Disk {
 public:
  /// `merge`: how merges fold (lattice_merge.hpp for lattice state); empty: merges are refused.
  explicit MemoryDisk(MergeFunction merge = {}) : merge_(std::move(merge)) {}

  void write(std::span<const Write> writes, Sync sync) override;
  void sync() override;
  std::optional<std::string> get(std::string_view key) const override;
  void scan(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& f) const override;
  /// Exact: the keys it holds now.
  std::uint64_t estimated_keys() const override { return current_.size(); }

  /// The machine loses power: keeps every synced batch and the first `keep_unsynced` unsynced
  /// ones (all of them when there are fewer), loses the rest.
  void power_cut(std::size_t keep_unsynced);
  /// Loses everything: an empty disk (the merge function stays).
  void wipe();
  /// While set, `write` and `sync` throw StorageError and change nothing.
  void fail_writes(bool fail) { fail_writes_ = fail; }

  /// A sync that started when `batches` batches had been written (batches_written()), done
  /// now: those are durable, and the batches written after it started may still be lost
  /// (what a background sync on another thread does; host.hpp).
  void sync_through(std::uint64_t batches);
  /// Batches written since the last sync (what a power cut may lose).
  std::size_t unsynced_batches() const { return unsynced_.size(); }
  /// Keys held now.
  std::size_t size() const { return current_.size(); }
  /// Batches written, and batches refused (fail_writes), since the disk was made.
  std::uint64_t batches_written() const { return batches_written_; }
  std::uint64_t batches_refused() const { return batches_refused_; }

 private:
  struct Record {
    std::string value;
    /// Non-empty: the merge function refused this record, and this says why.
    std::string corrupt;
  };
  using Image = std::map<std::string, Record, std::less<>>;
  /// A batch as its effect: each key it touched, with its record after it (none: erased).
  using Effect = std::map<std::string, std::optional<Record>, std::less<>>;

  static void apply(Image& image, Effect effect);
  void sync_all();

  MergeFunction merge_;
  Image current_;
  Image durable_;
  std::vector<Effect> unsynced_;
  bool fail_writes_ = false;
  std::uint64_t batches_written_ = 0;
  std::uint64_t batches_refused_ = 0;
};

}  // namespace calm::protocols::storage
