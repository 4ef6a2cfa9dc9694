#pragma once
/// Simulator: a deterministic, seeded network of nodes in simulated time.
///
/// One event queue ordered by (time, insertion number) drives every node: message
/// deliveries, timers, and actions the test schedules with `at`. Nothing reads a real clock or
/// a global random source, so one seed gives one run, bit for bit; `trace_digest()` hashes
/// every delivery and timer so that tests can compare runs.
///
/// Fault model (each drawn from the seeded generator, per message):
///   latency     fixed, uniform in [min, max], or min + exponential(mean) (a long tail);
///   loss        dropped with probability `loss`;
///   duplication delivered twice, with independent latencies, with probability `duplicate`;
///   reordering  any two messages whose latencies cross arrive out of order; `slow` holds a
///               message back by `slow_extra_ms` more, to reorder even under low jitter;
///   partitions  links blocked one way (`block`) or both ways (`partition`); a message is
///               dropped when its link is blocked at delivery time; `heal` unblocks all;
///   crashes     `crash(id, DiskFate)` stops a node at once (its timers and deferred calls
///               die, messages to it are dropped, messages it already sent stay in flight);
///               `restart(id)` boots it again with a new incarnation.
///
/// Crash model (storage::MemoryDisk, memory_disk.hpp). A crash with `DiskFate::keep` is a
/// power cut: the disk keeps every batch that was synced (written with Sync::yes, or before a
/// sync) and a prefix of the unsynced batches after them, of a length drawn uniformly from 0
/// to all of them with the simulator's generator (so one seed is still one run); the rest is
/// lost. What survives is always a prefix of the batches in the order written, each whole, as
/// a write-ahead log on a real disk keeps. `DiskFate::wipe` loses the whole disk (amnesia).
/// A node's disk folds merges with the MergeFunction given to `add_node`.
///
/// Deferred calls (Transport::defer) run at the current time, after every event already
/// queued for it: after the rest of this turn's messages, timers and actions. A crash drops
/// the calls its node deferred (they belong to that incarnation, as its timers do).
///
/// Bounds: the number of messages in flight is at most `in_flight_max`; a send beyond it is
/// dropped and counted (`dropped_overflow`), as a full socket buffer would.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lattices/random.hpp"
#include "protocols/net/transport.hpp"
#include "protocols/storage/memory_disk.hpp"

