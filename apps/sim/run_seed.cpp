#include "sim/run_seed.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "lattices/aw_set.hpp"
#include "lattices/g_counter.hpp"
#include "lattices/hybrid_clock.hpp"
#include "lattices/lww_register.hpp"
#include "lattices/or_map.hpp"
#include "lattices/pn_counter.hpp"
#include "lattices/serialize.hpp"
#include "protocols/anti_entropy/node.hpp"

namespace calm::apps::sim {

namespace {

using calm::SplitMix64;
using protocols::net::DiskFate;
using protocols::net::NodeId;
namespace anti_entropy = protocols::anti_entropy;
namespace net = protocols::net;
namespace host = protocols::host;
namespace storage = protocols::storage;

constexpr std::string_view writer_key = "meta/writer";

/// A replica's state: key -> value (Replica::state()).
template <class L>
using State = std::unordered_map<std::string, L>;

// ---- workloads: each makes writes, records them, and checks a final state -------------------

/// AWSet of unique elements; removes take an element the replica sees. Maelstrom's set-full
/// criterion: an acknowledged add is in the final read unless a remove of it was attempted;
/// an acknowledged remove (which observed the element's only add) leaves it out.
struct SetWorkload {
  using Lattice = lattices::AWSet<std::uint64_t>;
  struct Op {
    std::string key;
    bool add = true;
    std::uint64_t element = 0;
    bool acked = false;
    bool failed = false;
  };
  std::vector<Op> ops;
  std::uint64_t next_element = 1;

  template <class Node>
  std::pair<std::size_t, std::uint64_t> write(Node& node, const std::string& key,
                                              SplitMix64& random) {
    Op op{key, true, 0, false, false};
    const std::vector<std::uint64_t> present = node.replica().get(key).elements();
    if (!present.empty() && random.chance(0.25)) {
      op.add = false;
      op.element = present[random.below(present.size())];
    } else {
      op.element = next_element++;
    }
    const std::uint64_t writer = node.writer();
    const std::uint64_t seq = node.update(key, [&](Lattice& set) {
      return op.add ? set.add(writer, op.element) : set.remove(op.element);
    });
    ops.push_back(op);
    return {ops.size() - 1, seq};
  }

  std::string check(const State<Lattice>& final_state) const {
    std::map<std::pair<std::string, std::uint64_t>, const Op*> adds;
    std::set<std::pair<std::string, std::uint64_t>> removes_tried;
    for (const Op& op : ops) {
      if (op.add) adds[{op.key, op.element}] = &op;
      if (!op.add) removes_tried.insert({op.key, op.element});
    }
    auto read = [&](const std::string& key) {
      auto it = final_state.find(key);
      return it == final_state.end() ? Lattice{} : it->second;
    };
    for (const Op& op : ops) {
      const bool present = read(op.key).contains(op.element);
      if (op.add && op.acked && !removes_tried.count({op.key, op.element}) && !present) {
        return "set: acknowledged add of " + std::to_string(op.element) + " to " + op.key +
               " is lost";
      }
      if (!op.add && op.acked && present) {
        return "set: " + std::to_string(op.element) + " in " + op.key +
               " survived an acknowledged remove";
      }
      if (op.add && op.failed && present) {
        return "set: the add of " + std::to_string(op.element) + " to " + op.key +
               " failed (its batch was not written), yet it is there";
      }
    }
    for (const auto& [key, set] : final_state) {
      for (std::uint64_t x : set.elements()) {
        if (!adds.count({key, x})) return "set: " + std::to_string(x) + " was never added";
      }
    }
    return {};
  }
};

/// PNCounter: every final read lies in [acked increments - all decrements,
/// all increments - acked decrements].
struct CounterWorkload {
  using Lattice = lattices::PNCounter<std::uint64_t>;
  struct Op {
    std::string key;
    std::int64_t amount = 0;
    bool acked = false;
    bool failed = false;
  };
  std::vector<Op> ops;

  template <class Node>
  std::pair<std::size_t, std::uint64_t> write(Node& node, const std::string& key,
                                              SplitMix64& random) {
    const auto n = static_cast<std::int64_t>(1 + random.below(5));
    const bool up = random.chance(0.6);
    const std::uint64_t writer = node.writer();
    const std::uint64_t seq = node.update(key, [&](Lattice& c) {
      return up ? c.increment(writer, static_cast<std::uint64_t>(n))
                : c.decrement(writer, static_cast<std::uint64_t>(n));
    });
    ops.push_back({key, up ? n : -n, false, false});
    return {ops.size() - 1, seq};
  }

