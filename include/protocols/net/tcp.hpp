#pragma once
/// TcpRuntime: runs one net::Node on real sockets (Boost.Asio), for separate processes and
/// machines. The node is the same object the simulator runs; only the runtime differs.
///
/// Wire format (tcp_wire.hpp has the bytes). A connection is one-way for data: a node
/// connects to every peer and sends its frames on that connection, and receives on the
/// connections its peers opened to it. Each connection starts with a mutual authentication:
/// the initiator's hello (its id, the id it means to reach, its incarnation, a fresh nonce),
/// the acceptor's welcome (its id, incarnation, nonce and an HMAC-SHA256 proof that it holds
/// the cluster secret, over both nonces, ids and incarnations), the initiator's proof. Then
/// frames: a u32 little-endian length, the payload (what the node passed to `send`) and a
/// 16-byte tag keyed by this connection's session key over the frame's implicit sequence
/// number and the payload. Nothing reaches the node before the handshake completes, and a
/// frame reaches it only once its tag checks.
///
/// Cluster secret (`cluster_secret`, at least 32 bytes; wire::read_secret_file reads one). A
/// runtime without one authenticates with an empty key, which anyone can compute, so it may
/// only listen on a loopback address: the constructor throws otherwise (as Redis's protected
/// mode refuses).
///
/// Bad input never crashes and never reaches the node: a hello with the wrong magic or
/// version, from a node that is not a configured peer or meant for another node, a proof or a
/// tag that does not check, a frame longer than `frame_bytes_max`, a handshake not completed
/// within `hello_timeout_ms`, a frame not completed within `frame_timeout_ms` of its first bytes:
/// each closes that connection with a logged reason; the node keeps serving every other
/// connection.
///
/// Bounds. Frames above `frame_bytes_max` are neither sent nor accepted. Incoming bytes are
/// read up to 64 KiB at a time into a buffer each authenticated connection holds (at most one
/// such connection per peer); every whole frame among them
/// reaches the node in that same turn (so a host writes what arrived together as one batch),
/// and of a frame not yet complete a connection keeps the payload that arrived, in 64 KiB
/// steps each allocated when its first byte arrives (so at most one step beyond what
/// arrived). Those steps, across all connections, count against `incoming_buffer_bytes_max`:
/// a connection whose next step would take it above is closed (its sender reconnects and
/// resends; the transport is best effort). Frames that arrive whole within one read, and
/// headers and tags, cost nothing against it. At most `unauthenticated_connections_max` connections
/// may be in their handshake at once (more are closed at accept), and each peer holds at most one
/// authenticated incoming connection (a newer one replaces the older). Between frames an
/// authenticated connection may stay idle (it holds its read buffer, nothing more; TCP keepalive
/// notices a vanished peer). Each peer's send queue holds at most `send_queue_bytes_max` bytes; a
/// message that does not fit is dropped (and counted): the transport is best effort, as the Node
/// contract says, so a slow or dead peer never makes memory grow without bound, and the protocol's
/// own retransmission covers the loss. A connection that fails is retried with exponential backoff
/// from `reconnect_initial_ms` up to `reconnect_max_ms`; what was queued stays queued. A failing
/// accept (descriptors exhausted) is retried after 100 ms, doubling up to 1 s, and logged at
/// most once a second with a count.
///
/// Threads. Everything (node callbacks, timers, socket completions) runs on the thread that
/// calls `run`, so node calls never overlap. `stop` and `post` may be called from any thread.
/// A node's `defer` is an asio::post: it runs after the handlers already queued, on that
/// thread, and not at all once the node or the runtime is gone.
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
  /// A connection must complete its handshake within this time, or it is closed (both ends).
  std::uint64_t hello_timeout_ms = 5000;
  /// Once a frame's first bytes arrive, the rest must arrive within this time, or the
  /// connection is closed.
  std::uint64_t frame_timeout_ms = 30000;
  /// Bytes held, across all incoming connections, in frames not yet complete (a frame being
  /// delivered needs one transient copy of itself beyond it).
  std::uint64_t incoming_buffer_bytes_max = 64u << 20;
  /// Incoming connections that may be in their handshake at once; more are closed at accept.
  std::size_t unauthenticated_connections_max = 64;
  /// The cluster secret (bytes, at least wire::secret_bytes_min); empty: none, loopback only.
  std::string cluster_secret;
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
  std::uint64_t incoming_buffered_bytes = 0;       // now, in incomplete incoming frames
  std::uint64_t incoming_buffered_bytes_peak = 0;  // the most ever at once
  std::uint64_t accept_failures = 0;               // accept errors (EMFILE, ENFILE, ...)
  std::uint64_t authentication_failures = 0;       // a proof or a frame tag that did not check
};

class TcpRuntime {
 public:
  /// Listens on `listen_host`:`listen_port` (port 0 picks a free one; see `port`), boots the
  /// node with `disk` and a fresh incarnation, and connects to `peers` once `run` starts.
  /// Throws std::invalid_argument for a secret shorter than wire::secret_bytes_min, or for a
  /// non-loopback `listen_host` without a secret.
  TcpRuntime(NodeId self, std::string listen_host, std::uint16_t listen_port,
             std::vector<TcpPeer> peers, storage::Disk& disk, NodeFactory make_node,
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
  /// The node, once `run` has started it (null before): a program that serves its own
  /// requests on the runtime's event loop reaches its node here.
  Node* node();
  /// The runtime's event loop, for a program's own sockets (calm-kvs's RESP listener): what
  /// runs on it never overlaps a node call.
  boost::asio::io_context& io_context();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace calm::protocols::net