namespace calm::protocols::net {

enum class LatencyShape { fixed, uniform, exponential };

struct NetworkConfig {
  LatencyShape latency = LatencyShape::uniform;
  std::uint64_t latency_min_ms = 1;
  /// The top of the uniform range, or the mean above the minimum for the exponential shape.
  std::uint64_t latency_max_ms = 10;
  double loss = 0.0;
  double duplicate = 0.0;
  double slow = 0.0;
  std::uint64_t slow_extra_ms = 50;
  std::size_t in_flight_max = 1 << 20;
};

/// What a crash does to the node's disk: `keep` is a power cut (the synced batches and a
/// seeded-random prefix of the unsynced ones survive), `wipe` empties it (amnesia).
enum class DiskFate { keep, wipe };

struct SimStats {
  std::uint64_t sent = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped_loss = 0;
  std::uint64_t dropped_partition = 0;
  std::uint64_t dropped_down = 0;
  std::uint64_t dropped_overflow = 0;
  std::uint64_t duplicated = 0;
  /// Deliveries that overtook an earlier message on the same link.
  std::uint64_t reordered = 0;
  std::uint64_t timers_fired = 0;
  std::uint64_t crashes = 0;
  std::uint64_t restarts = 0;
  /// Unsynced batches that power cuts (crashes that keep the disk) lost.
  std::uint64_t batches_lost = 0;
};

/// The simulator's disks are storage::MemoryDisk (memory_disk.hpp); the old name still reads.
using storage::MemoryDisk;

class Simulator {
 public:
  explicit Simulator(std::uint64_t seed, NetworkConfig config = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// Adds a node with the next id (0, 1, 2, ...) and boots it now. Its disk folds merges with
  /// `merge` (lattice_merge.hpp for lattice state); without one a merge fails its batch.
  NodeId add_node(NodeFactory factory, storage::MergeFunction merge = {});
  std::size_t node_count() const { return endpoints_.size(); }

  void set_network(const NetworkConfig& config) { config_ = config; }
  const NetworkConfig& network() const { return config_; }

  /// Blocks every link between a node of `side_a` and one of `side_b`, both ways.
  void partition(const std::vector<NodeId>& side_a, const std::vector<NodeId>& side_b);
  /// Blocks messages from `from` to `to` only.
  void block(NodeId from, NodeId to);
  bool blocked(NodeId from, NodeId to) const { return blocked_.count({from, to}) != 0; }
  /// Unblocks every link.
  void heal() { blocked_.clear(); }

  /// Stops the node now. `DiskFate::keep`: a power cut, its disk keeps the synced batches and
  /// a random prefix of the unsynced ones (the header's crash model); `DiskFate::wipe`: its
  /// disk is emptied. No effect on a node that is down.
  void crash(NodeId id, DiskFate fate);
  /// Boots a crashed node again. No effect on a node that is up.
  void restart(NodeId id);
  bool is_up(NodeId id) const;

  /// Runs `action` at simulated time `time_ms` (now, if that is in the past).
  void at(std::uint64_t time_ms, std::function<void()> action);
  /// Processes events up to and including `time_ms`, then sets the clock to it.
  void run_until(std::uint64_t time_ms);
  void run_for(std::uint64_t duration_ms) { run_until(now_ms_ + duration_ms); }
  /// Calls `check` after every event processed (a delivery, a timer, an action, a deferred
  /// call): where a test checks its invariants at every step.
  void after_each_event(std::function<void()> check) { after_event_ = std::move(check); }

  std::uint64_t now_ms() const { return now_ms_; }
  /// The running node, or nullptr while it is down.
  Node* node(NodeId id) const;
  MemoryDisk& disk(NodeId id);
  const SimStats& stats() const { return stats_; }
  /// A hash of every event processed so far: equal digests mean equal runs.
  std::uint64_t trace_digest() const { return digest_; }
  /// The generator the simulator draws faults from, for drivers that want the same stream.
  SplitMix64& random() { return random_; }

 private:
  struct Endpoint;
  struct Event {
    std::uint64_t time_ms;
    std::uint64_t order;
    enum class Kind { deliver, timer, action, deferred } kind;
    NodeId from = 0;
    NodeId to = 0;
    std::uint64_t link_seq = 0;  // deliver: the message's number on its link
    std::uint64_t epoch = 0;     // timer, deferred: the incarnation that set it
    TimerId timer = 0;
    std::string bytes;
    std::function<void()> action;
  };
  struct Later {
    bool operator()(const Event* a, const Event* b) const {
      return a->time_ms != b->time_ms ? a->time_ms > b->time_ms : a->order > b->order;
    }
  };

  friend struct Endpoint;
  void send(NodeId from, NodeId to, std::string bytes);
  TimerId set_timer(NodeId id, std::uint64_t delay_ms);
  void defer(NodeId id, std::function<void()> f);
  std::uint64_t draw_latency_ms();
  void push(std::unique_ptr<Event> event);
  void process(Event& event);
  void boot(NodeId id);
  void mix(std::uint64_t value);

  NetworkConfig config_;
  SplitMix64 random_;
  std::uint64_t now_ms_ = 0;
  std::uint64_t next_order_ = 0;
  std::uint64_t digest_ = 0xcbf29ce484222325ULL;
  std::size_t in_flight_ = 0;
  std::priority_queue<Event*, std::vector<Event*>, Later> queue_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::map<std::pair<NodeId, NodeId>, std::uint64_t> link_sent_;
  std::map<std::pair<NodeId, NodeId>, std::uint64_t> link_delivered_max_;
  SimStats stats_;
  std::function<void()> after_event_;
};

}  // namespace calm::protocols::net
