#include "protocols/net/tcp.hpp"

#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include "protocols/net/tcp_wire.hpp"

namespace calm::protocols::net {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;

using Hello = std::array<char, wire::hello_bytes>;

}  // namespace

struct TcpRuntime::Impl final : Transport {
  struct Outgoing;
  struct Incoming;

  // Declared first, destroyed last: sockets and timers refer to it.
  asio::io_context io;
  tcp::acceptor acceptor{io};
  NodeId self_id;
  Disk& disk;
  NodeFactory make_node;
  TcpOptions options;
  TcpStats stats;
  std::uint64_t incarnation;
  std::chrono::steady_clock::time_point origin = std::chrono::steady_clock::now();
  std::map<NodeId, std::unique_ptr<Outgoing>> peers;
  // Replaced peers' connections, closed but kept: their cancelled handlers still run.
  std::vector<std::unique_ptr<Outgoing>> replaced;
  std::set<std::shared_ptr<Incoming>> incoming;
  std::map<TimerId, std::unique_ptr<asio::steady_timer>> timers;
  TimerId next_timer = 1;
  std::unique_ptr<Node> node;

  Impl(NodeId self, Disk& d, NodeFactory make, TcpOptions opts)
      : self_id(self), disk(d), make_node(std::move(make)), options(std::move(opts)) {
    std::random_device entropy;
    incarnation = (std::uint64_t{entropy()} << 32) ^ entropy();
  }

  void log(std::string_view what) const {
    if (options.log) {
      options.log(what);
    } else {
      std::cerr << "calm tcp node " << self_id << ": " << what << '\n';
    }
  }

  // ---- Transport ----
  NodeId self() const override { return self_id; }
  std::uint64_t now_ms() const override {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - origin)
                                          .count());
  }
  void send(NodeId to, std::string bytes) override;
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

  void start_node() {
    if (node) return;
    node = make_node(NodeContext{*this, disk, incarnation});
    node->on_start();
  }
  void accept();
  void close_all();
};

/// The connection this node opened to one peer, and what waits to go over it.
struct TcpRuntime::Impl::Outgoing {
  Impl& rt;
  TcpPeer peer;
  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer retry;
  std::deque<std::string> queue;  // framed: length prefix and payload
  std::uint64_t queued_bytes = 0;
  std::uint64_t backoff_ms;
  bool connected = false, connecting = false, writing = false, hello_sent = false;
  bool retry_pending = false;

  Outgoing(Impl& runtime, TcpPeer p)
      : rt(runtime),
        peer(std::move(p)),
        socket(runtime.io),
        resolver(runtime.io),
        retry(runtime.io),
        backoff_ms(runtime.options.reconnect_initial_ms) {}

  void enqueue(std::string payload) {
    if (payload.size() > rt.options.frame_bytes_max) {
      ++rt.stats.messages_dropped;
      rt.log("dropped a message of " + std::to_string(payload.size()) + " bytes to node " +
             std::to_string(peer.id) + ": above frame_bytes_max");
      return;
    }
    const auto header = wire::encode_frame_header(static_cast<std::uint32_t>(payload.size()));
    std::string frame(header.data(), header.size());
    frame += payload;
    if (queued_bytes + frame.size() > rt.options.send_queue_bytes_max) {
      ++rt.stats.messages_dropped;  // best effort: the protocol retransmits what matters
      return;
    }
    queued_bytes += frame.size();
    queue.push_back(std::move(frame));
    if (connected) {
      if (!writing) write_next();
    } else if (!connecting && !retry_pending) {
      connect();
    }
  }

  void connect() {
    connecting = true;
    ++rt.stats.reconnect_attempts;
    resolver.async_resolve(
        peer.host, std::to_string(peer.port),
        [this](const error_code& ec, const tcp::resolver::results_type& endpoints) {
          if (ec) return fail();
          asio::async_connect(socket, endpoints,
                              [this](const error_code& ec2, const tcp::endpoint&) {
                                if (ec2) return fail();
                                socket.set_option(tcp::no_delay(true));
                                connecting = false;
                                connected = true;
                                hello_sent = false;
                                backoff_ms = rt.options.reconnect_initial_ms;
                                write_next();
                              });
        });
  }

  void fail() {
    error_code ignored;
    socket.close(ignored);
    connected = connecting = writing = false;
    retry_pending = true;
    retry.expires_after(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, rt.options.reconnect_max_ms);
    retry.async_wait([this](const error_code& ec) {
      retry_pending = false;
      if (ec) return;  // cancelled at shutdown
      if (!queue.empty()) connect();
    });
  }