  std::string check(const State<Lattice>& final_state) const {
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> range;  // [low, high]
    for (const Op& op : ops) {
      auto& [low, high] = range[op.key];
      if (op.failed) continue;  // it never happened
      if (op.amount > 0) {
        high += op.amount;
        if (op.acked) low += op.amount;
      } else {
        low += op.amount;
        if (op.acked) high += op.amount;
      }
    }
    for (const auto& [key, bounds] : range) {
      auto it = final_state.find(key);
      const std::int64_t value = it == final_state.end() ? 0 : it->second.value();
      if (value < bounds.first || value > bounds.second) {
        return "counter: " + key + " reads " + std::to_string(value) + ", outside [" +
               std::to_string(bounds.first) + ", " + std::to_string(bounds.second) + "]";
      }
    }
    return {};
  }
};

/// LWWRegister of unique values: the final value was written, and it is at least every
/// acknowledged write in the register's order (timestamp, writer, value).
struct RegisterWorkload {
  using Lattice = lattices::LWWRegister<std::uint64_t>;
  struct Op {
    std::string key;
    lattices::HlcTimestamp timestamp;
    std::uint64_t writer = 0;
    std::uint64_t value = 0;
    bool acked = false;
    bool failed = false;
  };
  std::vector<Op> ops;
  std::uint64_t next_value = 1;

  template <class Node>
  std::pair<std::size_t, std::uint64_t> write(Node& node, const std::string& key, SplitMix64&) {
    Op op{key, {}, node.writer(), next_value++, false, false};
    op.timestamp = node.clock.update(node.replica().get(key).timestamp(), node.now_ms());
    const std::uint64_t seq =
        node.update(key, [&](Lattice& r) { return r.write(op.writer, op.value, op.timestamp); });
    ops.push_back(op);
    return {ops.size() - 1, seq};
  }

  std::string check(const State<Lattice>& final_state) const {
    for (const auto& entry : final_state) {
      // Not a structured binding: clang 14 cannot capture one in a lambda.
      const std::string& key = entry.first;
      const Lattice& reg = entry.second;
      const bool written = std::any_of(ops.begin(), ops.end(), [&](const Op& op) {
        return op.key == key && reg.value() == op.value && !op.failed;
      });
      if (!written) return "register: " + key + " holds a value never written";
    }
    for (const Op& op : ops) {
      if (!op.acked) continue;
      auto it = final_state.find(op.key);
      if (it == final_state.end()) return "register: " + op.key + " lost every write";
      const auto final_order =
          std::make_tuple(it->second.timestamp(), *it->second.writer(), *it->second.value());
      if (final_order < std::make_tuple(op.timestamp, op.writer, op.value)) {
        return "register: acknowledged write " + std::to_string(op.value) + " to " + op.key +
               " is lost";
      }
    }
    return {};
  }
};

/// ORMap of grow-only counters: fields 0..2 are never removed and read within
/// [acked increments, all increments]; fields 3..5 are also removed, and read at most all
/// their increments.
struct MapWorkload {
  using Lattice = lattices::ORMap<std::uint64_t, lattices::GCounter<std::uint64_t>>;
  static constexpr std::uint64_t fields = 6;
  static constexpr std::uint64_t first_removable = 3;
  struct Op {
    std::string key;
    std::uint64_t field = 0;
    std::uint64_t amount = 0;  // 0: remove
    bool acked = false;
    bool failed = false;
  };
  std::vector<Op> ops;

  template <class Node>
  std::pair<std::size_t, std::uint64_t> write(Node& node, const std::string& key,
                                              SplitMix64& random) {
    Op op{key, random.below(fields), 1 + random.below(4), false, false};
    if (op.field >= first_removable && random.chance(0.15)) op.amount = 0;
    const std::uint64_t writer = node.writer();
    const std::uint64_t seq = node.update(key, [&](Lattice& map) {
      if (op.amount == 0) return map.remove(op.field);
      return map.update(writer, op.field, [&](lattices::GCounter<std::uint64_t>& c) {
        return c.increment(writer, op.amount);
      });
    });
    ops.push_back(op);
    return {ops.size() - 1, seq};
  }

