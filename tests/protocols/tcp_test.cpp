// TcpRuntime on loopback: delivery, bad input from raw sockets, reconnection, bounded queues;
// anti-entropy replicas on the protocol host over it, durable in RocksDB.
#include "protocols/net/tcp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lattices/aw_set.hpp"
#include "protocols/anti_entropy/node.hpp"
#include "protocols/net/simulator.hpp"  // MemoryDisk
#include "protocols/net/tcp_wire.hpp"
#include "protocols/storage/rocks_disk.hpp"

namespace calm::protocols::net {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// What a node received, readable from the test's thread.
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<NodeId, std::string>> messages;
  std::vector<std::optional<std::uint64_t>> incarnations;  // peer_incarnation(from) at each
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
    inbox_.incarnations.push_back(transport_.peer_incarnation(from));
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
  /// Writes what the other side takes before it closes the connection.
  void write_until_closed(const std::string& bytes) {
    boost::system::error_code ignored;
    asio::write(socket, asio::buffer(bytes), ignored);
  }
  static std::string le(std::uint64_t value, std::size_t bytes) {
    std::string out(bytes, '\0');
    for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
  }
  /// A wire version 1 hello: no nonce, no proof (what any local process could write).
  static std::string old_hello(NodeId from, std::uint32_t version = 1) {
    return "calm-net" + le(version, 4) + le(from, 8) + le(42, 8);
  }
  /// Reads exactly `n` bytes, or returns what came before the other side closed or five
  /// seconds passed.
  std::string read_exactly(std::size_t n) {
    std::string out;
    char bytes[256];
    for (int attempt = 0; attempt < 50 && out.size() < n; ++attempt) {
      pollfd waiting{socket.native_handle(), POLLIN, 0};
      if (::poll(&waiting, 1, 100) <= 0) continue;
      const ssize_t got =
          ::recv(socket.native_handle(), bytes, std::min(sizeof bytes, n - out.size()), 0);
      if (got <= 0) break;
      out.append(bytes, static_cast<std::size_t>(got));
    }
    return out;
  }
  /// Whether the other side closed the connection (reads until EOF, bounded in time: five
  /// waits of a second each, so that a test fails rather than hangs).
  bool closed_by_peer() {
    char bytes[4096];
    for (int attempt = 0; attempt < 5; ++attempt) {
      pollfd waiting{socket.native_handle(), POLLIN, 0};
      if (::poll(&waiting, 1, 1000) <= 0) continue;
      const ssize_t n = ::recv(socket.native_handle(), bytes, sizeof bytes, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
      if (n < 0) return false;
    }
    return false;
  }
};

const std::string secret = "a cluster secret of 32 bytes ...";
static_assert(sizeof("a cluster secret of 32 bytes ...") == 33);

/// A hand-made initiator speaking wire version 2: it completes the handshake (with whatever
/// secret it is given) and then writes frames it tags itself.
struct RawPeer : RawClient {
  wire::Key key{};
  std::uint64_t sequence = 0;
  bool welcome_checked = false;

