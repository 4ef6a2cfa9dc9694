#include "protocols/storage/byte_store.hpp"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace calm::protocols::storage {
namespace {

/// Buckets of the hashed memtable: a 16 MiB memtable of small records (calm-kvs's, for which it
/// was sized) holds about 150,000 of them, so a bucket's list is a few entries long; 512 KiB of
/// bucket pointers per memtable (and per memtable waiting for its flush).
constexpr std::size_t memtable_buckets = std::size_t{1} << 16;
constexpr std::size_t memtable_bytes = std::size_t{16} << 20;
constexpr std::size_t scan_readahead_bytes = std::size_t{2} << 20;
/// A record takes more room in a memtable than in the log: in a log batch it is 3 bytes and its
/// key and value, in the memtable about 25 (the hashed list's node, the internal key's sequence
/// number, lengths, alignment) and them. At most 8 times, for an empty key and value; under 3
/// for calm-kvs's records ("state/" and a key, and a value).
constexpr std::uintmax_t memtable_bytes_per_log_byte = 8;

/// Bytes of the write-ahead logs in a store's directory (RocksDB names them NNNNNN.log), 0
/// when there is none or the directory cannot be read (Open reports that).
std::uintmax_t log_bytes(const std::filesystem::path& path) {
  std::error_code error;
  std::uintmax_t total = 0;
  for (std::filesystem::directory_iterator it(path, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() != ".log") continue;
    const std::uintmax_t bytes = it->file_size(error);
    if (error) return total;
    total += bytes;
  }
  return total;
}

std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

/// What a merge function threw on this thread (bad_alloc, say), rather than refused: an
/// exception must not unwind through RocksDB's frames, so the adapter keeps it here, fails the
/// merge, and the read that asked for it throws it instead of CorruptRecord.
std::exception_ptr& merge_exception() {
  thread_local std::exception_ptr pending;
  return pending;
}

/// Throws what a merge function threw during the read that just failed, if it threw.
void rethrow_merge_exception() {
  if (std::exception_ptr e = std::exchange(merge_exception(), nullptr)) std::rethrow_exception(e);
}

/// RocksDB's side of a MergeFunction.
class MergeOperatorAdapter final : public rocksdb::MergeOperator {
 public:
  explicit MergeOperatorAdapter(MergeFunction merge) : merge_(std::move(merge)) {}

  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    std::string_view existing;
    if (in.existing_value) existing = view(*in.existing_value);
    std::vector<std::string_view> operands;
    operands.reserve(in.operand_list.size());
    for (const rocksdb::Slice& operand : in.operand_list) operands.push_back(view(operand));
    return call(in.existing_value ? &existing : nullptr, operands, out->new_value);
  }

  // Operands join among themselves (the function is associative), so that a key written many
  // times between compactions keeps one operand rather than all of them.
  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operand_list,
                         std::string* new_value, rocksdb::Logger*) const override {
    std::vector<std::string_view> operands;
    operands.reserve(operand_list.size());
    for (const rocksdb::Slice& operand : operand_list) operands.push_back(view(operand));
    return call(nullptr, operands, *new_value);
  }

  const char* Name() const override { return "calm.lattice_merge"; }

 private:
  bool call(const std::string_view* existing, std::span<const std::string_view> operands,
            std::string& out) const {
    try {
      return merge_(existing, operands, out);
    } catch (...) {
      merge_exception() = std::current_exception();
      return false;
    }
  }

  MergeFunction merge_;
};

/// RocksDB's info log, kept in memory: its warnings and errors, the last `lines_max` of them.
/// Not RocksDB's LOG file in the store's directory: on a full disk that file fails to grow,
/// and RocksDB 7.8 built with assertions (Debian's) aborts on the next line logged to it. And
/// what RocksDB warns of at open (a log record it dropped, with the log file's name) goes into
/// the error that open throws.
class RecentLog final : public rocksdb::Logger {
 public:
  static constexpr std::size_t lines_max = 8;
  static constexpr std::size_t line_bytes_max = 512;

