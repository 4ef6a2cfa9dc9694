#pragma once
/// TcpRuntime: runs one net::Node on real sockets (Boost.Asio), for separate processes and
/// machines. The node is the same object the simulator runs; only the runtime differs.
///
/// Wire format. A connection is one-way: a node connects to every peer and sends on that
/// connection, and receives on the connections its peers opened to it. A connection starts
/// with a hello (8-byte magic "calm-net", u32 version, u64 sender id, u64 incarnation, all
/// little-endian); then frames, each a u32 little-endian length and that many payload bytes
/// (what the node passed to `send`, e.g. a cereal-encoded protocol message).
///
/// Bad input never crashes and never reaches the node: a hello with the wrong magic or
/// version, or from a node that is not a configured peer, and a frame longer than
/// `frame_bytes_max`, close that connection with a logged reason, and so does a connection
/// that sends no complete hello within `hello_timeout_ms`; the node keeps serving every other
/// connection.
///
/// Bounds. Frames above `frame_bytes_max` are neither sent nor accepted. Each peer's send
/// queue holds at most `send_queue_bytes_max` bytes; a message that does not fit is dropped
/// (and counted): the transport is best effort, as the Node contract says, so a slow or dead
/// peer never makes memory grow without bound, and the protocol's own retransmission covers
/// the loss. A connection that fails is retried with exponential backoff from
/// `reconnect_initial_ms` up to `reconnect_max_ms`; what was queued stays queued.
///
/// Threads. Everything (node callbacks, timers, socket completions) runs on the thread that
/// calls `run`, so node calls never overlap. `stop` and `post` may be called from any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/net/transport.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace calm::protocols::net {

struct TcpPeer {
  NodeId id;
  std::string host;  // a name or address; resolved on each connection attempt
  std::uint16_t port;
};

struct TcpOptions {
  std::uint32_t frame_bytes_max = 16u << 20;
  std::uint64_t send_queue_bytes_max = 64u << 20;
  std::uint64_t reconnect_initial_ms = 20;
  std::uint64_t reconnect_max_ms = 2000;
  /// An incoming connection must complete its hello within this time, or it is closed.
  std::uint64_t hello_timeout_ms = 5000;
  /// Where rejected connections and dropped messages are reported; stderr when empty.
  std::function<void(std::string_view)> log;
};

/// What a runtime has counted since it started (read with `post` or after `run` returns).
struct TcpStats {
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t messages_dropped = 0;      // send queue full, or frame too large to send
  std::uint64_t connections_rejected = 0;  // bad hello, unknown peer, oversized frame
  std::uint64_t reconnect_attempts = 0;
};

class TcpRuntime {
 public:
  /// Listens on `listen_host`:`listen_port` (port 0 picks a free one; see `port`), boots the
  /// node with `disk` and a fresh incarnation, and connects to `peers` once `run` starts.
  TcpRuntime(NodeId self, std::string listen_host, std::uint16_t listen_port,
             std::vector<TcpPeer> peers, Disk& disk, NodeFactory make_node,
             TcpOptions options = {});
  ~TcpRuntime();
  TcpRuntime(const TcpRuntime&) = delete;
  TcpRuntime& operator=(const TcpRuntime&) = delete;

  /// The port it listens on.
  std::uint16_t port() const;
  /// Adds or replaces a peer (before `run`, or through `post`).
  void set_peer(TcpPeer peer);
  /// Starts the node and serves until `stop`; then closes every socket and returns.
  void run();
  /// Serves for at most `duration_ms`, then returns (the runtime can run again).
  void run_for(std::uint64_t duration_ms);
  /// Makes `run` return soon. Thread-safe.
  void stop();
  /// Runs `f` on the runtime's thread with the node (for a program's own requests).
  /// Thread-safe; `f` runs during a later `run`.
  void post(std::function<void(Node&)> f);
  const TcpStats& stats() const;
  /// The runtime's event loop, for a program's own sockets (calm-kvs's RESP listener): what
  /// runs on it never overlaps a node call.
  boost::asio::io_context& io_context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calm::protocols::net