  explicit RawPeer(std::uint16_t port) : RawClient(port) {}
  /// Handshakes as `from` to `to`; `proof_secret` is what it proves with. Returns whether a
  /// welcome arrived (`welcome_checked` says whether its proof holds for `proof_secret`).
  bool handshake(NodeId from, NodeId to, const std::string& proof_secret) {
    wire::Hello hello{from, to, 42, {}};
    std::mt19937_64 random{std::random_device{}()};
    for (auto& byte : hello.nonce) byte = static_cast<unsigned char>(random());
    const auto h = wire::encode_hello(hello);
    write(std::string(h.data(), h.size()));
    const std::string bytes = read_exactly(wire::welcome_bytes);
    if (bytes.size() != wire::welcome_bytes) return false;
    const auto welcome = std::get<wire::Welcome>(wire::decode_welcome(bytes));
    const wire::Transcript t{from, to, 42, welcome.incarnation, hello.nonce, welcome.nonce};
    welcome_checked = wire::check_proof(proof_secret, wire::Role::acceptor, t, welcome.proof);
    const wire::Proof proof = wire::make_proof(proof_secret, wire::Role::initiator, t);
    write(std::string(reinterpret_cast<const char*>(proof.data()), proof.size()));
    key = wire::frame_key(proof_secret, t);
    return true;
  }
  /// The next frame of this session, tagged.
  std::string frame(const std::string& payload) {
    return wire::encode_frame(key, sequence++, payload);
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

// A connection keys its MAC once and restarts it per frame: every tag must still be the tag
// a fresh key gives, also after a tag abandoned half way.
TEST(TcpWire, AKeyedMacRestartedPerFrameGivesEachFrameItsOwnTag) {
  wire::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 7 + 1);
  wire::FrameMac mac(key);
  const std::vector<std::string> payloads = {"", "a", std::string(100, 'x'), "last"};
  for (std::uint64_t sequence = 0; sequence < 8; ++sequence) {
    const std::string& payload = payloads[sequence % payloads.size()];
    EXPECT_EQ(mac.tag(sequence, payload), wire::frame_tag(key, sequence, payload)) << sequence;
    mac.start(sequence + 100, 5);  // abandoned: the next tag starts over
    mac.update("abc");
  }
  EXPECT_NE(wire::frame_tag(key, 0, "a"), wire::frame_tag(key, 1, "a"));
  wire::Key other = key;
  other[0] ^= 1;
  EXPECT_NE(wire::frame_tag(key, 0, "a"), wire::frame_tag(other, 0, "a"));
}

// Frames fed one byte at a time (each payload spans feeds) and all at once (each is whole
// within the feed) come out the same, and a flipped bit is refused at its frame.
TEST(TcpWire, AFrameReaderChecksFramesWholeOrSplitAtEveryByte) {
  wire::Key key{};
  key[3] = 9;
  std::string stream;
  std::vector<std::string> sent;
  for (std::uint64_t sequence = 0; sequence < 5; ++sequence) {
    sent.push_back(std::string(sequence * 13, static_cast<char>('a' + sequence)));
    stream += wire::encode_frame(key, sequence, sent.back());
  }
  for (const std::size_t step : {std::size_t{1}, stream.size()}) {
    wire::FrameReader reader(key, 1 << 20);
    std::vector<std::string> got;
    for (std::size_t at = 0; at < stream.size(); at += step) {
      reader.feed(std::string_view(stream).substr(at, step),
                  [&](std::string_view payload) { got.emplace_back(payload); });
    }
    EXPECT_EQ(got, sent) << "step " << step;
  }
  std::string tampered = stream;
  tampered[tampered.size() - 40] ^= 1;  // in the last frame's payload
  wire::FrameReader reader(key, 1 << 20);
  std::size_t frames = 0;
  try {
    reader.feed(tampered, [&](std::string_view) { ++frames; });
    ADD_FAILURE() << "a tampered frame was accepted";
  } catch (const wire::FrameError& e) {
    EXPECT_EQ(e.kind, wire::FrameError::Kind::bad_tag);
    EXPECT_EQ(e.number, 4u);
  }
  EXPECT_EQ(frames, 4u);
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
  RawPeer raw(a.runtime.port());
  ASSERT_TRUE(raw.handshake(2, 1, ""));
  raw.write(RawClient::le(1 << 20, 4));  // claims a 1 MiB frame
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
  RawPeer stranger(a.runtime.port());
  EXPECT_FALSE(stranger.handshake(99, 1, ""));
  EXPECT_TRUE(stranger.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "node 99 is not a peer"));

  RawClient http(a.runtime.port());
  http.write("GET / HTTP/1.1\r\nHost: example\r\n\r\n");
  EXPECT_TRUE(http.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "bad magic"));

  RawClient future(a.runtime.port());
  future.write(RawClient::old_hello(2, 7));
  EXPECT_TRUE(future.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "wire version 7"));
  RawPeer misdirected(a.runtime.port());
  EXPECT_FALSE(misdirected.handshake(2, 3, ""));
  EXPECT_TRUE(logged_containing(a, "node 2 meant to reach node 3"));
  a.stop();
  EXPECT_TRUE(a.inbox.messages.empty());
  EXPECT_EQ(a.runtime.stats().connections_rejected, 4u);
}

