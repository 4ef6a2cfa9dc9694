#pragma once
/// GroupCommitDisk: calm-kvs's net::Disk. It writes through to RocksDB (a storage::BatchDisk),
/// except around a turn's commit, where the server writes the turn's client writes first, as
/// one RocksDB write batch (`write_ahead`: one write-ahead log record and, with `--durability
/// always`, one fsync for every write a turn's pipelined commands made), and only then hands
/// them to the replica, whose puts of those same bytes are then already on disk and dropped.
/// Between `hold()` (or `write_ahead`) and `commit()`, any other put or erase is staged, the
/// latest per key, and `commit()` writes them as one batch.
///
/// Why the batch goes first: a write that fails (a full disk, an I/O error) must change nothing
/// the replica holds, reads see, or peers are sent. So the replica takes a turn's writes only
/// once they are in the log, and a failed `write_ahead` leaves the replica, the disk and this
/// object as they were: the server discards the turn's writes and replies with errors.
///
/// While held, a staged write is not durable: the Disk contract ("durable when put returns")
/// is suspended. That is safe only because the server holds around its commit alone, which
/// changes the replica's state but sends nothing (a local write's effects are to persist;
/// gossip goes out on timers), before the turn's replies are written. So a client never hears
/// of a write, and no peer is sent one, before it is in the log: a SIGKILL after a reply loses
/// nothing that reply acknowledged.
///
/// Bound: what is staged or written ahead is at most the keys written by the requests of one
/// event-loop turn, each once.
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocols/net/transport.hpp"
#include "protocols/storage/rocks_disk.hpp"

namespace calm::apps::kvs {

class GroupCommitDisk final : public protocols::net::Disk {
 public:
  explicit GroupCommitDisk(protocols::storage::BatchDisk& disk) : disk_(disk) {}

  /// Stages every put and erase from now until `commit`.
  void hold() { holding_ = true; }
  /// Writes `entries` as one batch now, then holds: until `commit`, a put of one of these keys
  /// with the same bytes is already on disk and dropped. Throws StorageError when the write
  /// failed; then nothing was written and nothing is held.
  void write_ahead(std::vector<protocols::storage::BatchEntry> entries) {
    if (!entries.empty()) disk_.write(entries);
    holding_ = true;
    for (auto& e : entries) written_.insert_or_assign(std::move(e.key), std::move(e.value));
  }
  /// Writes what was staged as one batch, then writes through again. Throws StorageError when
  /// the write failed; what was staged is dropped either way.
  void commit() {
    holding_ = false;
    written_.clear();
    if (staged_.empty()) return;
    struct Clear {
      GroupCommitDisk& d;
      ~Clear() {
        d.staged_.clear();
        d.index_.clear();
      }
    } clear{*this};
    disk_.write(staged_);
  }
  bool holding() const { return holding_; }
  /// Writes staged and not committed yet.
  std::size_t staged() const { return staged_.size(); }

  void put(std::string key, std::string value) override {
    if (!holding_) return disk_.put(std::move(key), std::move(value));
    if (const auto it = written_.find(key); it != written_.end() && it->second == value) return;
    stage(std::move(key), std::move(value));
  }
  void erase(const std::string& key) override {
    if (!holding_) return disk_.erase(key);
    stage(key, std::nullopt);
  }
  std::optional<std::string> get(const std::string& key) const override {
    if (const auto it = index_.find(key); it != index_.end()) return staged_[it->second].value;
    return disk_.get(key);
  }
  std::vector<std::pair<std::string, std::string>> scan() const override {
    // Only a booting node scans, before any client is served.
    if (holding_ || !staged_.empty()) throw std::logic_error("GroupCommitDisk: scan while held");
    return disk_.scan();
  }

 private:
  void stage(std::string key, std::optional<std::string> value) {
    written_.erase(key);  // a later write of the key replaces the one written ahead
    const auto [it, fresh] = index_.try_emplace(key, staged_.size());
    if (fresh) {
      staged_.push_back({std::move(key), std::move(value)});
    } else {
      staged_[it->second].value = std::move(value);  // the key's latest write replaces it
    }
  }

  protocols::storage::BatchDisk& disk_;
  bool holding_ = false;
  std::vector<protocols::storage::BatchEntry> staged_;
  std::unordered_map<std::string, std::size_t> index_;  // key -> its entry in staged_
  /// What `write_ahead` wrote, key -> value (none: erased), until `commit`.
  std::unordered_map<std::string, std::optional<std::string>> written_;
};

}  // namespace calm::apps::kvs
