#pragma once
/// LatticeStore<L>: durable lattice values under keys, on RocksDB, merged by L's own join.
///
///   LatticeStore<AWSet<std::string>> carts("/var/lib/app/carts");
///   carts.merge("alice", cart.add(replica, "book"));   // writes the delta, reads nothing
///   AWSet<std::string> alice = carts.get("alice");      // bottom when absent
///
/// A write is a RocksDB Merge of the value's bytes (`to_bytes`); RocksDB joins the operands
/// with L's merge when it reads or compacts the key (lattice_merge.hpp, the format a RocksDisk
/// or MemoryDisk made with lattice_merge<L> shares), so a write
/// never reads first, and writes arriving in any order, any number of times, store the same
/// value: the join's ACI laws are what make that safe. Values are cereal's portable bytes, the
/// format of `lattices/serialize.hpp`, checked on every decode; a record that does not decode
/// makes `get` throw CorruptRecord (it is not skipped, and not overwritten by later merges).
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "lattices/core.hpp"
#include "lattices/serialize.hpp"
#include "protocols/storage/byte_store.hpp"
#include "protocols/storage/lattice_merge.hpp"

namespace calm::protocols::storage {

template <lattices::Lattice L>
class LatticeStore {
 public:
  explicit LatticeStore(const std::filesystem::path& path, StoreOptions options = {})
      : bytes_(path, &lattice_merge<L>, options) {}

  /// Joins `value` into the value under `key`.
  void merge(std::string_view key, const L& value, Sync sync = Sync::no) {
    bytes_.merge(key, lattices::to_bytes(value), sync);
  }
  /// The value under `key`, bottom when absent. Throws CorruptRecord.
  L get(std::string_view key) const {
    auto bytes = bytes_.get(key);
    if (!bytes) return L{};
    return decode(key, *bytes);
  }
  /// Every key with its value, in key byte order; stops when `f` returns false.
  void for_each(const std::function<bool(std::string_view key, const L& value)>& f) const {
    for_each("", f);
  }
  /// Every key that starts with `prefix`, with its value, in key byte order (ByteStore::scan).
  void for_each(std::string_view prefix,
                const std::function<bool(std::string_view key, const L& value)>& f) const {
    bytes_.scan(prefix, [&](std::string_view key, std::string_view bytes) {
      return f(key, decode(key, bytes));
    });
  }
  void erase(std::string_view key, Sync sync = Sync::no) { bytes_.erase(key, sync); }
  void flush_log() { bytes_.flush_log(); }
  void compact() { bytes_.compact(); }

 private:
  static L decode(std::string_view key, std::string_view bytes) {
    try {
      return lattices::from_bytes<L>(bytes);
    } catch (const std::exception& e) {
      throw CorruptRecord(std::string(key), e.what());
    }
  }

  ByteStore bytes_;
};

}  // namespace calm::protocols::storage
