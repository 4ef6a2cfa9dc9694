#pragma once
/// ReplicaNode<L>: hosts a Replica<L> on a transport and a disk (net::Node), doing the I/O the
/// state machine asks for: persist, then send; a gossip timer every `gossip_interval_ms`.
///
/// Disk layout: each key's value under "state/" + key, encoded with to_bytes. On start the
/// node restores every such entry; a corrupt one throws DecodeError (reported, never dropped).
/// The config's `self` and `incarnation` are taken from the NodeContext.
///
/// Wall time: each frame reaches Replica::step with the transport's `now_ms` unless the host
/// sets a wall clock (`set_wall_clock`), for its admission check (Replica::set_admission).
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "protocols/anti_entropy/replica.hpp"
#include "protocols/net/transport.hpp"

namespace calm::protocols::anti_entropy {

inline constexpr std::string_view state_key_prefix = "state/";

template <class L>
class ReplicaNode : public net::Node {
 public:
  /// The most recent rejection reasons kept for inspection.
  static constexpr std::size_t rejection_log_max = 64;

  ReplicaNode(const net::NodeContext& context, Config config)
      : transport_(context.transport),
        disk_(context.disk),
        replica_(with_identity(std::move(config), context)) {}

  void on_start() override {
    for (const auto& [key, value] : disk_.scan()) {
      if (key.compare(0, state_key_prefix.size(), state_key_prefix) != 0) continue;
      replica_.restore(key.substr(state_key_prefix.size()), value);
    }
    // A first tick spread over one interval, so that replicas booted together do not gossip
    // in lockstep.
    const std::uint64_t interval = replica_.config().gossip_interval_ms;
    transport_.set_timer(interval == 0 ? 0 : replica_.config().incarnation % interval);
  }

  void on_message(net::NodeId from, std::string_view bytes) override {
    const std::uint64_t wall_ms = wall_clock_ ? wall_clock_() : transport_.now_ms();
    apply(replica_.step(from, bytes, wall_ms, transport_.peer_incarnation(from)));
  }

  void on_timer(net::TimerId) override {
    apply(replica_.tick(transport_.now_ms()));
    transport_.set_timer(replica_.config().gossip_interval_ms);
  }

  /// A local write; returns its sequence number (see Replica::update).
  template <class Mutator>
  std::uint64_t update(const std::string& key, Mutator&& mutate) {
    auto write = replica_.update(key, std::forward<Mutator>(mutate));
    apply(std::move(write.effects));
    return write.seq;
  }

  /// The wall time (ms since the Unix epoch) that received frames are checked against.
  void set_wall_clock(std::function<std::uint64_t()> wall_ms) { wall_clock_ = std::move(wall_ms); }

  Replica<L>& replica() { return replica_; }
  const Replica<L>& replica() const { return replica_; }
  const std::deque<std::string>& rejections() const { return rejections_; }

 private:
  static Config with_identity(Config config, const net::NodeContext& context) {
    config.self = context.transport.self();
    config.incarnation = context.incarnation;
    config.seed ^= context.incarnation;
    return config;
  }

  void apply(Effects effects) {
    for (auto& [key, value] : effects.persist) {
      disk_.put(std::string(state_key_prefix) + key, std::move(value));
    }
    for (Outgoing& out : effects.send) transport_.send(out.to, std::move(out.bytes));
    for (std::string& reason : effects.rejected) {
      rejections_.push_back(std::move(reason));
      if (rejections_.size() > rejection_log_max) rejections_.pop_front();
    }
  }

  net::Transport& transport_;
  net::Disk& disk_;
  Replica<L> replica_;
  std::deque<std::string> rejections_;
  std::function<std::uint64_t()> wall_clock_;
};

}  // namespace calm::protocols::anti_entropy