  std::string check(const State<Lattice>& final_state) const {
    std::map<std::pair<std::string, std::uint64_t>, std::pair<std::uint64_t, std::uint64_t>> sums;
    for (const Op& op : ops) {
      auto& [acked, all] = sums[{op.key, op.field}];
      if (op.failed) continue;  // it never happened
      all += op.amount;
      if (op.acked) acked += op.amount;
    }
    for (const auto& [where, bounds] : sums) {
      auto it = final_state.find(where.first);
      const std::uint64_t value =
          it == final_state.end() ? 0 : it->second.get(where.second).value();
      const std::uint64_t low = where.second < first_removable ? bounds.first : 0;
      if (value < low || value > bounds.second) {
        return "map: " + where.first + "[" + std::to_string(where.second) + "] reads " +
               std::to_string(value) + ", outside [" + std::to_string(low) + ", " +
               std::to_string(bounds.second) + "]";
      }
    }
    return {};
  }
};

// ---- the driver ---------------------------------------------------------------------------

bool loses_disks(FaultMix f) { return f == FaultMix::crash_amnesia || f == FaultMix::all; }
bool crashes(FaultMix f) {
  return f == FaultMix::crash_disk || f == FaultMix::crash_amnesia || f == FaultMix::all;
}
bool partitions(FaultMix f) { return f == FaultMix::partition || f == FaultMix::all; }
bool fills_disks(FaultMix f) { return f == FaultMix::disk_full || f == FaultMix::all; }

net::NetworkConfig network_for(FaultMix f) {
  net::NetworkConfig config;
  config.latency_min_ms = 1;
  config.latency_max_ms = 10;
  if (f == FaultMix::loss || f == FaultMix::all) config.loss = 0.2;
  if (f == FaultMix::dup_reorder || f == FaultMix::all) {
    config.latency = net::LatencyShape::exponential;
    config.duplicate = 0.2;
    config.slow = 0.1;
    config.slow_extra_ms = 80;
  }
  return config;
}

template <class W>
class Driver {
  using L = typename W::Lattice;

  /// A write the driver follows until it is acknowledged (or fails): its op, its sequence
  /// number in its replica's life, and its delta.
  struct Tracked {
    std::size_t op = 0;
    std::uint64_t seq = 0;
    std::string key;
    L delta;
  };

 public:
  class SimNode : public anti_entropy::ReplicaNode<L> {
   public:
    SimNode(const net::NodeContext& context, anti_entropy::Config config,
            host::HostOptions host_options, Driver& driver)
        : anti_entropy::ReplicaNode<L>(context, std::move(config), host_options),
          driver_(driver),
          transport_(context.transport),
          writer_(load_writer(context, driver.options_.reuse_writer_after_disk_loss)) {
      this->set_application(
          {.on_final = {},
           .on_turn_end =
               [this](const std::string* failure) { driver_.turn_ended(*this, failure); },
           .wall_clock = {},
           .background_sync = {}});
    }

    void on_message(NodeId from, std::string_view bytes) override {
      ++messages_received;
      anti_entropy::ReplicaNode<L>::on_message(from, bytes);
    }
    /// ReplicaNode::update, keeping the write's delta for the driver.
    template <class Mutator>
    std::uint64_t update(const std::string& key, Mutator&& mutate) {
      last_delta = L{};
      return anti_entropy::ReplicaNode<L>::update(key, [&](L& value) {
        L delta = mutate(value);
        last_delta = delta;
        return delta;
      });
    }
    std::uint64_t writer() const { return writer_; }
    std::uint64_t now_ms() const { return transport_.now_ms(); }
    NodeId id() const { return transport_.self(); }

    lattices::HybridClock clock;
    /// In this life (since the last restart).
    std::uint64_t messages_received = 0;
    L last_delta;
    /// Writes of this turn, waiting for its batch.
    std::vector<Tracked> unwritten;
    /// Written writes waiting for a peer's acknowledgement.
    std::vector<Tracked> unheld;

   private:
    /// The CRDT writer id survives a restart with the disk (a synced write: what a power cut
    /// keeps); a node that lost its disk writes under a fresh one, or its new dots and counter
    /// totals would collide with the old.
    static std::uint64_t load_writer(const net::NodeContext& context, bool reuse_node_id) {
      if (reuse_node_id) return context.transport.self();  // the bug, on purpose (RunOptions)
      if (auto stored = context.disk.get(std::string(writer_key))) {
        return lattices::from_bytes<std::uint64_t>(*stored);
      }
      context.disk.put(std::string(writer_key), lattices::to_bytes(context.incarnation),
                       storage::Sync::yes);
      return context.incarnation;
    }

    Driver& driver_;
    net::Transport& transport_;
    std::uint64_t writer_;
  };

