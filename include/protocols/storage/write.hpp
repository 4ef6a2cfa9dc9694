#pragma once
/// The vocabulary every storage layer shares (ByteStore, storage::Disk and its RocksDisk and
/// MemoryDisk): one write of a batch, the sync flag, the merge function, the errors. Kept
/// apart so that byte_store.hpp and disk.hpp each include it, and neither the other.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace calm::protocols::storage {

/// Keys in messages are cut to this many bytes (then "... (N bytes)"): a key can be 1 KiB of
/// anything, and an error line should stay a line.
inline constexpr std::size_t printable_key_bytes_max = 64;

/// `key` for a message: printable ASCII as it is, a backslash and every other byte as \xHH,
/// cut at `printable_key_bytes_max` bytes of the key.
std::string printable_key(std::string_view key);

/// A write or a read failed (could not open, I/O error, a full disk, ...).
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The bytes under a key do not decode (or do not merge): the record is kept as it is and
/// reported.
class CorruptRecord : public StorageError {
 public:
  CorruptRecord(std::string key, const std::string& why)
      : StorageError("calm: corrupt record under key '" + printable_key(key) + "': " + why),
        key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

enum class Sync : bool { no = false, yes = true };

/// Combines a key's stored value (absent for a new key) with operands, oldest first, into
/// `out`. Returns false when a value or an operand does not decode, or they have no join: the
/// read then reports the key as corrupt (CorruptRecord) instead of producing a value. Any
/// exception it throws (bad_alloc) reaches the reader as it is. It must be associative: a
/// store may combine operands among themselves first (with `existing` absent) and the result
/// with a value later.
using MergeFunction =
    std::function<bool(const std::string_view* existing, std::span<const std::string_view> operands,
                       std::string& out)>;

/// A merge function for a store that holds no merges: it refuses every one, so that an
/// operand (which only another program could have written there) is reported, not guessed at.
inline bool refuse_merges(const std::string_view*, std::span<const std::string_view>,
                          std::string&) {
  return false;
}

/// One write of a batch.
struct Write {
  enum class Kind : std::uint8_t { put, merge, erase };
  Kind kind = Kind::put;
  std::string key;
  /// The put's value or the merge's operand; empty for an erase.
  std::string value;

  static Write put(std::string key, std::string value) {
    return {Kind::put, std::move(key), std::move(value)};
  }
  static Write merge(std::string key, std::string operand) {
    return {Kind::merge, std::move(key), std::move(operand)};
  }
  static Write erase(std::string key) { return {Kind::erase, std::move(key), {}}; }
  friend bool operator==(const Write&, const Write&) = default;
};

}  // namespace calm::protocols::storage
