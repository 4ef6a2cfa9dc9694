#include "protocols/net/tcp.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <cassert>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <variant>

#include "lattices/random.hpp"
#include "protocols/net/tcp_wire.hpp"

namespace calm::protocols::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;

/// An authenticated incoming connection reads into a buffer of its own of this size (one per
/// peer: authenticating takes the cluster secret).
constexpr std::size_t read_buffer_bytes = 64 * 1024;
/// A failing accept (EMFILE, ENFILE, ...) is retried after this delay, doubling up to the max.
constexpr std::uint64_t accept_backoff_initial_ms = 100;
constexpr std::uint64_t accept_backoff_max_ms = 1000;
/// Failed accepts are logged at most once per this interval, with their count.
constexpr std::uint64_t accept_log_interval_ms = 1000;
/// Rejected connections are logged at most this many a second (anyone who can reach the port
/// can make them); the rest are counted, and their number logged with the next window's first.
constexpr std::uint64_t rejection_log_lines_per_second = 20;

wire::Nonce fresh_nonce() {
  wire::Nonce nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: no randomness for a handshake nonce");
  }
  return nonce;
}

}  // namespace

struct TcpRuntime::Impl final : Transport {
  struct Outgoing;
  struct Incoming;

  // Declared first, destroyed last: sockets and timers refer to it.
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::uint64_t accept_backoff_ms = accept_backoff_initial_ms;
  std::uint64_t accept_failures_unlogged = 0;
  std::optional<std::chrono::steady_clock::time_point> accept_logged_at;
  NodeId self_id;
  storage::Disk& disk;
  NodeFactory make_node;
  TcpOptions options;
  TcpStats stats;
  std::uint64_t incarnation;
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
  std::map<NodeId, std::unique_ptr<Outgoing>> peers;
  // Replaced peers' connections, closed but kept: their cancelled handlers still run.
  std::vector<std::unique_ptr<Outgoing>> replaced;
  std::set<std::shared_ptr<Incoming>> incoming;
  /// Incoming connections not yet authenticated (at most unauthenticated_connections_max).
  std::size_t unauthenticated = 0;
  /// The one authenticated incoming connection per peer.
  std::map<NodeId, Incoming*> authenticated;
  std::map<TimerId, std::unique_ptr<asio::steady_timer>> timers;
  TimerId next_timer = 1;
  std::unique_ptr<Node> node;

  Impl(NodeId self, storage::Disk& d, NodeFactory make, TcpOptions opts)
      : self_id(self), disk(d), make_node(std::move(make)), options(std::move(opts)) {
    incarnation = entropy_seed();
  }

  void log(std::string_view what) const {
    if (options.log) {
      options.log(what);
    } else {
      std::cerr << "calm tcp node " << self_id << ": " << what << '\n';
    }
  }

  std::chrono::steady_clock::time_point rejection_window = std::chrono::steady_clock::now();
  std::uint64_t rejection_lines = 0, rejections_unlogged = 0;
  void log_rejection(const std::string& line) {
    const auto now = std::chrono::steady_clock::now();
    if (now - rejection_window >= std::chrono::seconds(1)) {
      if (rejections_unlogged > 0) {
        log(std::to_string(rejections_unlogged) + " more rejected connection(s) not logged");
      }
      rejection_window = now;
      rejection_lines = rejections_unlogged = 0;
    }
    if (rejection_lines < rejection_log_lines_per_second) {
      ++rejection_lines;
      log(line);
    } else {
      ++rejections_unlogged;
    }
  }

  /// Charges `bytes` of incoming frame buffers to the runtime-wide budget, if they fit.
  bool charge(std::uint64_t bytes) {
    if (stats.incoming_buffered_bytes + bytes > options.incoming_buffer_bytes_max) return false;
    stats.incoming_buffered_bytes += bytes;
    stats.incoming_buffered_bytes_peak =
        std::max(stats.incoming_buffered_bytes_peak, stats.incoming_buffered_bytes);
    assert(stats.incoming_buffered_bytes <= options.incoming_buffer_bytes_max);
    return true;
  }
  void refund(std::uint64_t bytes) {
    assert(bytes <= stats.incoming_buffered_bytes);
    stats.incoming_buffered_bytes -= bytes;
  }