  explicit Driver(const RunOptions& options)
      : options_(options),
        sim_(options.seed, network_for(options.faults)),
        random_(options.seed ^ 0x5eedf00dULL) {
    std::vector<NodeId> all;
    for (NodeId id = 0; id < options.replicas; ++id) all.push_back(id);
    host::HostOptions host_options;
    host_options.sync_every_batch =
        options.durability == Durability::sync_every_batch ? storage::Sync::yes : storage::Sync::no;
    for (NodeId id = 0; id < options.replicas; ++id) {
      anti_entropy::Config config;
      for (NodeId p : all) {
        if (p != id) config.peers.push_back(p);
      }
      config.gossip_interval_ms = 100;
      config.fanout = 2;
      config.message_bytes_max = 4096;  // small, so that runs exercise chunking
      config.buffer_entries_max = 256;
      sim_.add_node(
          [this, config, host_options](const net::NodeContext& context) {
            return std::make_unique<SimNode>(context, config, host_options, *this);
          },
          SimNode::merge_function());
    }
    durable_.resize(options.replicas);
    amnesiac_ = random_.below(options.replicas);
  }

  SeedResult run() {
    SeedResult result;
    schedule_clients();
    schedule_faults();
    sim_.run_until(options_.write_phase_ms);
    heal();
    const std::uint64_t healed_at = sim_.now_ms();
    bool converged = false;
    while (sim_.now_ms() < healed_at + options_.settle_ms_max && step_failure_.empty()) {
      sim_.run_for(25);
      if ((converged = all_equal())) break;
    }
    result.simulated_ms = sim_.now_ms();
    result.convergence_ms = sim_.now_ms() - healed_at;
    result.network = sim_.stats();
    result.trace_digest = sim_.trace_digest();
    result.writes = workload_.ops.size();
    result.writes_right_after_disk_loss = writes_right_after_disk_loss_;
    result.batches_failed = batches_failed_;
    result.acknowledged = static_cast<std::uint64_t>(std::count_if(
        workload_.ops.begin(), workload_.ops.end(), [](const auto& op) { return op.acked; }));
    if (!step_failure_.empty()) {
      result.failure = step_failure_;
      return result;
    }
    if (!converged) {
      result.failure = "replicas did not converge within " +
                       std::to_string(options_.settle_ms_max) + " ms after the heal";
      return result;
    }
    for (NodeId id = 0; id < options_.replicas; ++id) {
      if (!node(id).rejections().empty()) {
        result.failure =
            "node " + std::to_string(id) + " rejected a message: " + node(id).rejections().front();
        return result;
      }
    }
    result.failure = workload_.check(node(0).replica().state());
    return result;
  }

  /// The host reports a turn: its writes are written (or failed, and changed nothing).
  void turn_ended(SimNode& n, const std::string* failure) {
    std::vector<Tracked> written = std::move(n.unwritten);
    n.unwritten.clear();
    check_disk_holds_state(n);
    if (failure != nullptr) {
      ++batches_failed_;
      for (const Tracked& t : written) workload_.ops[t.op].failed = true;
      return;
    }
    for (Tracked& t : written) {
      if (options_.durability == Durability::sync_every_batch ||
          options_.acknowledge_unsynced_writes) {  // the latter: a bug, on purpose
        durable_[n.id()].push_back(t);             // synced: a power cut keeps it
        if (!loses_disks(options_.faults)) {
          workload_.ops[t.op].acked = true;
          continue;
        }
      }
      n.unheld.push_back(std::move(t));
    }
    settle_acks(n);
  }

  /// Writes a peer acknowledged, as of a turn whose batch was written (a sync the turn asked
  /// for is done by then). Without a sync per batch, their writer synced them before sending
  /// (or before a peer vouched for them without a send, BP+): a power cut at the writer keeps
  /// them.
  void settle_acks(SimNode& n) {
    auto& unheld = n.unheld;
    for (auto it = unheld.begin(); it != unheld.end();) {
      if (n.replica().peers_holding(it->seq) == 0) {
        ++it;
        continue;
      }
      const bool every_batch = options_.durability == Durability::sync_every_batch;
      if (!every_batch) durable_[n.id()].push_back(*it);
      // With disk loss and no sync per batch, the peer's copy is not synced: only a write
      // whose writer keeps its disk is certain to survive.
      if (every_batch || !loses_disks(options_.faults) || n.id() != amnesiac_) {
        workload_.ops[it->op].acked = true;
      }
      it = unheld.erase(it);
    }
  }

