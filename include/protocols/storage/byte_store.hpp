#pragma once
/// ByteStore: durable bytes under keys, on RocksDB, with a merge function that RocksDB applies
/// itself. It is the layer under LatticeStore (lattice values, merged by their own join) and
/// under RocksDisk (a node's storage::Disk: batches of puts, merges and erases).
///
/// Why a merge function: a write of a lattice value is a RocksDB Merge of the delta, never a
/// read-modify-write. RocksDB stacks the operands and calls the merge function when it reads
/// the key or compacts it, so writers never wait on a read and concurrent writes commute.
///
/// Durability: a write is in the write-ahead log when it returns; with `Sync::yes` (or
/// `StoreOptions::sync_writes`) the log is also fsynced first, which is what a protocol that
/// acknowledges a write (a Paxos acceptor's promise, a 2PC decision) needs. Reopening the same
/// path recovers every write that returned (every synced one after a machine crash).
///
/// Corruption is reported, never dropped: a merge function that cannot decode a value or an
/// operand says so, and reading that key throws CorruptRecord naming it (printable, cut at
/// `printable_key_bytes_max`); a RocksDB error throws StorageError with RocksDB's status text
/// whole, which names the file at fault (a table's block checksum, a log's record).
///
/// A write that fails (disk full, I/O error) throws StorageError and is not in the store: RocksDB
/// inserts a batch into its memtable only after its log record is written. RocksDB then refuses
/// every write until it is resumed; the next write resumes it first (DB::Resume, which flushes
/// the memtable and starts a new log, so no later record follows a torn one), and fails again,
/// with the cause, while the disk is still full. Reads go on meanwhile.
///
/// Recovery reads each write-ahead log up to its end; a record cut short at the very end (the
/// process died, or the disk filled up, while writing it) is dropped, because no write ever
/// returned for it; any other damage (a bad checksum, a bad record in the middle) is an error
/// at open naming the file (RocksDB's kTolerateCorruptedTailRecords).
///
/// RocksDB's headers stay out of this one: a user of calm::protocols includes no RocksDB.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocols/storage/write.hpp"

namespace calm::protocols::storage {

/// How the memtable (RocksDB's in-memory part, the writes not yet in a table file) is laid out.
enum class Memtable {
  /// A hash table keyed by the whole key: a write and a point read find one short bucket. A
  /// flush or a scan first copies it into key order (a skip list built entry by entry). For a
  /// store that is read by key while it is written.
  hashed,
  /// A plain array of the writes in the order made: a write appends, and a flush sorts the
  /// array once. A read sorts a copy of it first, so reads must be rare and come together
  /// (`point_reads`). For a store written every turn and read only at boot and after a failed
  /// turn: a protocol's log (a Paxos replica's, a two-phase commit node's), whose flushes
  /// sorting a hashed memtable took about as much CPU as their event loops, and calm-kvs's
  /// store, whose keyspace is in memory (docs/storage.md).
  log,
};

struct StoreOptions {
  bool create_if_missing = true;
  Memtable memtable = Memtable::hashed;
  /// fsync the write-ahead log on every write, as if each passed Sync::yes.
  bool sync_writes = false;
  /// RocksDB's max_open_files: table files it keeps open, -1 for all of them. A host that
  /// budgets its descriptors (calm-kvs against RLIMIT_NOFILE) bounds it.
  int open_files_max = -1;
  /// Bytes of the disk kept in a file of the store's directory (`reserve_file_name`), so that
  /// the store can reopen after its disk filled up: opening writes a new manifest, and when
  /// the disk has no room for it the reserve is deleted and opening tried again. While the
  /// reserve cannot be made again, every write is refused (reads go on): a disk that filled up
  /// once then keeps the room for the next restart. With a reserve, recovery does not flush
  /// the logs it replays to a table (which a full disk would refuse). 0: no reserve.
  std::size_t reserve_bytes = 0;
};

/// The reserve's file name (StoreOptions::reserve_bytes); RocksDB ignores it.
inline constexpr std::string_view reserve_file_name = "calm-reserve";

class ByteStore {
 public:
  /// Opens (and recovers) the store at `path`; `merge` is the function of every merge written
  /// there, now and in earlier runs: the same path must always be opened with the same one.
  ByteStore(const std::filesystem::path& path, MergeFunction merge, StoreOptions options = {});
  ~ByteStore();
  ByteStore(ByteStore&&) noexcept;
  ByteStore& operator=(ByteStore&&) noexcept;

  /// Replaces the value under `key`.
  void put(std::string_view key, std::string_view value, Sync sync = Sync::no);
  /// Adds an operand under `key`; the value read later is the merge function applied to the
  /// value before and every operand since. Never reads.
  void merge(std::string_view key, std::string_view operand, Sync sync = Sync::no);
  void erase(std::string_view key, Sync sync = Sync::no);
  /// Puts, merges and erases, in order, as one RocksDB write batch: one record in the
  /// write-ahead log, so a crash keeps all of them or none, and a synced batch costs one
  /// fsync. Throws StorageError when the write failed; then none of them is in the store.
  void write(std::span<const Write> writes, Sync sync = Sync::no);
  /// The value under `key` (operands merged), or nothing. Throws CorruptRecord.
  std::optional<std::string> get(std::string_view key) const;
  /// A reader for many point reads in a row with no write between them (a host's rollback):
  /// each call answers as `get` does. On a Memtable::log store it reads through one RocksDB
  /// iterator, so the memtable is sorted once for all of the reads rather than once a read, and
  /// the next point_reads takes the same iterator while no write has landed (a full disk fails
  /// every turn, and each failure's rollback reads). Valid until the store's next write, and
  /// only while the store lives.
  std::function<std::optional<std::string>(std::string_view key)> point_reads() const;
  /// Every key that starts with `prefix`, in byte order, with its value (operands merged):
  /// seeks to the prefix and stops at the first key past it, so it reads no other table entry
  /// (but it starts by copying the memtables into key order, whatever the prefix: they are
  /// hashed or unsorted arrays, docs/storage.md). Stops early when `f` returns false. Throws
  /// CorruptRecord at the first corrupt record (the ones before it were seen), naming its key when
  /// RocksDB still knows it, else the last key read before it. An empty prefix walks every key.
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& f) const;
  /// Makes every write so far durable (fsyncs the write-ahead log).
  void flush_log();
  /// The same, callable from a thread other than the one writing, concurrently with writes
  /// (RocksDB's SyncWAL is; this store's own recovery bookkeeping is not touched): the
  /// error's text, or nothing. Every write made before the call is durable when it returns
  /// nothing.
  std::optional<std::string> sync_log_concurrently();
  /// Rewrites the whole store, merging every key's operands into one value now rather than on
  /// a later read. A record that does not merge is kept as it is, and still reported on read.
  void compact();
  /// RocksDB's estimate of the keys held ("rocksdb.estimate-num-keys"; 0 when it has none).
  std::uint64_t estimated_keys() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calm::protocols::storage