  // ---- Transport ----
  NodeId self() const override { return self_id; }
  std::uint64_t now_ms() const override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - origin)
                                          .count());
  }
  void send(NodeId to, std::string bytes) override;
  std::optional<std::uint64_t> peer_incarnation(NodeId peer) const override;
  TimerId set_timer(std::uint64_t delay_ms) override {
    const TimerId id = next_timer++;
    auto timer = std::make_unique<asio::steady_timer>(io, std::chrono::milliseconds(delay_ms));
    timer->async_wait([this, id](const error_code& ec) {
      if (ec) return;  // cancelled at shutdown
      timers.erase(id);
      if (node) node->on_timer(id);
    });
    timers.emplace(id, std::move(timer));
    return id;
  }
  // After the handlers already queued (this turn's completions); not run once the node is gone,
  // and never once the runtime is (the io_context destroys its handlers unrun).
  void defer(std::function<void()> f) override {
    asio::post(io, [this, f = std::move(f)] {
      if (node) f();
    });
  }

  void start_node() {
    if (node) return;
    node = make_node(NodeContext{*this, disk, incarnation});
    node->on_start();
  }
  void accept();
  void accept_failed(const error_code& ec);
  void close_all();
};

/// The connection this node opened to one peer (it is the initiator), and what waits to go
/// over it: connect, hello, welcome (checked), proof, then frames.
struct TcpRuntime::Impl::Outgoing {
  Impl& rt;
  TcpPeer peer;
  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer retry;
  asio::steady_timer handshake_deadline;
  std::deque<std::string> queue;   // payloads; framed and tagged when written
  std::uint64_t queued_bytes = 0;  // payloads and their frame overhead
  std::uint64_t backoff_ms;
  /// Every connection attempt has its own generation; handlers of an older one do nothing.
  std::uint64_t generation = 0;
  bool connected = false, connecting = false, writing = false, retry_pending = false;
  // The current connection's handshake and frame state.
  std::array<char, wire::hello_bytes> hello_out{};
  std::array<char, wire::welcome_bytes> welcome_in{};
  wire::Proof proof_out{};
  std::optional<wire::FrameMac> mac;  // under the connection's frame key, once it has one
  std::uint64_t sequence = 0;
  // The frames being written: their headers and tags, and the buffers of the gather write.
  std::vector<std::array<char, wire::frame_header_bytes>> headers_out;
  std::vector<wire::Tag> tags_out;
  std::vector<asio::const_buffer> buffers_out;
  char probe = 0;

  Outgoing(Impl& runtime, TcpPeer p)
      : rt(runtime),
        peer(std::move(p)),
        socket(runtime.io),
        resolver(runtime.io),
        retry(runtime.io),
        handshake_deadline(runtime.io),
        backoff_ms(runtime.options.reconnect_initial_ms) {}

  static constexpr std::uint64_t frame_overhead = wire::frame_header_bytes + wire::tag_bytes;
  static constexpr std::size_t write_frames_max = 256;
  static constexpr std::size_t write_bytes_max = 256u << 10;

  void enqueue(std::string payload) {
    if (payload.size() > rt.options.frame_bytes_max) {
      ++rt.stats.messages_dropped;
      rt.log("dropped a message of " + std::to_string(payload.size()) + " bytes to node " +
             std::to_string(peer.id) + ": above frame_bytes_max");
      return;
    }
    const std::uint64_t cost = payload.size() + frame_overhead;
    if (queued_bytes + cost > rt.options.send_queue_bytes_max) {
      ++rt.stats.messages_dropped;  // best effort: the protocol retransmits what matters
      return;
    }
    queued_bytes += cost;
    queue.push_back(std::move(payload));
    if (connected) {
      if (!writing) write_next();
    } else if (!connecting && !retry_pending) {
      connect();
    }
  }

  void connect() {
    const std::uint64_t gen = ++generation;
    connecting = true;
    ++rt.stats.reconnect_attempts;
    resolver.async_resolve(
        peer.host, std::to_string(peer.port),
        [this, gen](const error_code& ec, const tcp::resolver::results_type& endpoints) {
          if (gen != generation) return;
          if (ec) return fail(gen);
          asio::async_connect(socket, endpoints,
                              [this, gen](const error_code& ec2, const tcp::endpoint&) {
                                if (gen != generation) return;
                                if (ec2) return fail(gen);
                                error_code ignored;
                                socket.set_option(tcp::no_delay(true), ignored);
                                socket.set_option(asio::socket_base::keep_alive(true), ignored);
                                handshake(gen);
                              });
        });
  }

