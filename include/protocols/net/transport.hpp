#pragma once
/// The transport interface: what a node may do to the world, and what the world does to it.
///
/// A node (a `Node`) sends bytes to another node by id, sets timers, reads a clock, and keeps
/// durable state on a `Disk`. It is driven by three calls: `on_start` (after boot or restart),
/// `on_message` (bytes from a peer) and `on_timer`. The simulator (simulator.hpp) implements
/// this interface deterministically; a socket transport implements the same interface, so a
/// node runs unchanged on both.
///
/// Delivery contract (what a node may assume, and no more): a message is delivered at most a
/// bounded number of times (the simulator duplicates), possibly never, in any order, after any
/// delay. The sender learns nothing about delivery. A message's `from` is the transport's
/// account of the sender; protocols still check it against their membership.
///
/// Disk contract: storage/disk.hpp. A batch written with sync is durable when `write` returns;
/// an unsynced one survives the process being killed, and a power cut (the simulator's crash
/// that keeps the disk) keeps a prefix of the unsynced batches; a crash without its disk
/// (amnesia) restarts the node with an empty disk.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/storage/disk.hpp"

namespace calm::protocols::net {

/// A node's identity in the cluster; stable across restarts.
using NodeId = std::uint64_t;
/// Names a timer so that a node can tell its timers apart.
using TimerId = std::uint64_t;

/// What a node may ask of its transport.
class Transport {
 public:
  virtual ~Transport() = default;
  /// This node's id.
  virtual NodeId self() const = 0;
  /// Milliseconds since an arbitrary origin; never goes back within one incarnation.
  virtual std::uint64_t now_ms() const = 0;
  /// Sends `bytes` to `to`, best effort. Sending to an unknown node drops the message.
  virtual void send(NodeId to, std::string bytes) = 0;
  /// Calls the node's `on_timer(id)` once, `delay_ms` from now, unless the node crashes first.
  virtual TimerId set_timer(std::uint64_t delay_ms) = 0;
  /// The incarnation `peer` proved in the handshake of its current connection to this node,
  /// when the transport authenticates peers (TcpRuntime); nothing otherwise (the simulator).
  /// A protocol may refuse messages whose own incarnation field differs from it, so that a
  /// peer's life is the one it authenticated.
  virtual std::optional<std::uint64_t> peer_incarnation(NodeId peer) const {
    static_cast<void>(peer);
    return std::nullopt;
  }
  /// Calls `f` once, after the node calls already due now (the messages and timers of this
  /// turn of the event loop) have run, unless the node crashes first: a host flushes a turn's
  /// writes there as one batch (group commit).
  virtual void defer(std::function<void()> f) = 0;
};

/// What a node is given when it boots: its transport and disk (owned by the runtime, valid
/// until the node is destroyed) and an incarnation number that differs from the previous
/// boot's with overwhelming probability (random 64 bits), so that peers can tell a restarted
/// node from its previous life.
struct NodeContext {
  Transport& transport;
  storage::Disk& disk;
  std::uint64_t incarnation;
};

/// A node driven by a transport. Calls never overlap.
class Node {
 public:
  virtual ~Node() = default;
  /// Called once after boot (with whatever the disk kept) before any other call.
  virtual void on_start() = 0;
  virtual void on_message(NodeId from, std::string_view bytes) = 0;
  virtual void on_timer(TimerId id) = 0;
};

/// Makes a node for a boot; called again on every restart.
using NodeFactory = std::function<std::unique_ptr<Node>(const NodeContext&)>;

}  // namespace calm::protocols::net