TEST(TcpRuntime, AConnectionThatNeverCompletesItsHelloIsClosed) {
  TcpOptions options;
  options.hello_timeout_ms = 100;
  Running a(1, {{2, "127.0.0.1", 1}}, options);
  a.start();
  RawClient slow(a.runtime.port());
  slow.write("calm");  // half a magic, then nothing
  EXPECT_TRUE(slow.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "no handshake within 100 ms"));
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

TEST(TcpRuntime, APeerThatConnectsBackEndsTheBackoffOfTheConnectionToIt) {
  std::uint16_t port;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  TcpOptions patient;
  patient.reconnect_initial_ms = 20;
  patient.reconnect_max_ms = 60000;
  Running a(1, {{2, "127.0.0.1", port}}, patient);
  a.start();
  a.send(2, "waiting");
  // Refused at about 0, 20, 60, 140, 300, 620, 1260, 2540 ms: the next is 2 s or more away.
  std::this_thread::sleep_for(2700ms);
  Running b(2, {{1, "127.0.0.1", a.runtime.port()}}, {}, port);
  b.start();
  b.send(1, "back");  // b's connection to a proves b is up
  ASSERT_TRUE(a.inbox.wait_for(1));
  EXPECT_TRUE(b.inbox.wait_for(1, 1000ms));  // not after a's backoff
  a.stop();
  b.stop();
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

TEST(TcpRuntime, AnUnauthenticatedHelloAndDeltaFromAnyLocalProcessReachNothing) {
  // The attack: a process that knows a peer's id writes a hello and a frame.
  TcpOptions options;
  options.hello_timeout_ms = 300;
  Running a(1, {{2, "127.0.0.1", 1}}, options);
  a.start();
  RawClient raw(a.runtime.port());
  raw.write(RawClient::old_hello(2, 1) + RawClient::le(5, 4) + "delta");
  EXPECT_TRUE(raw.closed_by_peer());
  std::this_thread::sleep_for(100ms);  // had it been delivered, it would have been by now
  a.stop();
  EXPECT_TRUE(a.inbox.messages.empty());
  EXPECT_GE(a.runtime.stats().connections_rejected, 1u);
}

TEST(TcpRuntime, AHeaderClaiming16MiBWithoutItsBodyCostsWhatArrivedAndTimesOut) {
  TcpOptions options;
  options.frame_timeout_ms = 200;
  Running a(1, {{2, "127.0.0.1", 1}}, options);
  a.start();
  RawPeer raw(a.runtime.port());
  ASSERT_TRUE(raw.handshake(2, 1, ""));
  raw.write(RawClient::le(16u << 20, 4) + std::string(1000, 'x'));
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "not completed within 200 ms"));
  const TcpStats stats = a.stats_now();
  a.stop();
  EXPECT_LE(stats.incoming_buffered_bytes_peak, 64u * 1024);  // what arrived, not 16 MiB
  EXPECT_EQ(stats.incoming_buffered_bytes, 0u);
  EXPECT_TRUE(a.inbox.messages.empty());
}

TEST(TcpRuntime, FramesThatArriveWholeCostNoBudgetAndAFrameAsLargeAsTheBudgetFits) {
  TcpOptions options;
  options.incoming_buffer_bytes_max = 256u << 10;
  options.frame_bytes_max = 256u << 10;
  Running a(1, {{2, "127.0.0.1", 1}}, options);
  a.start();
  RawPeer raw(a.runtime.port());
  ASSERT_TRUE(raw.handshake(2, 1, ""));
  // 2,000 small frames in one write: far more bytes than a read, none of them kept.
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst += raw.frame(std::string(200, 'x'));
  raw.write(burst);
  // One frame exactly as large as the budget: its payload is charged, its header and tag not.
  raw.write(raw.frame(std::string(256u << 10, 'y')));
  ASSERT_TRUE(a.inbox.wait_for(2001));
  const TcpStats stats = a.stats_now();
  a.stop();
  EXPECT_EQ(stats.connections_rejected, 0u);
  EXPECT_EQ(stats.incoming_buffered_bytes, 0u);
  EXPECT_LE(stats.incoming_buffered_bytes_peak, 256u << 10);
  EXPECT_EQ(a.inbox.messages.back().second.size(), 256u << 10);
}

