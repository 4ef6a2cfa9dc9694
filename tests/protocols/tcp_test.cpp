// TcpRuntime on loopback: delivery, bad input from raw sockets, reconnection, bounded queues.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <protocols/net/simulator.hpp>  // MemoryDisk
#include <protocols/net/tcp.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace calm::protocols::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// What a node received, readable from the test's thread.
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<NodeId, std::string>> messages;
  int timers_fired = 0;

  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return messages.size() >= count; });
  }
  bool wait_for_timer(std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return timers_fired > 0; });
  }
};

class RecordingNode final : public Node {
 public:
  RecordingNode(Transport& transport, Inbox& inbox) : transport_(transport), inbox_(inbox) {}
  void on_start() override { transport_.set_timer(1); }
  void on_message(NodeId from, std::string_view bytes) override {
    std::lock_guard lock(inbox_.mutex);
    inbox_.messages.emplace_back(from, std::string(bytes));
    inbox_.changed.notify_all();
  }
  void on_timer(TimerId) override {
    std::lock_guard lock(inbox_.mutex);
    ++inbox_.timers_fired;
    inbox_.changed.notify_all();
  }
  Transport& transport() { return transport_; }

 private:
  Transport& transport_;
  Inbox& inbox_;
};

/// One node on its own thread.
struct Running {
  MemoryDisk disk;
  Inbox inbox;
  std::vector<std::string> log;
  std::mutex log_mutex;
  TcpRuntime runtime;
  std::thread thread;

  Running(NodeId id, std::vector<TcpPeer> peers, TcpOptions options = {}, std::uint16_t port = 0)
      : runtime(
            id, "127.0.0.1", port, std::move(peers), disk,
            [this](const NodeContext& c) {
              return std::make_unique<RecordingNode>(c.transport, inbox);
            },
            with_log(std::move(options))) {}
  ~Running() { stop(); }

  TcpOptions with_log(TcpOptions options) {
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex);
      log.emplace_back(line);
    };
    return options;
  }
  void start() {
    thread = std::thread([this] { runtime.run(); });
  }
  void stop() {
    if (!thread.joinable()) return;
    runtime.stop();
    thread.join();
  }
  /// The runtime's counters, read on its own thread (they are not atomic).
  TcpStats stats_now() {
    std::promise<TcpStats> copy;
    runtime.post([&](Node&) { copy.set_value(runtime.stats()); });
    return copy.get_future().get();
  }
  /// Polls until `done(stats)` holds; a write's completion can trail its delivery.
  bool stats_reach(const std::function<bool(const TcpStats&)>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done(stats_now())) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  void send(NodeId to, std::string bytes) {
    runtime.post([to, bytes = std::move(bytes)](Node& node) {
      static_cast<RecordingNode&>(node).transport().send(to, bytes);
    });
  }
  std::vector<std::string> logged() {
    std::lock_guard lock(log_mutex);
    return log;
  }
};