 private:
  SimNode& node(NodeId id) { return static_cast<SimNode&>(*sim_.node(id)); }

  void schedule_clients() {
    for (NodeId id = 0; id < options_.replicas; ++id) client_write(id, 5 + random_.below(30));
  }

  void client_write(NodeId id, std::uint64_t at_ms) {
    if (at_ms >= options_.write_phase_ms) return;
    sim_.at(at_ms, [this, id] {
      if (sim_.is_up(id)) write_at(id);
      client_write(id,
                   sim_.now_ms() + options_.write_gap_ms_min +
                       random_.below(options_.write_gap_ms_max - options_.write_gap_ms_min + 1));
    });
  }

  void write_at(NodeId id) {
    SimNode& n = node(id);
    const std::string key = "k" + std::to_string(random_.below(options_.keys));
    const auto [op, seq] = workload_.write(n, key, random_);
    if (seq == 0) {
      workload_.ops[op].acked = true;  // it changed nothing
    } else {
      n.unwritten.push_back({op, seq, key, n.last_delta});
    }
  }

  void schedule_faults() {
    const std::uint64_t end = options_.write_phase_ms;
    if (partitions(options_.faults)) {
      for (std::uint64_t t = 100 + random_.below(200); t < end; t += 300 + random_.below(400)) {
        const std::uint64_t duration = 100 + random_.below(600);
        sim_.at(t, [this] { start_partition(); });
        sim_.at(std::min(t + duration, end), [this] { sim_.heal(); });
        t += duration;
      }
    }
    if (fills_disks(options_.faults)) {
      for (std::uint64_t t = 80 + random_.below(200); t < end; t += 200 + random_.below(400)) {
        const NodeId victim = random_.below(options_.replicas);
        const std::uint64_t full_ms = 30 + random_.below(300);
        sim_.at(t, [this, victim] { sim_.disk(victim).fail_writes(true); });
        sim_.at(std::min(t + full_ms, end),
                [this, victim] { sim_.disk(victim).fail_writes(false); });
      }
    }
    if (crashes(options_.faults)) {
      for (std::uint64_t t = 50 + random_.below(200); t < end; t += 150 + random_.below(400)) {
        const NodeId victim = random_.below(options_.replicas);
        const std::uint64_t down_ms = 50 + random_.below(500);
        const DiskFate fate =
            loses_disks(options_.faults) && victim == amnesiac_ ? DiskFate::wipe : DiskFate::keep;
        sim_.at(t, [this, victim, fate] {
          if (!sim_.is_up(victim)) return;
          sim_.crash(victim, fate);
          if (fate == DiskFate::wipe) durable_[victim].clear();
        });
        sim_.at(std::min(t + down_ms, end), [this, victim] {
          if (sim_.is_up(victim)) return;  // an overlapping crash's restart came first
          const bool amnesiac = sim_.disk(victim).size() == 0;
          restart(victim);
          // A client at once, before any message can reach the amnesiac: its write must not
          // reuse a dot or a counter total of its previous life.
          if (!amnesiac || node(victim).messages_received > 0) return;
          ++writes_right_after_disk_loss_;
          write_at(victim);
        });
      }
    }
  }

  /// After every turn, written or rolled back: what the node's disk folds its operands to is
  /// its state, key by key (a few keys per run: cheap).
  void check_disk_holds_state(SimNode& n) {
    if (!step_failure_.empty()) return;
    const auto& state = n.replica().state();
    const std::string_view prefix = anti_entropy::Replica<L>::disk_prefix;
    std::size_t keys = 0;
    n.disk().scan(prefix, [&](std::string_view disk_key, std::string_view bytes) {
      ++keys;
      const std::string key(disk_key.substr(prefix.size()));
      const auto it = state.find(key);
      if (it == state.end() || !(it->second == lattices::from_bytes<L>(bytes))) {
        step_failure_ = "node " + std::to_string(n.id()) + "'s disk differs from its state at " +
                        key + " after a turn (at " + std::to_string(sim_.now_ms()) + " ms)";
        return false;
      }
      return true;
    });
    if (step_failure_.empty() && keys != state.size()) {
      step_failure_ = "node " + std::to_string(n.id()) + " holds " + std::to_string(state.size()) +
                      " keys, its disk " + std::to_string(keys);
    }
  }