TEST(TcpRuntime, ManyStalledFramesStayWithinTheTotalBudget) {
  TcpOptions options;
  options.incoming_buffer_bytes_max = 1u << 20;
  std::vector<TcpPeer> peers;
  for (NodeId id = 2; id <= 9; ++id) peers.push_back({id, "127.0.0.1", 1});
  Running a(1, peers, options);
  a.start();
  // Eight peers each start a 4 MiB frame and send 200 KiB of it: 1.6 MiB in all, and a
  // connection keeps what arrived, so at most five fit the 1 MiB budget.
  std::vector<std::unique_ptr<RawPeer>> raws;
  for (NodeId id = 2; id <= 9; ++id) {
    raws.push_back(std::make_unique<RawPeer>(a.runtime.port()));
    ASSERT_TRUE(raws.back()->handshake(id, 1, ""));
    raws.back()->write_until_closed(RawClient::le(4u << 20, 4) + std::string(200 * 1024, 'x'));
  }
  EXPECT_TRUE(a.stats_reach([](const TcpStats& s) { return s.connections_rejected >= 3; }));
  EXPECT_TRUE(logged_containing(a, "incoming_buffer_bytes_max"));
  const TcpStats stats = a.stats_now();
  raws.clear();
  a.stop();
  EXPECT_LE(stats.incoming_buffered_bytes_peak, 1u << 20);
  EXPECT_TRUE(a.inbox.messages.empty());
}

/// The lowest descriptor number not in use: a descriptor limit of it leaves none free.
int lowest_free_descriptor() {
  const int fd = ::dup(0);
  ::close(fd);
  return fd;
}

TEST(TcpRuntime, AcceptBacksOffWhenDescriptorsRunOut) {
  // In a child process, whose descriptor limit can drop without harming the test binary.
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    Running a(1, {});
    RawClient first(a.runtime.port()), second(a.runtime.port());  // queued, not yet accepted
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = static_cast<rlim_t>(lowest_free_descriptor());
    ::setrlimit(RLIMIT_NOFILE, &limit);  // every accept now fails with EMFILE
    a.runtime.run_for(700);              // backoff 100, 200, 400 ms: about 4 attempts
    const std::uint64_t failures = a.runtime.stats().accept_failures;
    bool logged = false;
    for (const std::string& line : a.logged()) {
      logged = logged || line.find("accept failed") != std::string::npos;
    }
    std::fprintf(stderr, "child: %llu failed accepts, logged: %d\n",
                 static_cast<unsigned long long>(failures), logged ? 1 : 0);
    ::_exit(!logged ? 201 : static_cast<int>(std::min<std::uint64_t>(failures, 200)));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  EXPECT_NE(code, 201) << "no log line about failed accepts";
  EXPECT_GE(code, 1) << "accept never failed: the test proves nothing";
  EXPECT_LE(code, 10) << "accept retried without backing off";
}