  void handshake(std::uint64_t gen) {
    handshake_deadline.expires_after(std::chrono::milliseconds(rt.options.hello_timeout_ms));
    handshake_deadline.async_wait([this, gen](const error_code& ec) {
      if (ec || gen != generation) return;
      rt.log("node " + std::to_string(peer.id) + " did not complete the handshake within " +
             std::to_string(rt.options.hello_timeout_ms) + " ms");
      fail(gen);
    });
    wire::Hello hello;
    hello.from = rt.self_id;
    hello.to = peer.id;
    hello.incarnation = rt.incarnation;
    hello.nonce = fresh_nonce();
    hello_out = wire::encode_hello(hello);
    asio::async_write(
        socket, asio::buffer(hello_out), [this, gen, hello](const error_code& ec, std::size_t) {
          if (gen != generation) return;
          if (ec) return fail(gen);
          asio::async_read(
              socket, asio::buffer(welcome_in),
              [this, gen, hello](const error_code& ec2, std::size_t) {
                if (gen != generation) return;
                if (ec2) return fail(gen);
                const auto parsed =
                    wire::decode_welcome(std::string_view(welcome_in.data(), welcome_in.size()));
                if (const auto* why = std::get_if<std::string>(&parsed)) {
                  return refuse(gen, *why);
                }
                const wire::Welcome& welcome = std::get<wire::Welcome>(parsed);
                if (welcome.from != peer.id) {
                  return refuse(gen, "it says it is node " + std::to_string(welcome.from));
                }
                const wire::Transcript transcript{rt.self_id,          peer.id,     rt.incarnation,
                                                  welcome.incarnation, hello.nonce, welcome.nonce};
                if (!wire::check_proof(rt.options.cluster_secret, wire::Role::acceptor, transcript,
                                       welcome.proof)) {
                  return refuse(gen, "it failed to prove the cluster secret");
                }
                proof_out =
                    wire::make_proof(rt.options.cluster_secret, wire::Role::initiator, transcript);
                mac.emplace(wire::frame_key(rt.options.cluster_secret, transcript));
                asio::async_write(socket, asio::buffer(proof_out),
                                  [this, gen](const error_code& ec3, std::size_t) {
                                    if (gen != generation) return;
                                    if (ec3) return fail(gen);
                                    handshake_deadline.cancel();
                                    connecting = false;
                                    connected = true;
                                    sequence = 0;
                                    backoff_ms = rt.options.reconnect_initial_ms;
                                    watch_for_close(gen);
                                    write_next();
                                  });
              });
        });
  }

  /// The peer just proved itself on a connection it opened to this node, so it is up: a
  /// connection to it that waits out its backoff (which grows to reconnect_max_ms while the
  /// peer is down) tries again now, so a restarted peer hears from this node at once.
  void peer_is_back() {
    backoff_ms = rt.options.reconnect_initial_ms;
    if (!retry_pending) return;
    retry_pending = false;
    ++generation;  // the waiting retry's handler does nothing
    retry.cancel();
    if (!queue.empty()) connect();
  }

  /// The acceptor never writes after its welcome: a read that completes means it closed the
  /// connection (or broke the protocol), and the queue goes to the next connection.
  void watch_for_close(std::uint64_t gen) {
    socket.async_read_some(asio::buffer(&probe, 1), [this, gen](const error_code&, std::size_t) {
      if (gen == generation) fail(gen);
    });
  }

  void refuse(std::uint64_t gen, const std::string& why) {
    ++rt.stats.authentication_failures;
    rt.log("refused the connection to node " + std::to_string(peer.id) + ": " + why);
    fail(gen);
  }

  void fail(std::uint64_t gen) {
    if (gen != generation) return;  // this attempt failed already
    ++generation;
    error_code ignored;
    socket.close(ignored);
    handshake_deadline.cancel();
    connected = connecting = writing = false;
    retry_pending = true;
    retry.expires_after(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, rt.options.reconnect_max_ms);
    const std::uint64_t retry_gen = generation;
    retry.async_wait([this, retry_gen](const error_code& ec) {
      if (ec || retry_gen != generation) return;  // cancelled, or superseded
      retry_pending = false;
      if (!queue.empty()) connect();
    });
  }