  /// Boots a crashed node (a repaired disk, if it was full), and checks at once that its disk
  /// kept every write it must keep through a power cut.
  void restart(NodeId id) {
    if (sim_.is_up(id)) return;
    sim_.disk(id).fail_writes(false);
    sim_.restart(id);
    const auto& state = node(id).replica().state();
    for (const Tracked& t : durable_[id]) {
      const auto it = state.find(t.key);
      L held = it == state.end() ? L{} : it->second;
      if (lattices::merge(held, t.delta) && step_failure_.empty()) {
        step_failure_ = "node " + std::to_string(id) + " restarted without a write to " + t.key +
                        " that was durable before its crash (at " + std::to_string(sim_.now_ms()) +
                        " ms)";
      }
    }
  }

  void start_partition() {
    const std::size_t n = options_.replicas;
    if (random_.chance(0.5)) {
      std::vector<NodeId> a;
      std::vector<NodeId> b;
      for (NodeId id = 0; id < n; ++id) (random_.chance(0.5) ? a : b).push_back(id);
      sim_.partition(a, b);
    } else {
      // One-way: a few links blocked in one direction only.
      const std::size_t links = 1 + random_.below(n);
      for (std::size_t i = 0; i < links; ++i) {
        const NodeId from = random_.below(n);
        const NodeId to = random_.below(n);
        if (from != to) sim_.block(from, to);
      }
    }
  }

  void heal() {
    sim_.heal();
    net::NetworkConfig config = sim_.network();
    config.loss = 0;
    sim_.set_network(config);
    for (NodeId id = 0; id < options_.replicas; ++id) {
      sim_.disk(id).fail_writes(false);
      restart(id);
    }
  }

  bool all_equal() {
    for (NodeId id = 1; id < options_.replicas; ++id) {
      if (!(node(id).replica().state() == node(0).replica().state())) return false;
    }
    return true;
  }

  RunOptions options_;
  net::Simulator sim_;
  SplitMix64 random_;
  W workload_;
  NodeId amnesiac_ = 0;
  /// Per node, the writes its disk must keep through a power cut (synced ones).
  std::vector<std::vector<Tracked>> durable_;
  /// The first check that failed during the run (a restart that lost a durable write).
  std::string step_failure_;
  std::uint64_t writes_right_after_disk_loss_ = 0;
  std::uint64_t batches_failed_ = 0;
};

template <class W>
SeedResult run_with(const RunOptions& options) {
  Driver<W> driver(options);
  return driver.run();
}

}  // namespace

std::optional<Workload> parse_workload(std::string_view n) {
  for (Workload w : {Workload::set, Workload::counter, Workload::register_, Workload::map}) {
    if (name(w) == n) return w;
  }
  return std::nullopt;
}

std::optional<FaultMix> parse_fault_mix(std::string_view n) {
  for (FaultMix f :
       {FaultMix::none, FaultMix::loss, FaultMix::dup_reorder, FaultMix::partition,
        FaultMix::crash_disk, FaultMix::crash_amnesia, FaultMix::disk_full, FaultMix::all}) {
    if (name(f) == n) return f;
  }
  return std::nullopt;
}

std::optional<Durability> parse_durability(std::string_view n) {
  for (Durability d : {Durability::sync_when_asked, Durability::sync_every_batch}) {
    if (name(d) == n) return d;
  }
  return std::nullopt;
}

std::string_view name(Durability d) {
  return d == Durability::sync_every_batch ? "every-batch" : "when-asked";
}

std::string_view name(Workload w) {
  switch (w) {
    case Workload::set:
      return "set";
    case Workload::counter:
      return "counter";
    case Workload::register_:
      return "register";
    case Workload::map:
      return "map";
  }
  return "?";
}

std::string_view name(FaultMix f) {
  switch (f) {
    case FaultMix::none:
      return "none";
    case FaultMix::loss:
      return "loss";
    case FaultMix::dup_reorder:
      return "dup-reorder";
    case FaultMix::partition:
      return "partition";
    case FaultMix::crash_disk:
      return "crash-disk";
    case FaultMix::crash_amnesia:
      return "crash-amnesia";
    case FaultMix::disk_full:
      return "disk-full";
    case FaultMix::all:
      return "all";
  }
  return "?";
}

SeedResult run_seed(const RunOptions& options) {
  switch (options.workload) {
    case Workload::set:
      return run_with<SetWorkload>(options);
    case Workload::counter:
      return run_with<CounterWorkload>(options);
    case Workload::register_:
      return run_with<RegisterWorkload>(options);
    case Workload::map:
      return run_with<MapWorkload>(options);
  }
  return {};
}

}  // namespace calm::apps::sim
