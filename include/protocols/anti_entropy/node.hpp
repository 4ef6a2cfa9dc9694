#pragma once
/// ReplicaNode<L>: a Replica<L> on the protocol host (protocols/host/host.hpp), which does the
/// I/O it asks for: each turn's deltas as one storage batch, then the sends; a gossip round
/// every `gossip_interval_ms`.
///
/// Disk layout: each key's value under "state/" + key, as merge operands (each `to_bytes` of a
/// delta) that the disk folds with L's join (storage::lattice_merge): make the node's disk
/// with `merge_function()`. On start the host restores every such entry; a corrupt one throws
/// DecodeError or CorruptRecord (reported, never dropped). The config's `self` and
/// `incarnation` are taken from the NodeContext.
///
/// Wall time: the host's application clock when one is set (Host::set_application), else the
/// transport's; it reaches Replica::step for its admission check (Replica::set_admission).
#include <string>
#include <utility>

#include "protocols/anti_entropy/replica.hpp"
#include "protocols/host/host.hpp"
#include "protocols/net/transport.hpp"
#include "protocols/storage/lattice_merge.hpp"

namespace calm::protocols::anti_entropy {

template <class L>
class ReplicaNode : public host::Host<Replica<L>> {
 public:
  ReplicaNode(const net::NodeContext& context, Config config, host::HostOptions options = {})
      : host::Host<Replica<L>>(context, Replica<L>(with_identity(std::move(config), context)),
                               options) {}

  /// The merge function of this node's disk: L's join over encoded deltas.
  static storage::MergeFunction merge_function() { return &storage::lattice_merge<L>; }

  /// A local write (Replica::update) in this turn; returns its sequence number. When it
  /// throws, it changed nothing (Host::apply).
  template <class Mutator>
  std::uint64_t update(const std::string& key, Mutator&& mutate) {
    return this->apply(
        [&](Replica<L>& replica) { return replica.update(key, std::forward<Mutator>(mutate)); });
  }

  Replica<L>& replica() { return this->protocol(); }
  const Replica<L>& replica() const { return this->protocol(); }

 private:
  static Config with_identity(Config config, const net::NodeContext& context) {
    config.self = context.transport.self();
    config.incarnation = context.incarnation;
    config.seed ^= context.incarnation;
    return config;
  }
};

}  // namespace calm::protocols::anti_entropy