  /// Writes the queued frames, up to write_frames_max of them and about write_bytes_max
  /// bytes, with one gather write: a few system calls for a turn's messages, not one each
  /// (Asio passes at most 64 buffers, 21 frames, to one writev). If the write fails, all of
  /// them go again on the next connection, so a peer may receive some twice (the transport
  /// is at-most-a-bounded-number-of-times, as the Node contract says).
  void write_next() {
    if (queue.empty()) {
      writing = false;
      return;
    }
    assert(connected && mac.has_value());
    writing = true;
    std::size_t frames = 0, bytes = 0;
    while (frames < queue.size() && frames < write_frames_max && bytes < write_bytes_max) {
      bytes += queue[frames].size() + frame_overhead;
      ++frames;
    }
    headers_out.resize(frames);
    tags_out.resize(frames);
    buffers_out.clear();
    for (std::size_t i = 0; i < frames; ++i) {
      const std::string& payload = queue[i];  // a deque: stays put while more are queued
      headers_out[i] = wire::encode_frame_header(static_cast<std::uint32_t>(payload.size()));
      tags_out[i] = mac->tag(sequence + i, payload);
      buffers_out.push_back(asio::buffer(headers_out[i]));
      buffers_out.push_back(asio::buffer(payload));
      buffers_out.push_back(asio::buffer(tags_out[i]));
    }
    const std::uint64_t gen = generation;
    asio::async_write(socket, buffers_out, [this, gen, frames](const error_code& ec, std::size_t) {
      if (gen != generation) return;
      if (ec) return fail(gen);  // the frames stay queued and go again on the next connection
      for (std::size_t i = 0; i < frames; ++i) {
        queued_bytes -= queue.front().size() + frame_overhead;
        queue.pop_front();
      }
      sequence += frames;
      rt.stats.frames_sent += frames;
      write_next();
    });
  }

  void close() {
    ++generation;
    error_code ignored;
    resolver.cancel();
    retry.cancel();
    handshake_deadline.cancel();
    socket.close(ignored);
    connected = connecting = writing = retry_pending = false;
  }
};

/// A connection a peer opened to this node (it is the acceptor): hello, welcome, proof
/// (checked), then frames, read as they arrive (read_frames).
struct TcpRuntime::Impl::Incoming : std::enable_shared_from_this<Incoming> {
  Impl& rt;
  tcp::socket socket;
  asio::steady_timer deadline;
  std::uint64_t deadline_generation = 0;
  bool closed = false;
  bool is_authenticated = false;
  NodeId from = 0;
  std::uint64_t from_incarnation = 0;  // what the peer's hello said, proven by its proof
  std::array<char, wire::hello_bytes> hello_in{};
  std::array<char, wire::welcome_bytes> welcome_out{};
  wire::Proof proof_in{};
  // After the handshake: the frames, and what of them is charged to the runtime's budget.
  std::unique_ptr<wire::FrameReader> reader;
  std::unique_ptr<char[]> read_buffer;  // read_buffer_bytes, once authenticated
  std::uint64_t charged = 0;
  bool feeding = false;
  bool frame_deadline_armed = false;

  Incoming(Impl& runtime, tcp::socket s)
      : rt(runtime), socket(std::move(s)), deadline(runtime.io) {}

  /// Closes the connection with `reason` unless what is under way finishes within `ms`.
  void arm_deadline(std::uint64_t ms, std::string reason) {
    const std::uint64_t gen = ++deadline_generation;
    deadline.expires_after(std::chrono::milliseconds(ms));
    deadline.async_wait([this, self = shared_from_this(), gen, reason](const error_code& ec) {
      if (!ec && gen == deadline_generation) reject(reason);
    });
  }
  void disarm_deadline() {
    ++deadline_generation;
    deadline.cancel();
  }