  RecentLog() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < rocksdb::InfoLogLevel::WARN_LEVEL) return;
    char line[line_bytes_max];
    std::vsnprintf(line, sizeof line, format, ap);
    for (char* c = line; *c != 0; ++c) {
      if (*c == '\n' || *c == '\r') *c = ' ';
    }
    const std::lock_guard lock(mutex_);
    lines_.emplace_back(line);
    if (lines_.size() > lines_max) lines_.pop_front();
  }
  /// The lines logged so far, joined by "; ".
  std::string joined() const {
    const std::lock_guard lock(mutex_);
    std::string out;
    for (const std::string& line : lines_) out += (out.empty() ? "" : "; ") + line;
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<std::string> lines_;
};

[[noreturn]] void fail(const rocksdb::Status& status, std::string_view what) {
  throw StorageError("calm: " + std::string(what) + ": " + status.ToString());
}

/// After a failed write, RocksDB is resumed at most this often: a resume retries the flush that
/// a full disk refuses, and clients may retry in a tight loop.
constexpr auto resume_interval = std::chrono::milliseconds(100);

}  // namespace

std::string printable_key(std::string_view key) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < key.size() && i < printable_key_bytes_max; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (key.size() > printable_key_bytes_max) {
    out += "... (" + std::to_string(key.size()) + " bytes)";
  }
  return out;
}

/// Makes the reserve file, `bytes` long, allocated. False (and no file) when the disk has no
/// room for it.
bool make_reserve(const std::filesystem::path& file, std::size_t bytes, std::string& why) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  const int error = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  const bool synced = error == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (error != 0 || !synced) {
    why = std::strerror(error != 0 ? error : errno);
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
    return false;
  }
  return true;
}

/// point_reads' reader of a log memtable: one iterator, made at its first read, each read
/// bounded just past its key.
struct LogReader {
  std::string bound;
  rocksdb::Slice bound_slice;
  std::unique_ptr<rocksdb::Iterator> it;
};

struct ByteStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions buffered, synced;
  /// StoreOptions::memtable is Memtable::log.
  bool log_memtable = false;
  /// The last point_reads reader of a log memtable: while no write has landed since, the next
  /// point_reads takes it again rather than sorting the memtable anew (a full disk fails every
  /// turn's batch, and each failure's rollback reads). Dropped by the next write that lands
  /// (`write`, which every write goes through), so it is never stale and pins no memtable for
  /// long.
  std::shared_ptr<LogReader> last_reader;
  /// StoreOptions::reserve_bytes, the file that holds them, and whether it is missing (then
  /// writes are refused until it is made again).
  std::size_t reserve_bytes = 0;
  std::filesystem::path reserve_file;
  bool reserve_missing = false;
  /// A write failed, and RocksDB may refuse writes until it is resumed.
  bool failed = false;
  std::chrono::steady_clock::time_point resumed_at{};
  std::string failure;  // the failed write's status, reported while no resume is due

  /// Recovery opened with a memtable larger than memtable_bytes, and setting it back has not
  /// succeeded yet (shrink_memtable).
  bool memtable_oversized = false;
  std::chrono::steady_clock::time_point shrink_tried_at{};

  /// Sets the memtable's size back to memtable_bytes if recovery enlarged it; false when
  /// RocksDB could not record the change (a full disk).
  bool shrink_memtable() {
    if (!memtable_oversized) return true;
    shrink_tried_at = std::chrono::steady_clock::now();
    memtable_oversized =
        !db->SetOptions({{"write_buffer_size", std::to_string(memtable_bytes)}}).ok();
    return !memtable_oversized;
  }

  /// Runs a write; after a failed one, resumes RocksDB first (at most every resume_interval).
  template <class Write>
  void write(std::string_view what, Write&& write) {
    if (memtable_oversized &&
        std::chrono::steady_clock::now() - shrink_tried_at >= resume_interval) {
      shrink_memtable();  // a failure changes nothing: the memtable flushes later, that is all
    }
    if (reserve_missing) {
      const auto now = std::chrono::steady_clock::now();
      std::string why = "no room yet";
      if (now - resumed_at < resume_interval || !make_reserve(reserve_file, reserve_bytes, why)) {
        resumed_at = now;
        throw StorageError("calm: " + std::string(what) + ": the disk is full: no room for the " +
                           std::to_string(reserve_bytes) + "-byte reserve " +
                           reserve_file.string() + " that restarting needs (" + why + ")");
      }
      reserve_missing = false;
    }
    if (failed) {
      const auto now = std::chrono::steady_clock::now();
      if (now - resumed_at < resume_interval) {
        throw StorageError("calm: " + std::string(what) + ": " + failure);
      }
      resumed_at = now;
      const rocksdb::Status status = db->Resume();
      if (status.IsBusy()) {
        // RocksDB is recovering by itself (it does after a full disk): the cause stands.
        throw StorageError("calm: " + std::string(what) + ": " + failure);
      }
      if (!status.ok()) {
        failure = status.ToString();
        fail(status, std::string(what) + " (resuming after a failed write)");
      }
      failed = false;
    }
    const rocksdb::Status status = write();
    if (!status.ok()) {
      failed = true;
      resumed_at = std::chrono::steady_clock::now();
      failure = status.ToString();
      fail(status, what);
    }
    last_reader.reset();  // landed: what it read is stale
  }
};

