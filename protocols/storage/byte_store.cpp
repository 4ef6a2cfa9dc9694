#include "protocols/storage/byte_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <deque>
#include <utility>
#include <vector>

namespace calm::protocols::storage {
namespace {

std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }
rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

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
    return merge_(in.existing_value ? &existing : nullptr, operands, out->new_value);
  }

  // Operands join among themselves (the function is associative), so that a key written many
  // times between compactions keeps one operand rather than all of them.
  bool PartialMergeMulti(const rocksdb::Slice&, const std::deque<rocksdb::Slice>& operand_list,
                         std::string* new_value, rocksdb::Logger*) const override {
    std::vector<std::string_view> operands;
    operands.reserve(operand_list.size());
    for (const rocksdb::Slice& operand : operand_list) operands.push_back(view(operand));
    return merge_(nullptr, operands, *new_value);
  }

  const char* Name() const override { return "calm.lattice_merge"; }

 private:
  MergeFunction merge_;
};

[[noreturn]] void fail(const rocksdb::Status& status, std::string_view what) {
  throw StorageError("calm: " + std::string(what) + ": " + status.ToString());
}

}  // namespace

struct ByteStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions buffered, synced;
};

ByteStore::ByteStore(const std::filesystem::path& path, MergeFunction merge, StoreOptions options)
    : impl_(std::make_unique<Impl>()) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.merge_operator = std::make_shared<MergeOperatorAdapter>(std::move(merge));
  // A corrupt write-ahead log is an error to report, not a tail to drop quietly.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  db_options.paranoid_checks = true;
  if (options.create_if_missing && path.has_parent_path()) {
    std::error_code ignored;  // an unusable parent shows up as Open's error below
    std::filesystem::create_directories(path.parent_path(), ignored);
  }
  rocksdb::DB* db = nullptr;
  const rocksdb::Status status = rocksdb::DB::Open(db_options, path.string(), &db);
  if (!status.ok()) fail(status, "opening " + path.string());
  impl_->db.reset(db);
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
  const auto status =
      impl_->db->Put(write_options(impl_->buffered, impl_->synced, sync), slice(key), slice(value));
  if (!status.ok()) fail(status, "put");
}

void ByteStore::merge(std::string_view key, std::string_view operand, Sync sync) {
  const auto status = impl_->db->Merge(write_options(impl_->buffered, impl_->synced, sync),
                                       slice(key), slice(operand));
  if (!status.ok()) fail(status, "merge");
}

void ByteStore::erase(std::string_view key, Sync sync) {
  const auto status =
      impl_->db->Delete(write_options(impl_->buffered, impl_->synced, sync), slice(key));
  if (!status.ok()) fail(status, "erase");
}

void ByteStore::write(std::span<const BatchEntry> entries, Sync sync) {
  rocksdb::WriteBatch batch;
  for (const BatchEntry& e : entries) {
    const auto status =
        e.value ? batch.Put(slice(e.key), slice(*e.value)) : batch.Delete(slice(e.key));
    if (!status.ok()) fail(status, "batching");
  }
  const auto status = impl_->db->Write(write_options(impl_->buffered, impl_->synced, sync), &batch);
  if (!status.ok()) fail(status, "writing a batch");
}

std::optional<std::string> ByteStore::get(std::string_view key) const {
  std::string value;
  const auto status = impl_->db->Get(rocksdb::ReadOptions(), slice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (status.IsCorruption()) throw CorruptRecord(std::string(key), status.ToString());
  if (!status.ok()) fail(status, "get");
  return value;
}

void ByteStore::for_each(
    const std::function<bool(std::string_view key, std::string_view value)>& f) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!f(view(it->key()), view(it->value()))) return;
  }
  const auto status = it->status();
  if (status.IsCorruption()) {
    // The iterator stopped at the record it could not merge; name it when RocksDB still can.
    throw CorruptRecord(it->Valid() ? std::string(view(it->key())) : std::string("?"),
                        status.ToString());
  }
  if (!status.ok()) fail(status, "iterating");
}

void ByteStore::compact() {
  const auto status = impl_->db->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
  if (!status.ok()) fail(status, "compacting");
}

void ByteStore::flush_log() {
  const auto status = impl_->db->FlushWAL(/*sync=*/true);
  if (!status.ok()) fail(status, "flushing the log");
}

}  // namespace calm::protocols::storage