/// A hand-made connection to `port`, for sending what no TcpRuntime would.
struct RawClient {
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  explicit RawClient(std::uint16_t port) {
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void write(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  static std::string le(std::uint64_t value, std::size_t bytes) {
    std::string out(bytes, '\0');
    for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
  }
  static std::string hello(NodeId from, std::uint32_t version = 1) {
    return "calm-net" + le(version, 4) + le(from, 8) + le(42, 8);
  }
  /// Whether the other side closed the connection (reads until EOF, bounded in time).
  bool closed_by_peer() {
    // Each read gives up after a second, so that a test fails rather than hangs.
    const timeval second{1, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    char byte;
    boost::system::error_code ec;
    for (int attempt = 0; attempt < 5; ++attempt) {
      socket.read_some(asio::buffer(&byte, 1), ec);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
      if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return false;
    }
    return false;
  }
};

bool logged_containing(Running& node, const std::string& text) {
  for (int i = 0; i < 500; ++i) {
    for (const std::string& line : node.logged()) {
      if (line.find(text) != std::string::npos) return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(TcpRuntime, TwoNodesOnLoopbackExchangeMessagesInBothDirections) {
  Running a(1, {}), b(2, {});
  a.runtime.set_peer({2, "127.0.0.1", b.runtime.port()});
  b.runtime.set_peer({1, "127.0.0.1", a.runtime.port()});
  a.start();
  b.start();
  a.send(2, "hello b");
  b.send(1, "hello a");
  a.send(2, std::string(100000, 'x'));  // larger than one socket write
  ASSERT_TRUE(b.inbox.wait_for(2));
  ASSERT_TRUE(a.inbox.wait_for(1));
  ASSERT_TRUE(a.inbox.wait_for_timer());  // the timer on_start set
  EXPECT_TRUE(a.stats_reach([](const TcpStats& s) { return s.frames_sent == 2; }));
  a.stop();
  b.stop();
  EXPECT_EQ(b.inbox.messages[0], (std::pair<NodeId, std::string>{1, "hello b"}));
  EXPECT_EQ(b.inbox.messages[1].second, std::string(100000, 'x'));
  EXPECT_EQ(a.inbox.messages[0], (std::pair<NodeId, std::string>{2, "hello a"}));
  EXPECT_EQ(a.runtime.stats().frames_sent, 2u);
  EXPECT_EQ(b.runtime.stats().frames_received, 2u);
}

TEST(TcpRuntime, AnOversizedFrameClosesItsConnectionAndTheNodeKeepsServing) {
  TcpOptions options;
  options.frame_bytes_max = 1024;
  Running a(1, {}, options), b(2, {});
  a.runtime.set_peer({2, "127.0.0.1", b.runtime.port()});
  b.runtime.set_peer({1, "127.0.0.1", a.runtime.port()});
  a.start();
  b.start();
  RawClient raw(a.runtime.port());
  raw.write(RawClient::hello(2) + RawClient::le(1 << 20, 4));  // claims a 1 MiB frame
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "1048576 bytes from node 2, above frame_bytes_max"));
  b.send(1, "still here");
  ASSERT_TRUE(a.inbox.wait_for(1));
  a.stop();
  EXPECT_EQ(a.inbox.messages.size(), 1u);  // nothing of the oversized frame reached the node
  EXPECT_EQ(a.runtime.stats().connections_rejected, 1u);
}

TEST(TcpRuntime, AHelloFromAnUnknownNodeOrNotCalmAtAllIsRejected) {
  Running a(1, {{2, "127.0.0.1", 1}});
  a.start();
  RawClient stranger(a.runtime.port());
  stranger.write(RawClient::hello(99) + RawClient::le(5, 4) + "sneak");
  EXPECT_TRUE(stranger.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "node 99 is not a peer"));

  RawClient http(a.runtime.port());
  http.write("GET / HTTP/1.1\r\nHost: example\r\n\r\n");
  EXPECT_TRUE(http.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "bad magic"));

  RawClient future(a.runtime.port());
  future.write(RawClient::hello(2, 7));
  EXPECT_TRUE(future.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "wire version 7"));
  a.stop();
  EXPECT_TRUE(a.inbox.messages.empty());
  EXPECT_EQ(a.runtime.stats().connections_rejected, 3u);
}

TEST(TcpRuntime, AConnectionThatNeverCompletesItsHelloIsClosed) {
  TcpOptions options;
  options.hello_timeout_ms = 100;
  Running a(1, {{2, "127.0.0.1", 1}}, options);
  a.start();
  RawClient slow(a.runtime.port());
  slow.write("calm");  // half a magic, then nothing
  EXPECT_TRUE(slow.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "no hello within 100 ms"));
  a.stop();
}

TEST(TcpRuntime, MessagesToAPeerThatIsDownArriveOnceItComesUp) {
  // Find a free port, then leave it closed while node 1 sends: it retries with backoff.
  std::uint16_t port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  Running a(1, {{2, "127.0.0.1", port}});
  a.start();
  a.send(2, "first");
  a.send(2, "second");
  std::this_thread::sleep_for(200ms);  // several refused attempts
  Running b(2, {{1, "127.0.0.1", a.runtime.port()}}, {}, port);
  b.start();
  ASSERT_TRUE(b.inbox.wait_for(2));
  a.stop();
  b.stop();
  EXPECT_EQ(b.inbox.messages[0].second, "first");
  EXPECT_EQ(b.inbox.messages[1].second, "second");
  EXPECT_GE(a.runtime.stats().reconnect_attempts, 2u);
}

TEST(TcpRuntime, ASendQueueToADeadPeerStaysWithinItsBound) {
  TcpOptions options;
  options.send_queue_bytes_max = 1u << 20;
  Running a(1, {{2, "127.0.0.1", 1}}, options);  // port 1: nobody listens
  a.start();
  for (int i = 0; i < 64; ++i) a.send(2, std::string(64 * 1024, 'x'));  // 4 MiB in all
  std::atomic<bool> done = false;
  a.runtime.post([&](Node&) { done = true; });
  for (int i = 0; i < 500 && !done; ++i) std::this_thread::sleep_for(10ms);
  a.stop();
  ASSERT_TRUE(done);
  // At most 1 MiB of 64 KiB frames fit: 15 (each frame carries a 4-byte length too).
  EXPECT_EQ(a.runtime.stats().messages_dropped, 64u - 15u);
}

TEST(TcpRuntime, AMessageAboveTheFrameBoundIsDroppedNotSent) {
  TcpOptions options;
  options.frame_bytes_max = 100;
  Running a(1, {}, options), b(2, {}, options);
  a.runtime.set_peer({2, "127.0.0.1", b.runtime.port()});
  b.runtime.set_peer({1, "127.0.0.1", a.runtime.port()});
  a.start();
  b.start();
  a.send(2, std::string(101, 'x'));
  a.send(2, "fits");
  ASSERT_TRUE(b.inbox.wait_for(1));
  a.stop();
  b.stop();
  EXPECT_EQ(b.inbox.messages.size(), 1u);
  EXPECT_EQ(b.inbox.messages[0].second, "fits");
  EXPECT_EQ(a.runtime.stats().messages_dropped, 1u);
  EXPECT_TRUE(logged_containing(a, "above frame_bytes_max"));
}

}  // namespace
}  // namespace calm::protocols::net