ByteStore::ByteStore(const std::filesystem::path& path, MergeFunction merge, StoreOptions options)
    : impl_(std::make_unique<Impl>()) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.merge_operator = std::make_shared<MergeOperatorAdapter>(std::move(merge));
  // A log record cut short at the end of a log is one whose write never returned (the process
  // died, or the disk filled up, while writing it): it was never acknowledged, and dropping it
  // loses nothing. Any other damage is an error to report, not a tail to drop quietly; so not
  // kPointInTimeRecovery, which stops at the first bad record, wherever it is, and drops the
  // rest, and not kAbsoluteConsistency, which refuses to start after a full disk tore the tail.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.paranoid_checks = true;
  // With a reserve, recovery keeps the logs rather than writing their contents to a new table
  // first, so that a store whose disk is full still opens (and serves reads) with the little
  // room the reserve makes. Without one, recovery flushes, as RocksDB does by default: a
  // merge that cannot be done then fails at open rather than at a later flush.
  db_options.avoid_flush_during_recovery = options.reserve_bytes > 0;
  db_options.max_open_files = options.open_files_max;
  if (options.memtable == Memtable::hashed) {
    // The memtable is a hash table keyed by the whole key (the "prefix" is the key), each
    // bucket a short list of the records of the keys that hash there (a skip list past 256 of
    // them: a hot key's operands), not one skip list of everything: an insert is a hash lookup,
    // not a walk down a skip list of every key in the memtable, which was a third of calm-kvs's
    // time under SET of many keys. The hosts read the store point-wise (get: one bucket) and by
    // one scan at boot; every scan, and a flush, copies the memtables into key order first, so
    // scans must be rare. Iterators need total_order_seek (scan below, point_reads).
    db_options.prefix_extractor.reset(rocksdb::NewNoopTransform());
    db_options.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(
        memtable_buckets, /*huge_page_tlb_size=*/0,
        /*bucket_entries_logging_threshold=*/std::numeric_limits<int>::max(),
        /*if_log_bucket_dist_when_flash=*/false, /*threshold_use_skiplist=*/256));
  } else {
    // An array appended to, sorted once when it is flushed (or read: point_reads). Against the
    // hashed memtable under two-phase commit's load, this took the flush thread's CPU from
    // about as much as the event loop's to little, for writes that cost the same.
    db_options.memtable_factory.reset(new rocksdb::VectorRepFactory());
  }
  // Neither memtable can take concurrent writes; calm writes from one thread.
  db_options.allow_concurrent_memtable_write = false;
  // 16 MiB memtables, not RocksDB's 64: a boot replays the log into the memtable (with a
  // reserve it is not flushed, above) and its scan then sorts it, a third of a restart's time
  // at 64 MiB (calm-kvs, 1M keys); a write costs the same.
  db_options.write_buffer_size = memtable_bytes;
  if (options.reserve_bytes > 0) {
    // A recovery that fills the memtable flushes it, avoid_flush_during_recovery or not, and
    // after a full disk the logs hold more than one memtable (the one whose flush failed, and
    // the next): so recovery's memtable is sized to take every log present, and set back to
    // memtable_bytes once open (the first write then flushes it, if the disk has room).
    const std::uintmax_t logs =
        std::min<std::uintmax_t>(log_bytes(path), std::numeric_limits<std::uint32_t>::max());
    db_options.write_buffer_size =
        memtable_bytes + static_cast<std::size_t>(logs * memtable_bytes_per_log_byte);
  }
  const auto recent = std::make_shared<RecentLog>();
  db_options.info_log = recent;
  if (options.create_if_missing && path.has_parent_path()) {
    std::error_code ignored;  // an unusable parent shows up as Open's error below
    std::filesystem::create_directories(path.parent_path(), ignored);
  }
  impl_->reserve_bytes = options.reserve_bytes;
  impl_->log_memtable = options.memtable == Memtable::log;
  impl_->reserve_file = path / reserve_file_name;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, path.string(), &db);
  std::error_code ignored;
  if (status.IsNoSpace() && options.reserve_bytes > 0 &&
      std::filesystem::remove(impl_->reserve_file, ignored)) {
    // The reserve is for this: opening writes a new manifest, which a full disk refuses.
    status = rocksdb::DB::Open(db_options, path.string(), &db);
  }
  if (!status.ok()) {
    // RocksDB's status may not say which file (a log record's checksum); its warnings do.
    const std::string said = recent->joined();
    throw StorageError("calm: opening " + path.string() + ": " + status.ToString() +
                       (said.empty() ? "" : " (RocksDB: " + said + ")"));
  }
  impl_->db.reset(db);
  // The memtable's size back to memtable_bytes: SetOptions writes the manifest and an options
  // file, so before the reserve is made again, and with the reserve's room if the disk has
  // none. A store that cannot write it still opens; every write tries again first.
  impl_->memtable_oversized = db_options.write_buffer_size != memtable_bytes;
  if (!impl_->shrink_memtable() && options.reserve_bytes > 0 &&
      std::filesystem::remove(impl_->reserve_file, ignored)) {
    impl_->shrink_memtable();
  }
  if (options.reserve_bytes > 0 && !std::filesystem::exists(impl_->reserve_file, ignored)) {
    std::string why;
    impl_->reserve_missing = !make_reserve(impl_->reserve_file, options.reserve_bytes, why);
  }
  impl_->synced.sync = true;
  impl_->buffered.sync = options.sync_writes;
}

