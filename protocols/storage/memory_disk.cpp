#include "protocols/storage/memory_disk.hpp"

#include <algorithm>
#include <cstddef>

namespace calm::protocols::storage {

void MemoryDisk::write(std::span<const Write> writes, Sync sync) {
  if (fail_writes_) {
    ++batches_refused_;
    throw StorageError("calm: writing a batch: the memory disk is set to fail writes");
  }
  // The batch's effect is computed whole before anything changes, so that a refused merge
  // (no merge function) or an exception from the merge function leaves the disk as it was.
  Effect effect;
  for (const Write& w : writes) {
    switch (w.kind) {
      case Write::Kind::put:
        effect.insert_or_assign(w.key, Record{w.value, {}});
        break;
      case Write::Kind::erase:
        effect.insert_or_assign(w.key, std::nullopt);
        break;
      case Write::Kind::merge: {
        if (!merge_) {
          throw StorageError("calm: writing a batch: a merge under key '" + printable_key(w.key) +
                             "' on a memory disk made without a merge function");
        }
        // The record before this write: earlier in this batch, else on the disk.
        const Record* before = nullptr;
        if (auto staged = effect.find(w.key); staged != effect.end()) {
          if (staged->second) before = &*staged->second;
        } else if (auto held = current_.find(w.key); held != current_.end()) {
          before = &held->second;
        }
        Record after;
        if (before && !before->corrupt.empty()) {
          after = *before;  // a corrupt record stays corrupt under later merges
        } else {
          const std::string_view operand = w.value;
          const std::string_view existing = before ? std::string_view(before->value) : "";
          if (!merge_(before ? &existing : nullptr, std::span(&operand, 1), after.value)) {
            // Kept as the record RocksDB would report: the value before and the operand.
            after.value = before ? before->value : std::string();
            after.corrupt = "the merge function refused the value or an operand";
          }
        }
        effect.insert_or_assign(w.key, std::move(after));
        break;
      }
    }
  }
  apply(current_, effect);
  unsynced_.push_back(std::move(effect));
  ++batches_written_;
  if (sync == Sync::yes) sync_all();
}

void MemoryDisk::sync() {
  if (fail_writes_) {
    ++batches_refused_;
    throw StorageError("calm: syncing: the memory disk is set to fail writes");
  }
  sync_all();
}

void MemoryDisk::sync_through(std::uint64_t batches) {
  const std::uint64_t durable_batches = batches_written_ - unsynced_.size();
  if (batches <= durable_batches) return;
  const std::size_t n = static_cast<std::size_t>(
      std::min<std::uint64_t>(batches - durable_batches, unsynced_.size()));
  for (std::size_t i = 0; i < n; ++i) apply(durable_, std::move(unsynced_[i]));
  unsynced_.erase(unsynced_.begin(), unsynced_.begin() + static_cast<std::ptrdiff_t>(n));
}

void MemoryDisk::sync_all() {
  for (Effect& effect : unsynced_) apply(durable_, std::move(effect));
  unsynced_.clear();
}

void MemoryDisk::apply(Image& image, Effect effect) {
  for (auto& [key, record] : effect) {
    if (record) {
      image.insert_or_assign(key, std::move(*record));
    } else {
      image.erase(key);
    }
  }
}

std::optional<std::string> MemoryDisk::get(std::string_view key) const {
  const auto it = current_.find(key);
  if (it == current_.end()) return std::nullopt;
  if (!it->second.corrupt.empty()) throw CorruptRecord(it->first, it->second.corrupt);
  return it->second.value;
}

void MemoryDisk::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& f) const {
  for (auto it = current_.lower_bound(prefix);
       it != current_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    if (!it->second.corrupt.empty()) throw CorruptRecord(it->first, it->second.corrupt);
    if (!f(it->first, it->second.value)) return;
  }
}

void MemoryDisk::power_cut(std::size_t keep_unsynced) {
  if (keep_unsynced > unsynced_.size()) keep_unsynced = unsynced_.size();
  for (std::size_t i = 0; i < keep_unsynced; ++i) apply(durable_, std::move(unsynced_[i]));
  unsynced_.clear();
  current_ = durable_;
}

void MemoryDisk::wipe() {
  current_.clear();
  durable_.clear();
  unsynced_.clear();
}

}  // namespace calm::protocols::storage