TEST(TcpRuntime, TwoNodesWithTheClusterSecretExchangeMessages) {
  TcpOptions options;
  options.cluster_secret = secret;
  Running a(1, {}, options), b(2, {}, options);
  a.runtime.set_peer({2, "127.0.0.1", b.runtime.port()});
  b.runtime.set_peer({1, "127.0.0.1", a.runtime.port()});
  a.start();
  b.start();
  a.send(2, "to b");
  a.send(2, std::string(300000, 'y'));  // several read steps, one tag
  b.send(1, "to a");
  ASSERT_TRUE(b.inbox.wait_for(2));
  ASSERT_TRUE(a.inbox.wait_for(1));
  a.stop();
  b.stop();
  EXPECT_EQ(b.inbox.messages[0], (std::pair<NodeId, std::string>{1, "to b"}));
  EXPECT_EQ(b.inbox.messages[1].second, std::string(300000, 'y'));
  EXPECT_EQ(a.inbox.messages[0], (std::pair<NodeId, std::string>{2, "to a"}));
  EXPECT_EQ(b.runtime.stats().authentication_failures, 0u);
  EXPECT_TRUE(b.inbox.incarnations[0].has_value());          // a's, as its handshake proved it
  EXPECT_EQ(b.runtime.stats().incoming_buffered_bytes, 0u);  // released after delivery
}

TEST(TcpRuntime, AWrongSecretIsRefusedByTheInitiatorAndByTheAcceptor) {
  TcpOptions options_a, options_b;
  options_a.cluster_secret = secret;
  options_b.cluster_secret = std::string(32, 'x');
  Running a(1, {}, options_a), b(2, {}, options_b);
  a.runtime.set_peer({2, "127.0.0.1", b.runtime.port()});
  b.runtime.set_peer({1, "127.0.0.1", a.runtime.port()});
  a.start();
  b.start();
  a.send(2, "from a");
  b.send(1, "from b");
  // Each initiator checks the acceptor's proof first, and refuses it.
  EXPECT_TRUE(logged_containing(a, "refused the connection to node 2: it failed to prove"));
  EXPECT_TRUE(logged_containing(b, "refused the connection to node 1: it failed to prove"));
  // An initiator that ignores the acceptor's proof still fails on its own.
  RawPeer forger(a.runtime.port());
  ASSERT_TRUE(forger.handshake(2, 1, std::string(32, 'x')));
  EXPECT_FALSE(forger.welcome_checked);
  forger.write(forger.frame("forged"));
  EXPECT_TRUE(forger.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "node 2 failed to prove the cluster secret"));
  // Nor does a node without any secret get in.
  RawPeer none(a.runtime.port());
  ASSERT_TRUE(none.handshake(2, 1, ""));
  none.write(none.frame("no secret"));
  EXPECT_TRUE(none.closed_by_peer());
  a.stop();
  b.stop();
  EXPECT_TRUE(a.inbox.messages.empty());
  EXPECT_TRUE(b.inbox.messages.empty());
  EXPECT_GE(a.runtime.stats().authentication_failures, 3u);
}

TEST(TcpRuntime, ATamperedReplayedOrSplicedFrameClosesTheConnectionAndReachesNothing) {
  TcpOptions options;
  options.cluster_secret = secret;
  Running a(1, {{2, "127.0.0.1", 1}}, options);
  a.start();
  // A flipped bit in a tag.
  RawPeer first(a.runtime.port());
  ASSERT_TRUE(first.handshake(2, 1, secret));
  EXPECT_TRUE(first.welcome_checked);
  first.write(first.frame("one"));
  ASSERT_TRUE(a.inbox.wait_for(1));
  std::string tampered = first.frame("two");
  tampered.back() = static_cast<char>(tampered.back() ^ 1);
  first.write(tampered);
  EXPECT_TRUE(first.closed_by_peer());
  EXPECT_TRUE(logged_containing(a, "frame 1 from node 2 fails its tag"));
  // A frame sent again on its own connection: its sequence number has passed.
  RawPeer second(a.runtime.port());
  ASSERT_TRUE(second.handshake(2, 1, secret));
  const std::string three = second.frame("three");
  second.write(three);
  ASSERT_TRUE(a.inbox.wait_for(2));
  second.write(three);
  EXPECT_TRUE(second.closed_by_peer());
  // A frame from another session, at the right sequence number: its key differs.
  RawPeer third(a.runtime.port());
  ASSERT_TRUE(third.handshake(2, 1, secret));
  third.write(wire::encode_frame(second.key, 0, "spliced"));
  EXPECT_TRUE(third.closed_by_peer());
  // And the first session's frame replayed on a fourth connection.
  RawPeer fourth(a.runtime.port());
  ASSERT_TRUE(fourth.handshake(2, 1, secret));
  fourth.write(wire::encode_frame(first.key, 0, "one"));
  EXPECT_TRUE(fourth.closed_by_peer());
  const TcpStats stats = a.stats_now();
  a.stop();
  ASSERT_EQ(a.inbox.messages.size(), 2u);
  EXPECT_EQ(a.inbox.messages[0].second, "one");
  EXPECT_EQ(a.inbox.messages[1].second, "three");
  EXPECT_EQ(stats.authentication_failures, 4u);
  // The node can tell which life of the peer sent each message: the one it authenticated.
  EXPECT_EQ(a.inbox.incarnations[0], std::optional<std::uint64_t>(42));
}