ByteStore::~ByteStore() = default;
ByteStore::ByteStore(ByteStore&&) noexcept = default;
ByteStore& ByteStore::operator=(ByteStore&&) noexcept = default;

namespace {
const rocksdb::WriteOptions& write_options(const rocksdb::WriteOptions& buffered,
                                           const rocksdb::WriteOptions& synced, Sync sync) {
  return sync == Sync::yes ? synced : buffered;
}
}  // namespace

void ByteStore::put(std::string_view key, std::string_view value, Sync sync) {
  const auto& options = write_options(impl_->buffered, impl_->synced, sync);
  impl_->write("put", [&] { return impl_->db->Put(options, slice(key), slice(value)); });
}

void ByteStore::merge(std::string_view key, std::string_view operand, Sync sync) {
  const auto& options = write_options(impl_->buffered, impl_->synced, sync);
  impl_->write("merge", [&] { return impl_->db->Merge(options, slice(key), slice(operand)); });
}

void ByteStore::erase(std::string_view key, Sync sync) {
  const auto& options = write_options(impl_->buffered, impl_->synced, sync);
  impl_->write("erase", [&] { return impl_->db->Delete(options, slice(key)); });
}

void ByteStore::write(std::span<const Write> writes, Sync sync) {
  rocksdb::WriteBatch batch;
  for (const Write& w : writes) {
    rocksdb::Status status;
    switch (w.kind) {
      case Write::Kind::put:
        status = batch.Put(slice(w.key), slice(w.value));
        break;
      case Write::Kind::merge:
        status = batch.Merge(slice(w.key), slice(w.value));
        break;
      case Write::Kind::erase:
        status = batch.Delete(slice(w.key));
        break;
    }
    if (!status.ok()) fail(status, "batching");
  }
  const auto& options = write_options(impl_->buffered, impl_->synced, sync);
  impl_->write("writing a batch", [&] { return impl_->db->Write(options, &batch); });
}

