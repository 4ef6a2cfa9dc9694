// Replication figures for docs/replication.md: bytes sent per update against the delta's
// size, delta anti-entropy against full-state gossip at 10k elements (with and without
// BP+RR), and gossip rounds to converge after a partition heals, for 3 to 32 replicas.
// Counts, not timings: every figure is a deterministic function of the seeds below.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "lattices/aw_set.hpp"
#include "lattices/serialize.hpp"
#include "protocols/anti_entropy/node.hpp"
#include "protocols/net/simulator.hpp"

namespace {

using namespace calm::protocols;
using Set = calm::lattices::AWSet<std::uint64_t>;
using net::NodeId;

struct Cluster {
  Cluster(std::size_t n, anti_entropy::Config base, std::uint64_t seed) : sim(seed) {
    for (NodeId id = 0; id < n; ++id) {
      anti_entropy::Config c = base;
      c.peers.clear();
      for (NodeId p = 0; p < n; ++p) {
        if (p != id) c.peers.push_back(p);
      }
      sim.add_node([c](const net::NodeContext& context) {
        return std::make_unique<anti_entropy::ReplicaNode<Set>>(context, c);
      });
    }
  }
  anti_entropy::ReplicaNode<Set>& node(NodeId id) {
    return static_cast<anti_entropy::ReplicaNode<Set>&>(*sim.node(id));
  }
  bool converged() {
    for (NodeId id = 1; id < sim.node_count(); ++id) {
      if (!(node(id).replica().state() == node(0).replica().state())) return false;
    }
    return true;
  }
  /// Runs until every replica holds the same state; returns the simulated ms it took.
  std::uint64_t settle() {
    const std::uint64_t start = sim.now_ms();
    while (!converged()) sim.run_for(10);
    return sim.now_ms() - start;
  }
  net::Simulator sim;
};

/// Each update is one add at a random replica; prints the bytes sent per update per replica
/// it must reach, against the mean delta's bytes.
void bytes_per_update(bool bp_rr) {
  anti_entropy::Config config;
  config.avoid_back_propagation = bp_rr;
  config.remove_redundant = bp_rr;
  config.skip_what_the_peer_sent = bp_rr;
  const std::size_t n = 5;
  Cluster c(n, config, 1);
  c.settle();
  c.sim.run_for(500);
  const std::uint64_t before = c.sim.stats().sent_bytes;
  std::uint64_t delta_bytes = 0;
  const std::uint64_t updates = 1000;
  for (std::uint64_t i = 0; i < updates; ++i) {
    const NodeId at = c.sim.random().below(n);
    c.node(at).update("k", [&](Set& s) {
      Set d = s.add(100 + at, i);
      delta_bytes += calm::lattices::to_bytes(d).size();
      return d;
    });
    c.sim.run_for(10);
  }
  c.settle();
  c.sim.run_for(500);  // the last acks
  const double sent = static_cast<double>(c.sim.stats().sent_bytes - before);
  // Where the bytes go (all of the replicas' lifetimes, including the settling before).
  anti_entropy::ReplicaStats total;
  for (NodeId id = 0; id < n; ++id) {
    const anti_entropy::ReplicaStats& s = c.node(id).replica().stats();
    total.delta_messages_sent += s.delta_messages_sent;
    total.delta_bytes_sent += s.delta_bytes_sent;
    total.ack_messages_sent += s.ack_messages_sent;
    total.ack_bytes_sent += s.ack_bytes_sent;
  }
  const double per_update_per_replica = sent / updates / (n - 1);
  const double mean_delta = static_cast<double>(delta_bytes) / updates;
  std::cout << "  bytes per update, 5 replicas, " << (bp_rr ? "BP+RR   " : "no BP/RR") << ": "
            << per_update_per_replica << " bytes sent per replica reached (deltas, "
            << "acks and headers), delta " << mean_delta
            << " bytes: " << per_update_per_replica / mean_delta << "x\n";
  const double reached = static_cast<double>(updates * (n - 1));
  std::cout << "    per update per replica reached: "
            << static_cast<double>(total.delta_messages_sent) / reached << " delta frames, "
            << static_cast<double>(total.delta_bytes_sent) / reached << " bytes; "
            << static_cast<double>(total.ack_messages_sent) / reached << " acks, "
            << static_cast<double>(total.ack_bytes_sent) / reached << " bytes\n";
}

enum class Mode { delta_bp_rr, delta_plain, full_state };

/// 10k elements everywhere, then 100 adds; bytes sent until every replica has them.
std::uint64_t bytes_at_10k(Mode mode) {
  Set big;
  for (std::uint64_t x = 0; x < 10000; ++x) big.add(1, x);
  const std::string big_bytes = calm::lattices::to_bytes(big);
  anti_entropy::Config config;
  config.message_bytes_max = 1 << 20;  // one frame holds the full state: no atomizing
  config.avoid_back_propagation = mode == Mode::delta_bp_rr;
  config.remove_redundant = mode == Mode::delta_bp_rr;
  config.skip_what_the_peer_sent = mode == Mode::delta_bp_rr;
  if (mode == Mode::full_state) config.buffer_entries_max = 0;  // every round: full state
  const std::size_t n = 5;
  Cluster c(n, config, 2);
  for (NodeId id = 0; id < n; ++id) c.node(id).replica().restore("k", big_bytes);
  c.sim.run_for(1000);  // the first exchange of full states after boot
  const std::uint64_t before = c.sim.stats().sent_bytes;
  for (std::uint64_t i = 0; i < 100; ++i) {
    const NodeId at = c.sim.random().below(n);
    c.node(at).update("k", [&](Set& s) { return s.add(100 + at, 20000 + i); });
    c.sim.run_for(10);
  }
  c.settle();
  return c.sim.stats().sent_bytes - before;
}

std::uint64_t rounds_after_partition(std::size_t n) {
  anti_entropy::Config config;
  Cluster c(n, config, 3 + n);
  std::vector<NodeId> a;
  std::vector<NodeId> b;
  for (NodeId id = 0; id < n; ++id) (id % 2 ? a : b).push_back(id);
  c.sim.partition(a, b);
  for (std::uint64_t i = 0; i < 4 * n; ++i) {
    const NodeId at = i % n;
    c.node(at).update("k", [&](Set& s) { return s.add(100 + at, i); });
    c.sim.run_for(20);
  }
  c.sim.run_for(2000);
  c.sim.heal();
  const std::uint64_t ms = c.settle();
  return (ms + config.gossip_interval_ms - 1) / config.gossip_interval_ms;
}

}  // namespace

int main() {
  std::cout << "Bytes per update (1000 single-element adds on an AWSet, no faults):\n";
  bytes_per_update(true);
  bytes_per_update(false);
  std::cout << "Bytes to spread 100 adds over 5 replicas holding a 10k-element AWSet:\n";
  const std::uint64_t full = bytes_at_10k(Mode::full_state);
  const std::uint64_t plain = bytes_at_10k(Mode::delta_plain);
  const std::uint64_t bp_rr = bytes_at_10k(Mode::delta_bp_rr);
  std::cout << "  full-state gossip: " << full << " bytes\n"
            << "  deltas, no BP/RR:  " << plain << " bytes (" << full / plain << "x fewer)\n"
            << "  deltas, BP+RR:     " << bp_rr << " bytes (" << full / bp_rr << "x fewer)\n";
  std::cout << "Gossip rounds (50 ms) to converge after a half/half partition heals, fan-out 2:\n";
  for (std::size_t n : {3, 4, 8, 16, 32}) {
    std::cout << "  " << n << " replicas: " << rounds_after_partition(n) << " rounds\n";
  }
}