TEST(TcpRuntime, ListeningBeyondLoopbackNeedsASecretOfAtLeast32Bytes) {
  MemoryDisk disk;
  const NodeFactory none = [](const NodeContext&) -> std::unique_ptr<Node> { return nullptr; };
  try {
    TcpRuntime open(1, "0.0.0.0", 0, {}, disk, none);
    ADD_FAILURE() << "listened on 0.0.0.0 without a secret";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("without a cluster secret"), std::string::npos);
  }
  TcpOptions short_secret;
  short_secret.cluster_secret = std::string(31, 's');
  EXPECT_THROW(TcpRuntime(1, "127.0.0.1", 0, {}, disk, none, short_secret), std::invalid_argument);
  TcpOptions options;
  options.cluster_secret = secret;
  EXPECT_NO_THROW(TcpRuntime(1, "0.0.0.0", 0, {}, disk, none, options));
  EXPECT_NO_THROW(TcpRuntime(1, "127.0.0.1", 0, {}, disk, none));
}

TEST(TcpRuntime, ASecretFileLosesOneTrailingNewlineAndMustHold32Bytes) {
  const auto path =
      std::filesystem::temp_directory_path() / ("calm_secret_" + std::to_string(::getpid()));
  const auto write_file = [&](const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  };
  write_file(secret + "\n");
  EXPECT_EQ(wire::read_secret_file(path.string()), secret);
  write_file(secret + "\r\n");
  EXPECT_EQ(wire::read_secret_file(path.string()), secret);
  write_file(std::string(31, 's') + "\n");
  EXPECT_THROW(wire::read_secret_file(path.string()), std::runtime_error);
  write_file(std::string(wire::secret_bytes_max + 1, 's'));
  EXPECT_THROW(wire::read_secret_file(path.string()), std::runtime_error);
  std::filesystem::remove(path);
  EXPECT_THROW(wire::read_secret_file(path.string()), std::runtime_error);
}

TEST(TcpRuntime, HandshakesBeyondTheUnauthenticatedBoundAreClosedAtAccept) {
  TcpOptions options;
  options.unauthenticated_connections_max = 2;
  Running a(1, {{2, "127.0.0.1", 1}}, options);
  a.start();
  RawClient silent1(a.runtime.port()), silent2(a.runtime.port()), third(a.runtime.port());
  EXPECT_TRUE(third.closed_by_peer());
  EXPECT_TRUE(a.stats_reach([](const TcpStats& s) { return s.connections_rejected >= 1; }));
  a.stop();
}

