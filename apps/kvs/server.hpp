#pragma once
/// KvsServer: one calm-kvs replica. It serves RESP2 clients (redis-cli, redis-benchmark, client
/// libraries) on `bind`:`port`, keeps its keyspace in a Replica<KeyValue> that converges with
/// the other replicas by delta anti-entropy over TCP on `peer_port`, and persists it in RocksDB
/// under `data_dir`. Client connections and replication share one event loop, so commands and
/// replication never run at the same time and need no lock.
///
/// Durability: `always` fsyncs RocksDB's log on every write before the reply; `everysec` (the
/// default, as Redis's appendfsync everysec) writes the log on every write, which survives the
/// process being killed, and fsyncs it every second, which bounds what a power loss can take.
/// A write that RocksDB fails (a full disk) is an error reply, "MISCONF Errors writing to the
/// AOF file: <RocksDB's reason>", for every command of the turn that wrote or read it, and
/// changes nothing; reads go on, and writes work again once the disk has room.
///
/// Bounds a client cannot push past (docs/kvs.md): `clients_max` connections, lowered at start
/// to fit the descriptor limit; `client_input_bytes_max` bytes of unfinished requests per
/// connection and `clients_input_bytes_max` over all of them; when descriptors run out anyway,
/// accepting backs off and the client is told why.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvs/resp.hpp"

namespace calm::protocols::storage {
class RocksDisk;
}

namespace calm::apps::kvs {

/// The layout of what a data directory holds (KeyValue's bytes): 4 since a counter gained
/// INCRBYFLOAT's decimals (3: `zset`, `zset_scores` and `expiry`; 2: `list`). A directory of
/// another layout is refused with a clear error before anything reads it: decoding it as this one
/// would fail key by key (docs/kvs.md, "Storage format").
inline constexpr std::string_view storage_format_key = "meta/format";
inline constexpr std::uint64_t storage_format = 4;

/// Throws std::runtime_error, saying which format it found, for a directory of another format
/// (one with data but no format recorded is format 1); records the format in a new directory.
void check_storage_format(protocols::storage::RocksDisk& rocks);

struct ReplicaAddress {
  std::uint64_t id;
  std::string host;
  std::uint16_t peer_port;
};

/// KvsOptions::replication_message_bytes_max's default.
inline constexpr std::size_t replication_message_bytes_default = 1u << 20;

struct KvsOptions {
  std::uint64_t id = 1;
  std::string bind = "127.0.0.1";
  std::uint16_t port = 6380;
  std::string data_dir = "calm-data";
  std::uint16_t peer_port = 16380;
  /// Every replica of the cluster; this one's own entry is skipped.
  std::vector<ReplicaAddress> peers;
  std::uint64_t gossip_ms = 50;
  /// A file holding the cluster secret replicas authenticate each other with (at least 32
  /// bytes); empty: none, and then `bind` must be a loopback address.
  std::string cluster_secret_file;
  /// The password clients must give with AUTH (Redis's requirepass), or a file holding it
  /// (--requirepass-file: one line, kept out of the process list); both empty: none.
  std::string requirepass;
  std::string requirepass_file;
  /// Redis's protected mode: without a password, `bind` must be a loopback address, so that a
  /// replica is never open to the network by accident. Off (--protected-mode no) it serves any
  /// address without a password, as Redis does with protected-mode no.
  bool protected_mode = true;
  bool fsync_always = false;
  RespLimits resp;
  /// Client connections beyond this are refused with Redis's "-ERR max number of clients
  /// reached" (Redis's maxclients). At start the server raises its RLIMIT_NOFILE soft limit to
  /// fit this many plus its own descriptors, toward the hard limit, and lowers this when the
  /// hard limit is short, saying so.
  std::size_t clients_max = 10000;
  /// Bytes of requests not yet whole that one connection may hold (Redis's
  /// client-query-buffer-limit, 1 GiB there): twice the largest bulk. Past it the server
  /// replies with an error and closes the connection, as Redis does.
  std::size_t client_input_bytes_max = 2 * RespLimits{}.bulk_bytes_max;
  /// The same over all connections together (Redis's maxmemory-clients, unbounded there).
  /// Past it the connection holding the most is closed with an error, as Redis evicts the
  /// client using the most memory: stopping reading instead could leave every connection
  /// holding half a request, waiting for another to finish.
  std::size_t clients_input_bytes_max = 1u << 30;
  /// The largest anti-entropy message (Config::message_bytes_max). 1 MiB rather than the
  /// protocol's 64 KiB: a busy replica's gossip interval outgrows 64 KiB (every SADD of a
  /// member re-tags it, and the interval's context carries each dot), and splitting an
  /// interval by atoms cost far more than sending it whole. Values are bounded by it.
  std::size_t replication_message_bytes_max = replication_message_bytes_default;
  /// The anti-entropy delta buffer's bound (Config::buffer_entries_max): a peer that falls
  /// further behind gets the full state. One entry per key written per event-loop turn, so
  /// writes spread over many keys fill the protocol's default 4096 within one gossip interval,
  /// and every round would send the full state.
  std::size_t delta_buffer_entries_max = 1u << 16;
  /// Keys matching any of these Redis glob patterns (comma-separated: "lock:*,id:*") are
  /// linearizable: the replicated Paxos log owns them (docs/kvs.md, "Consistency classes").
  /// Empty: every key is coordination-free, and no log runs.
  std::string linearizable;
  /// A command on a linearizable key that no leader with a majority answered within this
  /// fails with NOQUORUM (its outcome unknown): what a replica cut off from a majority says.
  std::uint64_t coordination_timeout_ms = 2000;
  /// For tests only: added to the wall clock this replica's hybrid clock follows and checks
  /// peers' timestamps against, to run replicas whose clocks disagree on one machine.
  std::int64_t clock_offset_ms = 0;
};

class KvsServer {
 public:
  explicit KvsServer(KvsOptions options);
  ~KvsServer();
  KvsServer(const KvsServer&) = delete;
  KvsServer& operator=(const KvsServer&) = delete;

  /// Serves until `stop`.
  void run();
  /// Thread-safe.
  void stop();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calm::apps::kvs