  void start() {
    auto self = shared_from_this();
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    socket.set_option(asio::socket_base::keep_alive(true), ignored);
    // A connection that never completes its handshake would otherwise hold a socket forever.
    arm_deadline(rt.options.hello_timeout_ms,
                 "no handshake within " + std::to_string(rt.options.hello_timeout_ms) + " ms");
    // The magic and version first, so that another program or an older calm is told at once.
    asio::async_read(socket, asio::buffer(hello_in.data(), wire::preamble_bytes),
                     [this, self](const error_code& ec, std::size_t) {
                       if (closed) return;
                       if (ec) return close();
                       const std::string why = wire::preamble_error(
                           std::string_view(hello_in.data(), wire::preamble_bytes));
                       if (!why.empty()) return reject(why);
                       read_hello();
                     });
  }

  void read_hello() {
    auto self = shared_from_this();
    asio::async_read(
        socket,
        asio::buffer(hello_in.data() + wire::preamble_bytes,
                     wire::hello_bytes - wire::preamble_bytes),
        [this, self](const error_code& ec, std::size_t) {
          if (closed) return;
          if (ec) return close();
          const auto parsed =
              wire::decode_hello(std::string_view(hello_in.data(), hello_in.size()));
          if (const auto* why = std::get_if<std::string>(&parsed)) return reject(*why);
          const wire::Hello hello = std::get<wire::Hello>(parsed);
          if (!rt.peers.contains(hello.from)) {
            return reject("node " + std::to_string(hello.from) + " is not a peer");
          }
          if (hello.to != rt.self_id) {
            return reject("node " + std::to_string(hello.from) + " meant to reach node " +
                          std::to_string(hello.to));
          }
          wire::Welcome welcome;
          welcome.from = rt.self_id;
          welcome.incarnation = rt.incarnation;
          welcome.nonce = fresh_nonce();
          const wire::Transcript transcript{hello.from,     rt.self_id,  hello.incarnation,
                                            rt.incarnation, hello.nonce, welcome.nonce};
          welcome.proof =
              wire::make_proof(rt.options.cluster_secret, wire::Role::acceptor, transcript);
          welcome_out = wire::encode_welcome(welcome);
          asio::async_write(socket, asio::buffer(welcome_out),
                            [this, self](const error_code& ec2, std::size_t) {
                              if (closed) return;
                              if (ec2) return close();
                            });
          asio::async_read(socket, asio::buffer(proof_in),
                           [this, self, hello, transcript](const error_code& ec3, std::size_t) {
                             if (closed) return;
                             if (ec3) return close();
                             if (!wire::check_proof(rt.options.cluster_secret,
                                                    wire::Role::initiator, transcript, proof_in)) {
                               ++rt.stats.authentication_failures;
                               return reject("node " + std::to_string(hello.from) +
                                             " failed to prove the cluster secret");
                             }
                             authenticate(hello.from, hello.incarnation, transcript);
                             read_frames();
                           });
        });
  }

  void authenticate(NodeId peer, std::uint64_t peer_incarnation,
                    const wire::Transcript& transcript) {
    disarm_deadline();
    from = peer;
    from_incarnation = peer_incarnation;
    reader = std::make_unique<wire::FrameReader>(
        wire::frame_key(rt.options.cluster_secret, transcript), rt.options.frame_bytes_max,
        wire::FrameBudget{[this](std::size_t n) {
                            if (!rt.charge(n)) return false;
                            charged += n;
                            return true;
                          },
                          [this](std::size_t n) {
                            assert(n <= charged);
                            charged -= n;
                            rt.refund(n);
                          }});
    read_buffer = std::make_unique<char[]>(read_buffer_bytes);
    is_authenticated = true;
    assert(rt.unauthenticated > 0);
    --rt.unauthenticated;
    // One authenticated connection per peer: the newer one is the peer's current life.
    auto& slot = rt.authenticated[from];
    if (slot != nullptr && slot != this) {
      rt.log("node " + std::to_string(from) + " connected again; closing its older connection");
      slot->close();  // clears the slot
    }
    rt.authenticated[from] = this;
    if (const auto out = rt.peers.find(from); out != rt.peers.end()) out->second->peer_is_back();
  }

  /// Reads frames as they arrive, into the connection's buffer, and hands every whole frame
  /// among the bytes read to the node in this one handler, so that the host writes (and syncs)
  /// everything that arrived together as one batch: group commit across frames, and one system
  /// call for many small frames. Asio reads when the socket is readable, or at once if the last
  /// read filled the buffer (more may be waiting); a read per completion keeps one busy peer
  /// from starving the others.
  void read_frames() {
    socket.async_read_some(asio::buffer(read_buffer.get(), read_buffer_bytes),
                           [this, self = shared_from_this()](const error_code& ec, std::size_t n) {
                             if (closed) return;
                             if (ec) return close();
                             if (take(std::string_view(read_buffer.get(), n))) read_frames();
                           });
  }