TEST(TcpRuntime, AFloodOfBadConnectionsLogsABoundedNumberOfLines) {
  Running a(1, {{2, "127.0.0.1", 1}});
  a.start();
  for (int i = 0; i < 200; ++i) {
    RawClient http(a.runtime.port());
    http.write("GET / HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(http.closed_by_peer());
  }
  const TcpStats stats = a.stats_now();
  a.stop();
  EXPECT_EQ(stats.connections_rejected, 200u);
  std::size_t lines = 0;
  for (const std::string& line : a.logged()) {
    lines += line.find("rejected") != std::string::npos ? 1 : 0;
  }
  // At most 20 a second, and 200 take far less than the 10 s that would allow them all.
  EXPECT_LT(lines, 200u);
}

// ---- anti-entropy on the host, over TCP, durable in RocksDB --------------------------------

using Set = lattices::AWSet<std::uint64_t>;
using SetNode = anti_entropy::ReplicaNode<Set>;

/// A replica on its own thread, on a RocksDisk in `dir` made with the set's merge function.
struct ReplicaRunning {
  std::filesystem::path dir;
  storage::RocksDisk disk;
  TcpRuntime runtime;
  std::thread thread;

  ReplicaRunning(NodeId id, std::filesystem::path data)
      : dir(std::move(data)),
        disk(dir, SetNode::merge_function(), storage::Sync::no),
        runtime(id, "127.0.0.1", 0, {}, disk, [id](const NodeContext& context) {
          anti_entropy::Config config;
          config.peers = {id == 1 ? NodeId{2} : NodeId{1}};
          config.gossip_interval_ms = 20;
          return std::make_unique<SetNode>(context, config);
        }) {}
  ~ReplicaRunning() { stop(); }
  void start() {
    thread = std::thread([this] { runtime.run(); });
  }
  void stop() {
    if (!thread.joinable()) return;
    runtime.stop();
    thread.join();
  }
  /// Runs `f(node)` on the runtime's thread and returns what it returns.
  template <class F>
  auto on_node(F f) {
    std::promise<decltype(f(std::declval<SetNode&>()))> result;
    runtime.post([&](Node& node) { result.set_value(f(static_cast<SetNode&>(node))); });
    return result.get_future().get();
  }
};

TEST(TcpRuntime, ReplicasOnTheHostWriteATurnAsOneBatchConvergeAndRestoreTheirOperands) {
  const auto root =
      std::filesystem::temp_directory_path() / ("calm_tcp_replicas_" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  std::unordered_map<std::string, Set> state;
  {
    ReplicaRunning a(1, root / "a"), b(2, root / "b");
    a.runtime.set_peer({2, "127.0.0.1", b.runtime.port()});
    b.runtime.set_peer({1, "127.0.0.1", a.runtime.port()});
    a.start();
    b.start();
    // Fifty writes in one turn of a's event loop: one batch (group commit), one operand per key.
    const auto [before, after] = a.on_node([](SetNode& node) {
      const std::uint64_t written = node.batches_written();
      for (std::uint64_t x = 0; x < 50; ++x) {
        std::string key = "k";  // appended: g++ 12 -O3 warns (-Wrestrict) on "k" + to_string
        key += std::to_string(x % 5);
        node.update(key, [&](Set& s) { return s.add(1, x); });
      }
      return std::make_pair(written, node.batches_written());
    });
    EXPECT_EQ(after, before);  // not before the turn ends
    EXPECT_EQ(a.on_node([](SetNode& node) { return node.batches_written(); }), before + 1);
    b.on_node([](SetNode& node) { return node.update("b", [](Set& s) { return s.add(2, 7); }); });
    bool converged = false;
    for (int i = 0; i < 500 && !converged; ++i) {
      std::this_thread::sleep_for(10ms);
      converged = a.on_node([](SetNode& n) { return n.replica().state(); }) ==
                  b.on_node([](SetNode& n) { return n.replica().state(); });
    }
    ASSERT_TRUE(converged);
    state = a.on_node([](SetNode& n) { return n.replica().state(); });
    EXPECT_EQ(state.size(), 6u);
    EXPECT_EQ(state.at("k0").size(), 10u);
  }
  // Reopened with the same merge function, a's RocksDB folds its operands back to its state.
  storage::RocksDisk reopened(root / "a", SetNode::merge_function(), storage::Sync::no);
  anti_entropy::Replica<Set> restored(anti_entropy::Config{});
  reopened.scan(
      anti_entropy::Replica<Set>::disk_prefix, [&](std::string_view key, std::string_view value) {
        restored.restore(std::string(key.substr(anti_entropy::Replica<Set>::disk_prefix.size())),
                         value);
        return true;
      });
  EXPECT_EQ(restored.state(), state);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace calm::protocols::net
