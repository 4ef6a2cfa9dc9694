#pragma once
/// GroupCommitDisk: calm-kvs's net::Disk. It writes through to RocksDB (RocksDisk), except
/// between `hold()` and `commit()`, where puts and erases are staged, the latest per key, and
/// `commit()` writes them as one RocksDB write batch: one write-ahead log record and, with
/// `--durability always`, one fsync for every write a client's pipelined commands made.
///
/// While held, a staged write is not durable: the Disk contract ("durable when put returns")
/// is suspended. That is safe only because the server holds around client commands alone,
/// which change the replica's state but send nothing (a local write's effects are to persist;
/// gossip goes out on timers), and commits before their replies are written. So a client
/// never hears of a write, and no peer is sent one, before it is in the log, as before: a
/// SIGKILL after a reply loses nothing that reply acknowledged.
///
/// Bound: what is staged is at most the keys written by the requests of one socket read
/// (64 KiB), each once.
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
  explicit GroupCommitDisk(protocols::storage::RocksDisk& disk) : disk_(disk) {}

  /// Stages every put and erase from now until `commit`.
  void hold() { holding_ = true; }
  /// Writes what was staged as one batch, then writes through again.
  void commit() {
    holding_ = false;
    if (staged_.empty()) return;
    // Cleared whether or not the write throws: a failed batch is RocksDB's error to report,
    // and the server stops on it.
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
    const auto [it, fresh] = index_.try_emplace(key, staged_.size());
    if (fresh) {
      staged_.push_back({std::move(key), std::move(value)});
    } else {
      staged_[it->second].value = std::move(value);  // the key's latest write replaces it
    }
  }

  protocols::storage::RocksDisk& disk_;
  bool holding_ = false;
  std::vector<protocols::storage::BatchEntry> staged_;
  std::unordered_map<std::string, std::size_t> index_;  // key -> its entry in staged_
};

}  // namespace calm::apps::kvs