  void write_next() {
    if (!hello_sent) {
      writing = true;
      auto hello = std::make_shared<Hello>(wire::encode_hello({rt.self_id, rt.incarnation}));
      asio::async_write(socket, asio::buffer(*hello),
                        [this, hello](const error_code& ec, std::size_t) {
                          if (ec) return fail();
                          hello_sent = true;
                          write_next();
                        });
      return;
    }
    if (queue.empty()) {
      writing = false;
      return;
    }
    writing = true;
    asio::async_write(
        socket, asio::buffer(queue.front()), [this](const error_code& ec, std::size_t) {
          if (ec) return fail();  // the frame stays queued and goes again on the next connection
          queued_bytes -= queue.front().size();
          queue.pop_front();
          ++rt.stats.frames_sent;
          write_next();
        });
  }

  void close() {
    error_code ignored;
    resolver.cancel();
    retry.cancel();
    socket.close(ignored);
  }
};

/// A connection a peer opened to this node: a hello, then frames.
struct TcpRuntime::Impl::Incoming : std::enable_shared_from_this<Incoming> {
  Impl& rt;
  tcp::socket socket;
  Hello hello{};
  std::array<char, wire::frame_header_bytes> length{};
  std::string payload;
  NodeId from = 0;

  asio::steady_timer hello_deadline;

  Incoming(Impl& runtime, tcp::socket s)
      : rt(runtime), socket(std::move(s)), hello_deadline(runtime.io) {}

  void start() {
    auto self = shared_from_this();
    // A connection that never completes its hello would otherwise hold a socket forever.
    hello_deadline.expires_after(std::chrono::milliseconds(rt.options.hello_timeout_ms));
    hello_deadline.async_wait([this, self](const error_code& ec) {
      if (!ec) reject("no hello within " + std::to_string(rt.options.hello_timeout_ms) + " ms");
    });
    asio::async_read(socket, asio::buffer(hello), [this, self](const error_code& ec, std::size_t) {
      hello_deadline.cancel();
      if (ec) return close();
      const auto parsed = wire::decode_hello(std::string_view(hello.data(), hello.size()));
      if (const auto* why = std::get_if<std::string>(&parsed)) return reject(*why);
      from = std::get<wire::Hello>(parsed).from;
      if (!rt.peers.contains(from)) {
        return reject("node " + std::to_string(from) + " is not a peer");
      }
      read_frame();
    });
  }

  void read_frame() {
    auto self = shared_from_this();
    asio::async_read(socket, asio::buffer(length), [this, self](const error_code& ec, std::size_t) {
      if (ec) return close();
      const wire::FrameHeader header = wire::decode_frame_header(
          std::string_view(length.data(), length.size()), rt.options.frame_bytes_max);
      if (!header.within_bound) {
        return reject("a frame of " + std::to_string(header.payload_bytes) + " bytes from node " +
                      std::to_string(from) + ", above frame_bytes_max");
      }
      payload.resize(header.payload_bytes);
      asio::async_read(socket, asio::buffer(payload),
                       [this, self](const error_code& ec2, std::size_t) {
                         if (ec2) return close();
                         ++rt.stats.frames_received;
                         if (rt.node) rt.node->on_message(from, payload);
                         read_frame();
                       });
    });
  }

  void reject(const std::string& reason) {
    if (!socket.is_open()) return;  // closed already (the deadline and the read both fired)
    ++rt.stats.connections_rejected;
    rt.log("rejected a connection: " + reason);
    close();
  }

  void close() {
    error_code ignored;
    hello_deadline.cancel();
    socket.close(ignored);
    rt.incoming.erase(shared_from_this());
  }
};

void TcpRuntime::Impl::send(NodeId to, std::string bytes) {
  auto it = peers.find(to);
  if (it == peers.end()) return;  // not a peer: dropped, as the Transport contract says
  it->second->enqueue(std::move(bytes));
}

void TcpRuntime::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      auto connection = std::make_shared<Incoming>(*this, std::move(socket));
      incoming.insert(connection);
      connection->start();
    }
    accept();
  });
}

void TcpRuntime::Impl::close_all() {
  error_code ignored;
  acceptor.close(ignored);
  for (auto& [id, out] : peers) out->close();
  for (const auto& connection : std::set<std::shared_ptr<Incoming>>(incoming)) {
    connection->socket.close(ignored);
  }
  incoming.clear();
  for (auto& [id, timer] : timers) timer->cancel();
  timers.clear();
}

TcpRuntime::TcpRuntime(NodeId self, std::string listen_host, std::uint16_t listen_port,
                       std::vector<TcpPeer> peers, Disk& disk, NodeFactory make_node,
                       TcpOptions options)
    : impl_(std::make_unique<Impl>(self, disk, std::move(make_node), std::move(options))) {
  const tcp::endpoint endpoint(asio::ip::make_address(listen_host), listen_port);
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

const TcpStats& TcpRuntime::stats() const { return impl_->stats; }

boost::asio::io_context& TcpRuntime::io_context() { return impl_->io; }

}  // namespace calm::protocols::net