std::optional<std::string> ByteStore::get(std::string_view key) const {
  std::string value;
  merge_exception() = nullptr;
  const auto status = impl_->db->Get(rocksdb::ReadOptions(), slice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (status.IsCorruption()) {
    rethrow_merge_exception();
    throw CorruptRecord(std::string(key), status.ToString());
  }
  if (!status.ok()) fail(status, "get");
  return value;
}

std::function<std::optional<std::string>(std::string_view)> ByteStore::point_reads() const {
  if (!impl_->log_memtable) {
    return [this](std::string_view key) { return get(key); };
  }
  // One iterator for all the reads, made at the first: making it sorts the memtable's array
  // once; each read is then a seek (a binary search in it, and in the tables). Each seek is
  // bounded just past its key (the bound is re-read at every seek), so it neither walks the
  // tombstones after an absent key nor reads the record after it; a read the iterator cannot
  // answer cleanly is asked of `get`, whose answer is the one to give.
  if (!impl_->last_reader) impl_->last_reader = std::make_shared<LogReader>();
  auto reader = impl_->last_reader;
  return [this, reader](std::string_view key) -> std::optional<std::string> {
    reader->bound.assign(key);
    reader->bound.push_back('\0');  // the least key after `key`
    reader->bound_slice = slice(reader->bound);
    if (!reader->it) {
      rocksdb::ReadOptions read;
      read.total_order_seek = true;
      read.iterate_upper_bound = &reader->bound_slice;
      reader->it.reset(impl_->db->NewIterator(read));
    }
    merge_exception() = nullptr;
    rocksdb::Iterator& it = *reader->it;
    it.Seek(slice(key));
    if (it.Valid() && view(it.key()) == key) return std::string(view(it.value()));
    if (!it.status().ok()) return get(key);
    return std::nullopt;
  };
}

namespace {
/// The least key greater than every key that starts with `prefix`, or nothing when there is
/// none (the prefix is empty or all 0xff bytes).
std::optional<std::string> past_prefix(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xff) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}
}  // namespace

void ByteStore::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& f) const {
  // The upper bound keeps RocksDB from reading on past the prefix (through the tombstones of
  // the keys after it) once the last key of the prefix is read.
  const std::optional<std::string> bound = past_prefix(prefix);
  rocksdb::Slice bound_slice;
  rocksdb::ReadOptions read;
  read.total_order_seek = true;  // the prefix extractor names a key, not a range (see above)
  // A scan reads every table of the prefix once, in order (a host's boot): its blocks would
  // only push others out of the block cache, and reading ahead saves a read per block.
  read.fill_cache = false;
  read.readahead_size = scan_readahead_bytes;
  if (bound) {
    bound_slice = slice(*bound);
    read.iterate_upper_bound = &bound_slice;
  }
  merge_exception() = nullptr;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(read));
  std::string last;  // the last key read, to place a record RocksDB cannot name
  bool any = false;
  for (it->Seek(slice(prefix)); it->Valid() && view(it->key()).starts_with(prefix); it->Next()) {
    if (!f(view(it->key()), view(it->value()))) return;
    last.assign(view(it->key()));
    any = true;
  }
  const auto status = it->status();
  if (status.IsCorruption()) {
    rethrow_merge_exception();
    // The iterator stopped at the record it could not read; name it when RocksDB still can,
    // else say where it stopped. RocksDB's text names the file (a table's block checksum).
    if (it->Valid()) throw CorruptRecord(std::string(view(it->key())), status.ToString());
    throw StorageError("calm: corrupt record " +
                       (any ? "after key '" + printable_key(last) + "'" : "before the first key") +
                       ": " + status.ToString());
  }
  if (!status.ok()) fail(status, "iterating");
}

std::uint64_t ByteStore::estimated_keys() const {
  std::uint64_t keys = 0;
  if (!impl_->db->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &keys)) return 0;
  return keys;
}

void ByteStore::compact() {
  const auto status = impl_->db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
  if (!status.ok()) fail(status, "compacting");
}

void ByteStore::flush_log() {
  impl_->write("flushing the log", [&] { return impl_->db->FlushWAL(/*sync=*/true); });
}

std::optional<std::string> ByteStore::sync_log_concurrently() {
  const rocksdb::Status status = impl_->db->SyncWAL();
  if (status.ok()) return std::nullopt;
  return status.ToString();
}

}  // namespace calm::protocols::storage
