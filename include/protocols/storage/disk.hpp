#pragma once
/// Disk: a node's durable key-value state, written in batches. Every protocol reaches its
/// storage through this interface, by way of its host (protocols/host/host.hpp): RocksDisk
/// (rocks_disk.hpp) on a real node, MemoryDisk (memory_disk.hpp) in the simulator.
///
/// A batch is puts, merges and erases, applied in order, all or none. A merge adds an operand
/// under a key; the value read back is the disk's merge function (one per disk, fixed when the
/// disk is made: a lattice's own join for a replica's state, lattice_merge.hpp) applied to the
/// value before and every operand since, so that a write of a delta never reads first.
///
/// Durability: a batch written with `Sync::yes` is durable against power loss when `write`
/// returns, and so is every batch written before it. One written with `Sync::no` survives the
/// process being killed, but a power cut (the simulator's crash) may lose it and the unsynced
/// batches after it: what survives is always a prefix of the batches, in the order written.
/// `sync()` makes every batch so far durable.
///
/// A write that fails throws StorageError and applies nothing; reads go on.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocols/storage/write.hpp"

namespace calm::protocols::storage {

class Disk {
 public:
  virtual ~Disk() = default;
  /// Applies `writes` in order as one batch, all or none; with `Sync::yes` it and every batch
  /// before it are durable against power loss when this returns. Throws StorageError when the
  /// write failed (then nothing of it is applied).
  virtual void write(std::span<const Write> writes, Sync sync) = 0;
  /// Makes every batch written so far durable against power loss. Throws StorageError.
  virtual void sync() = 0;
  /// The value under `key`, operands merged, or nothing. Throws CorruptRecord.
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  /// Every key that starts with `prefix`, in byte order, with its value (operands merged);
  /// stops when `f` returns false. Throws CorruptRecord at a record that does not merge.
  virtual void scan(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& f) const = 0;
  /// A reader for many `get`s in a row with no write between them (a host's rollback), which a
  /// disk may serve faster than one `get` at a time (RocksDisk: ByteStore::point_reads). Valid
  /// until the next write.
  virtual std::function<std::optional<std::string>(std::string_view key)> point_reads() const {
    return [this](std::string_view key) { return get(key); };
  }
  /// About how many keys the disk holds (0: it cannot tell), for a scan's reader to size its
  /// tables once instead of growing them; an estimate, which a damaged disk may get wrong.
  virtual std::uint64_t estimated_keys() const { return 0; }

  /// One put, as a batch of one.
  void put(std::string key, std::string value, Sync sync = Sync::no) {
    const Write w = Write::put(std::move(key), std::move(value));
    write(std::span(&w, 1), sync);
  }
  /// One erase, as a batch of one.
  void erase(std::string key, Sync sync = Sync::no) {
    const Write w = Write::erase(std::move(key));
    write(std::span(&w, 1), sync);
  }
};

}  // namespace calm::protocols::storage