  /// Feeds `bytes` to the frame reader; false when the connection was closed for them. What
  /// the reader allocates for an incomplete frame is charged to the runtime's budget as it
  /// allocates it (FrameBudget), and refunded as it frees it.
  bool take(std::string_view bytes) {
    const std::uint64_t frames_before = reader->frames_read();
    // The reader outlives this feed even if something in it closed the connection.
    feeding = true;
    try {
      reader->feed(bytes, [this](std::string_view payload) {
        ++rt.stats.frames_received;
        if (!closed && rt.node) rt.node->on_message(from, payload);
      });
      feeding = false;
    } catch (const wire::FrameError& e) {
      feeding = false;
      switch (e.kind) {
        case wire::FrameError::Kind::bad_tag:
          ++rt.stats.authentication_failures;
          reject("frame " + std::to_string(e.number) + " from node " + std::to_string(from) +
                 " fails its tag");
          break;
        case wire::FrameError::Kind::too_large:
          reject("a frame of " + std::to_string(e.number) + " bytes from node " +
                 std::to_string(from) + ", above frame_bytes_max");
          break;
        case wire::FrameError::Kind::over_budget:
          reject("a frame from node " + std::to_string(from) +
                 " would take incoming frame buffers above incoming_buffer_bytes_max (" +
                 std::to_string(rt.options.incoming_buffer_bytes_max) + " bytes)");
          break;
      }
      return false;
    }
    if (closed) {
      release();
      return false;
    }
    assert(reader->held_bytes() == charged);
    // A frame under way must complete within frame_timeout_ms of its first bytes.
    if (!reader->mid_frame()) {
      if (frame_deadline_armed) disarm_deadline();
      frame_deadline_armed = false;
    } else if (!frame_deadline_armed || reader->frames_read() != frames_before) {
      arm_deadline(rt.options.frame_timeout_ms,
                   "a frame from node " + std::to_string(from) + " not completed within " +
                       std::to_string(rt.options.frame_timeout_ms) + " ms");
      frame_deadline_armed = true;
    }
    return true;
  }

  /// Gives the frame reader's buffers and their budget back (it refunds as it goes); during a
  /// feed, once the feed is over.
  void release() {
    if (feeding) return;
    reader.reset();
    assert(charged == 0);
  }

  void reject(const std::string& reason) {
    if (closed) return;  // closed already (the deadline and the read both fired)
    ++rt.stats.connections_rejected;
    rt.log_rejection("rejected a connection: " + reason);
    close();
  }

  void close() {
    if (closed) return;
    closed = true;
    error_code ignored;
    disarm_deadline();
    socket.close(ignored);
    release();
    if (!is_authenticated) {
      assert(rt.unauthenticated > 0);
      --rt.unauthenticated;
    } else if (auto it = rt.authenticated.find(from);
               it != rt.authenticated.end() && it->second == this) {
      rt.authenticated.erase(it);
    }
    rt.incoming.erase(shared_from_this());
  }
};

void TcpRuntime::Impl::send(NodeId to, std::string bytes) {
  auto it = peers.find(to);
  if (it == peers.end()) return;  // not a peer: dropped, as the Transport contract says
  it->second->enqueue(std::move(bytes));
}

std::optional<std::uint64_t> TcpRuntime::Impl::peer_incarnation(NodeId peer) const {
  const auto it = authenticated.find(peer);
  if (it == authenticated.end()) return std::nullopt;
  return it->second->from_incarnation;
}

void TcpRuntime::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) return accept_failed(ec);
    accept_backoff_ms = accept_backoff_initial_ms;
    if (unauthenticated >= options.unauthenticated_connections_max) {
      // Refused at once: a flood of silent connections cannot starve the peers' handshakes
      // for longer than hello_timeout_ms.
      ++stats.connections_rejected;
      error_code ignored;
      socket.close(ignored);
    } else {
      ++unauthenticated;
      auto connection = std::make_shared<Incoming>(*this, std::move(socket));
      incoming.insert(connection);
      connection->start();
    }
    accept();
  });
}

