#pragma once
/// calm-sim's core: one seed of a replicated workload on the simulator, and its checks.
///
/// A run: `replicas` nodes gossip (anti_entropy::ReplicaNode on the protocol host, each over a
/// MemoryDisk that folds merges with the lattice's join) while clients write to every up node
/// for `write_phase_ms` under the fault mix; then the network heals (partitions end, loss
/// stops, full disks are freed, crashed nodes restart) and the run continues, without writes,
/// until every replica holds the same state or `settle_ms_max` passes. Checks:
///   0. during the run, after every turn of every node: what its disk folds to is its state;
///      at every restart after a power cut (a crash that keeps the disk): the node's restored
///      state holds every write of its own that was durable (below);
///   1. convergence: every replica holds the same state (key by key);
///   2. no message was rejected (every frame in the run is well formed);
///   3. no acknowledged write is lost, and no write whose batch failed is seen (per workload;
///      see docs/replication.md).
/// Durability (`durability`, docs/replication.md "calm-sim"): with `sync_every_batch` a write
/// is durable once the host wrote its turn's batch (synced), and acknowledged then; with
/// `sync_when_asked` only what the protocol syncs is durable (a write once gossip carried it
/// to a peer, which syncs it first), and a write is acknowledged once a peer acknowledged it.
/// A crash that keeps the disk is a power cut: unsynced batches may be lost. In mixes where a
/// disk can be lost (amnesia), a write is acknowledged only when a peer also acknowledged it,
/// and only one node per run ever loses its disk; without a sync per batch the peer's copy is
/// not synced, so that node's writes are never counted acknowledged.
///
/// A node that lost its disk writes under a fresh CRDT writer id (kept on its disk under
/// "meta/writer"), never its old one: the dots and counter totals it made before are still
/// at its peers, so reusing them would shadow its new writes. To exercise that rule, the node
/// that lost its disk writes once right after each restart, before any message reaches it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/net/simulator.hpp"

namespace calm::apps::sim {

enum class Workload { set, counter, register_, map };
/// `disk_full`: now and then a node's disk refuses every write for a while (the host rolls the
/// turn back, sends nothing); `all` includes it.
enum class FaultMix {
  none,
  loss,
  dup_reorder,
  partition,
  crash_disk,
  crash_amnesia,
  disk_full,
  all
};
/// When the host syncs a batch: every batch (HostOptions::sync_every_batch), or only when
/// the protocol asks (before gossip carries unsynced local writes).
enum class Durability { sync_when_asked, sync_every_batch };

std::optional<Workload> parse_workload(std::string_view name);
std::optional<FaultMix> parse_fault_mix(std::string_view name);
std::optional<Durability> parse_durability(std::string_view name);
std::string_view name(Workload w);
std::string_view name(FaultMix f);
std::string_view name(Durability d);

struct RunOptions {
  std::uint64_t seed = 0;
  Workload workload = Workload::set;
  FaultMix faults = FaultMix::none;
  Durability durability = Durability::sync_when_asked;
  std::size_t replicas = 5;
  std::size_t keys = 3;
  std::uint64_t write_phase_ms = 1200;
  /// Each up node's client writes once every [min, max] ms of the write phase.
  std::uint64_t write_gap_ms_min = 60;
  std::uint64_t write_gap_ms_max = 160;
  std::uint64_t settle_ms_max = 10000;
  /// Test only: a node that lost its disk writes under its old writer id again (what calm-kvs
  /// did before issue 12), to show that the checks catch the reused dots.
  bool reuse_writer_after_disk_loss = false;
  /// Test only: with `sync_when_asked`, acknowledge a write once its batch is written (not
  /// synced), to show that the checks catch what a power cut then loses.
  bool acknowledge_unsynced_writes = false;
};

struct SeedResult {
  /// Empty when every check passed, else the first failed check.
  std::string failure;
  std::uint64_t simulated_ms = 0;
  /// From the heal to convergence.
  std::uint64_t convergence_ms = 0;
  std::uint64_t writes = 0;
  std::uint64_t acknowledged = 0;
  /// Writes made by a node restarted with an empty disk before any message reached it.
  std::uint64_t writes_right_after_disk_loss = 0;
  /// Turns whose batch a full disk refused (their writes failed and changed nothing).
  std::uint64_t batches_failed = 0;
  protocols::net::SimStats network;
  std::uint64_t trace_digest = 0;
  bool ok() const { return failure.empty(); }
};

SeedResult run_seed(const RunOptions& options);

}  // namespace calm::apps::sim