/// Descriptors ran out (or accept failed otherwise): the listening socket stays readable, so
/// accepting again at once would spin. Wait, doubling the wait up to a second.
void TcpRuntime::Impl::accept_failed(const error_code& ec) {
  ++stats.accept_failures;
  ++accept_failures_unlogged;
  const auto now = std::chrono::steady_clock::now();
  if (!accept_logged_at ||
      now - *accept_logged_at >= std::chrono::milliseconds(accept_log_interval_ms)) {
    log("accept failed " + std::to_string(accept_failures_unlogged) +
        " time(s) since the last report: " + ec.message() + "; retrying in " +
        std::to_string(accept_backoff_ms) + " ms");
    accept_failures_unlogged = 0;
    accept_logged_at = now;
  }
  accept_retry.expires_after(std::chrono::milliseconds(accept_backoff_ms));
  accept_backoff_ms = std::min(accept_backoff_ms * 2, accept_backoff_max_ms);
  accept_retry.async_wait([this](const error_code& wait_ec) {
    if (!wait_ec) accept();
  });
}

void TcpRuntime::Impl::close_all() {
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  for (auto& [id, out] : peers) out->close();
  for (const auto& connection : std::set<std::shared_ptr<Incoming>>(incoming)) {
    connection->close();
  }
  incoming.clear();
  for (auto& [id, timer] : timers) timer->cancel();
  timers.clear();
}

TcpRuntime::TcpRuntime(NodeId self, std::string listen_host, std::uint16_t listen_port,
                       std::vector<TcpPeer> peers, storage::Disk& disk, NodeFactory make_node,
                       TcpOptions options)
    : impl_(std::make_unique<Impl>(self, disk, std::move(make_node), std::move(options))) {
  const tcp::endpoint endpoint(asio::ip::make_address(listen_host), listen_port);
  const std::string& secret = impl_->options.cluster_secret;
  if (!secret.empty() && secret.size() < wire::secret_bytes_min) {
    throw std::invalid_argument("the cluster secret has " + std::to_string(secret.size()) +
                                " bytes; at least " + std::to_string(wire::secret_bytes_min) +
                                " are needed");
  }
  // Protected mode: without a secret, anyone who can reach the port could write to every
  // replica, so only loopback is allowed.
  if (secret.empty() && !endpoint.address().is_loopback()) {
    throw std::invalid_argument(
        "refusing to listen for peers on " + listen_host +
        " without a cluster secret: anyone who can reach it could write to every replica; "
        "give a cluster secret file (--cluster-secret-file) or listen on 127.0.0.1");
  }
  if (impl_->options.unauthenticated_connections_max == 0) {
    throw std::invalid_argument("unauthenticated_connections_max must be at least 1");
  }
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  for (TcpPeer& peer : peers) set_peer(std::move(peer));
  impl_->accept();
}

TcpRuntime::~TcpRuntime() {
  impl_->close_all();
  impl_->node.reset();
}

std::uint16_t TcpRuntime::port() const { return impl_->acceptor.local_endpoint().port(); }

void TcpRuntime::set_peer(TcpPeer peer) {
  const NodeId id = peer.id;
  if (id == impl_->self_id) return;
  auto& slot = impl_->peers[id];
  if (slot) {
    slot->close();
    impl_->replaced.push_back(std::move(slot));
  }
  slot = std::make_unique<Impl::Outgoing>(*impl_, std::move(peer));
}

void TcpRuntime::run() {
  impl_->start_node();
  impl_->io.restart();
  impl_->io.run();
}

void TcpRuntime::run_for(std::uint64_t duration_ms) {
  impl_->start_node();
  impl_->io.restart();
  impl_->io.run_for(std::chrono::milliseconds(duration_ms));
}

void TcpRuntime::stop() { impl_->io.stop(); }

void TcpRuntime::post(std::function<void(Node&)> f) {
  asio::post(impl_->io, [this, f = std::move(f)] {
    if (impl_->node) f(*impl_->node);
  });
}

Node* TcpRuntime::node() { return impl_->node.get(); }

const TcpStats& TcpRuntime::stats() const { return impl_->stats; }

boost::asio::io_context& TcpRuntime::io_context() { return impl_->io; }

}  // namespace calm::protocols::net
