#include "kvs/server.hpp"

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on
#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <random>
#include <set>
#include <unordered_map>

#include "kvs/admission.hpp"
#include "kvs/commands.hpp"
#include "kvs/group_commit.hpp"
#include "kvs/value.hpp"
#include "protocols/anti_entropy/node.hpp"
#include "protocols/net/tcp.hpp"
#include "protocols/net/tcp_wire.hpp"
#include "protocols/storage/rocks_disk.hpp"

namespace calm::apps::kvs {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;
namespace ae = calm::protocols::anti_entropy;
namespace net = calm::protocols::net;
using KvsNode = ae::ReplicaNode<KeyValue>;

/// The commands' view of the replica: reads from its state, writes as replicated updates.
///
/// Writes are coalesced per key: the first write of a key since the last `flush` copies its
/// value aside; that write and the next ones change the copy and join their deltas; `flush`
/// hands each key to the replica as one update (the copy becomes the key's value, the joined
/// delta its one buffered delta). So a write costs its delta, and the value is copied,
/// encoded and persisted once per key per flush, not once per command. The server flushes
/// after running the requests of one socket read, before committing them to disk and
/// replying, and nothing else runs in between (one event loop): no peer sees the copy.
class ReplicaKeyspace final : public Keyspace {
 public:
  explicit ReplicaKeyspace(KvsNode*& node) : node_(node) {}
  const KeyValue* find(const std::string& key) const override {
    if (const auto it = pending_.find(key); it != pending_.end()) return &it->second.value;
    const auto& state = node_->replica().state();
    const auto it = state.find(key);
    return it == state.end() ? nullptr : &it->second;
  }
  void write(const std::string& key, const std::function<KeyValue(KeyValue&)>& mutate) override {
    auto it = pending_.find(key);
    if (it == pending_.end()) {
      Pending fresh;
      if (const auto& state = node_->replica().state(); !state.empty()) {
        if (const auto at = state.find(key); at != state.end()) fresh.value = at->second;
      }
      it = pending_.emplace(key, std::move(fresh)).first;
    }
    KeyValue delta = mutate(it->second.value);
    if (lattices::is_bot(delta)) return;
    if (lattices::is_bot(it->second.delta)) {
      it->second.delta = std::move(delta);
    } else {
      lattices::merge(it->second.delta, std::move(delta));
    }
  }
  void for_each(const std::function<void(const std::string&, const KeyValue&)>& f) override {
    flush();
    for (const auto& [key, value] : node_->replica().state()) f(key, value);
  }
  const KeyValue* unpublished(const std::string& key) const override {
    // Pending writes reach the replica, the disk and then the clients' replies together, at
    // the end of the turn; nothing sends or replies in between.
    const auto it = pending_.find(key);
    return it == pending_.end() ? nullptr : &it->second.delta;
  }
  bool pending() const { return !pending_.empty(); }
  /// Hands every coalesced write to the replica (which persists and buffers it).
  void flush() {
    for (auto& entry : pending_) {
      Pending& p = entry.second;  // not a structured binding: clang 14 cannot capture one
      if (lattices::is_bot(p.delta)) continue;
      // The copy is the replica's value joined with the delta: moving it in is that join.
      node_->update(entry.first, [&p](KeyValue& v) {
        v = std::move(p.value);
        return std::move(p.delta);
      });
    }
    pending_.clear();
  }

 private:
  struct Pending {
    KeyValue value;  // the replica's value with this flush's writes applied
    KeyValue delta;  // the join of their deltas
  };
  KvsNode*& node_;
  std::unordered_map<std::string, Pending> pending_;
};

/// The replica node as the runtime drives it: before a peer's message or a timer reaches it,
/// the clients' coalesced writes are handed to it and committed, so that it never merges into
/// a value a pending copy would then overwrite, and never sends (an ack, a delta) what is not
/// in the log yet.
class CommittingNode final : public net::Node {
 public:
  CommittingNode(std::unique_ptr<KvsNode> node, std::function<void()> commit)
      : node_(std::move(node)), commit_(std::move(commit)) {}
  void on_start() override { node_->on_start(); }
  void on_message(net::NodeId from, std::string_view bytes) override {
    commit_();
    node_->on_message(from, bytes);
  }
  void on_timer(net::TimerId id) override {
    commit_();
    node_->on_timer(id);
  }

 private:
  std::unique_ptr<KvsNode> node_;
  std::function<void()> commit_;
};

/// Where the replica's CRDT writer id is kept (next to "state/" + key).
constexpr std::string_view writer_key = "meta/writer";

/// The id under which this replica makes its CRDT writes: its dots, its counter totals, its
/// last-writer-wins tie-break. Not the node id (--id, the transport's identity): a replica
/// that lost its data directory and restarted under the same --id would make dots and
/// counter totals its peers have already seen, and they would ignore its new writes. So the
/// writer id is kept on the disk, and a replica whose disk is empty takes a fresh random one,
/// which has made no dot anywhere (docs/kvs.md, "Losing a disk").
ReplicaId load_writer(protocols::storage::RocksDisk& rocks, const KvsOptions& options) {
  if (auto stored = rocks.get(std::string(writer_key))) {
    return lattices::from_bytes<ReplicaId>(*stored);
  }
  bool has_state = false;
  for (const auto& entry : rocks.scan()) {
    has_state = has_state || entry.first.starts_with(ae::state_key_prefix);
  }
  // A data directory written before writer ids were kept: its writes were made as --id.
  ReplicaId writer = options.id;
  if (!has_state) {
    std::random_device entropy;
    const auto taken = [&](ReplicaId id) {
      if (id == 0 || id == options.id) return true;
      for (const auto& p : options.peers) {
        if (p.id == id) return true;  // a node id: what replicas wrote as before writer ids
      }
      return false;
    };
    do {
      writer = (ReplicaId{entropy()} << 32) ^ entropy();
    } while (taken(writer));
  }
  rocks.put(std::string(writer_key), lattices::to_bytes(writer));
  rocks.flush_log();
  return writer;
}

}  // namespace

struct KvsServer::Impl {
  struct Client;

  KvsOptions options;
  protocols::storage::RocksDisk rocks;
  GroupCommitDisk disk{rocks};
  ReplicaId writer;  // the CRDT writer id (load_writer)
  KvsNode* node = nullptr;  // made by the runtime when it starts
  ReplicaKeyspace keyspace{node};
  CommandProcessor processor;
  net::TcpRuntime runtime;
  tcp::acceptor acceptor;
  asio::steady_timer fsync_timer;
  std::set<std::shared_ptr<Client>> clients;
  /// Clients whose replies wait for the next commit, and whether it is posted.
  std::vector<std::pair<std::shared_ptr<Client>, bool /* close after */>> waiting;
  bool commit_posted = false;

  explicit Impl(KvsOptions opts)
      : options(std::move(opts)),
        rocks(options.data_dir,
              options.fsync_always ? protocols::storage::Sync::yes : protocols::storage::Sync::no),
        writer(load_writer(rocks, options)),
        processor(keyspace, writer, facts(), write_limits()),
        runtime(options.id, options.bind, options.peer_port, peers(), disk,
                [this](const net::NodeContext& context) {
                  ae::Config config;
                  config.gossip_interval_ms = options.gossip_ms;
                  config.message_bytes_max = options.replication_message_bytes_max;
                  config.buffer_entries_max = options.delta_buffer_entries_max;
                  for (const auto& p : options.peers) {
                    if (p.id != options.id) config.peers.push_back(p.id);
                  }
                  auto made = std::make_unique<KvsNode>(context, config);
                  // A peer's values are checked against this replica's wall clock, and the
                  // ones it merges (or restores at boot) advance its hybrid clock.
                  made->set_wall_clock([this] { return wall_ms(); });
                  ae::Admission<KeyValue> admission;
                  admission.check = [](const std::string&, const KeyValue& v,
                                       std::uint64_t now_ms) {
                    return admission_refusal(v, now_ms);
                  };
                  admission.observe = [this](const std::string&, const KeyValue& v) {
                    processor.observe(latest_timestamp(v));
                  };
                  made->replica().set_admission(std::move(admission));
                  node = made.get();
                  return std::make_unique<CommittingNode>(std::move(made), [this] { commit(); });
                },
                peer_options()),
        acceptor(runtime.io_context()),
        fsync_timer(runtime.io_context()) {
    const tcp::endpoint endpoint(asio::ip::make_address(options.bind), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  }

  /// The replication port's options: the cluster secret, when a file names one.
  net::TcpOptions peer_options() const {
    net::TcpOptions tcp;
    if (!options.cluster_secret_file.empty()) {
      tcp.cluster_secret = net::wire::read_secret_file(options.cluster_secret_file);
    }
    return tcp;
  }

  /// Milliseconds since the Unix epoch, shifted by the test-only --clock-offset-ms.
  std::uint64_t wall_ms() const {
    const auto now = static_cast<std::int64_t>(lattices::HybridClock::system_wall_ms());
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, now + options.clock_offset_ms));
  }

  std::vector<net::TcpPeer> peers() const {
    std::vector<net::TcpPeer> out;
    for (const auto& p : options.peers) {
      if (p.id != options.id) out.push_back({p.id, p.host, p.peer_port});
    }
    return out;
  }

  /// A write's delta must fit one replication message with its key and the frame's headers.
  WriteLimits write_limits() const {
    WriteLimits limits;
    limits.key_bytes_max = ae::Config{}.key_bytes_max;
    limits.value_bytes_max = options.replication_message_bytes_max - 4 * 1024;
    return limits;
  }

  /// The --durability setting, as CONFIG GET and INFO name it.
  std::string durability_name() const { return options.fsync_always ? "always" : "everysec"; }

  ServerFacts facts() {
    ServerFacts f;
    f.info_sections = [this] { return info(); };
    f.wall_ms = [this] { return wall_ms(); };
    const std::string durability = durability_name();
    std::string peers;
    for (const auto& p : options.peers) {
      if (!peers.empty()) peers += ',';
      peers += std::to_string(p.id) + "@" + p.host + ":" + std::to_string(p.peer_port);
    }
    // Redis's names where calm-kvs has the same setting, so that clients and redis-benchmark
    // read them; calm-kvs's own options under their own names.
    f.config = {
        {"bind", options.bind},
        {"port", std::to_string(options.port)},
        {"dir", options.data_dir},
        {"databases", "1"},
        {"maxclients", std::to_string(options.clients_max)},
        {"proto-max-bulk-len", std::to_string(options.resp.bulk_bytes_max)},
        {"appendonly", "yes"},  // every write is in RocksDB's log before its reply
        {"appendfsync", durability},
        {"save", ""},  // no snapshots: the log is the state
        {"replica-id", std::to_string(options.id)},
        {"peer-port", std::to_string(options.peer_port)},
        {"peers", peers},
        {"gossip-ms", std::to_string(options.gossip_ms)},
        {"durability", durability},
    };
    return f;
  }

  std::vector<std::pair<std::string, std::string>> info() const {
    std::string text;
    text += "writer_id:" + std::to_string(writer) + "\r\n";
    text += "replicas:" + std::to_string(options.peers.empty() ? 1 : options.peers.size()) + "\r\n";
    for (const auto& p : options.peers) {
      if (p.id == options.id) continue;
      text += "peer_" + std::to_string(p.id) + ":" + p.host + ":" + std::to_string(p.peer_port) +
              "\r\n";
    }
    const auto& tcp_stats = runtime.stats();
    text += "frames_sent:" + std::to_string(tcp_stats.frames_sent) + "\r\n";
    text += "frames_received:" + std::to_string(tcp_stats.frames_received) + "\r\n";
    text += "connections_rejected:" + std::to_string(tcp_stats.connections_rejected) + "\r\n";
    if (node) {
      const auto& stats = node->replica().stats();
      text += "delta_bytes_sent:" + std::to_string(stats.delta_bytes_sent) + "\r\n";
      text += "ack_bytes_sent:" + std::to_string(stats.ack_bytes_sent) + "\r\n";
      text += "delta_buffer_entries:" + std::to_string(node->replica().buffered_entries()) + "\r\n";
      text += "full_state_intervals:" + std::to_string(stats.full_state_intervals) + "\r\n";
      text += "peer_values_refused:" + std::to_string(stats.refused_by_admission) + "\r\n";
    }
    std::string persistence;
    persistence += "durability:" + durability_name() + "\r\n";
    persistence += "data_dir:" + options.data_dir + "\r\n";
    persistence +=
        "coordination:none (SETNX, SET NX/XX/GET, GETSET, SPOP, SMOVE, RENAME, HSETNX and "
        "MULTI/EXEC are refused)\r\n";
    std::string clients = "connected_clients:" + std::to_string(this->clients.size()) + "\r\n";
    return {{"Clients", std::move(clients)},
            {"Replication", std::move(text)},
            {"Persistence", std::move(persistence)}};
  }

  void accept();

  /// Hands the clients' coalesced writes to the replica and writes them to RocksDB as one batch.
  void commit() {
    keyspace.flush();
    disk.commit();
  }
  /// Sends `client`'s replies after the next commit. The commit is posted behind the handlers
  /// already ready, so that the requests of every client that sent some in this turn of the
  /// event loop share one batch.
  void reply_after_commit(std::shared_ptr<Client> client, bool then_close);
  void commit_and_reply();

  void schedule_fsync() {
    if (options.fsync_always) return;
    fsync_timer.expires_after(std::chrono::seconds(1));
    fsync_timer.async_wait([this](const error_code& ec) {
      if (ec) return;
      rocks.flush_log();
      schedule_fsync();
    });
  }
};

/// One client connection: read, run every whole request, write the replies, read again.
struct KvsServer::Impl::Client : std::enable_shared_from_this<Client> {
  Impl& server;
  tcp::socket socket;
  RequestParser parser;
  Session session;
  Request request;  // reused: its strings keep their capacity
  std::array<char, 64 * 1024> input{};
  std::string output;

  Client(Impl& s, tcp::socket sock) : server(s), socket(std::move(sock)), parser(s.options.resp) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
  }

  void read() {
    auto self = shared_from_this();
    socket.async_read_some(asio::buffer(input), [this, self](const error_code& ec, std::size_t n) {
      if (ec) return close();
      parser.feed(std::string_view(input.data(), n));
      // Every write these requests make reaches the replica once per key and RocksDB as one
      // batch, before any reply is sent (group_commit.hpp). An exception here stops the server
      // with nothing replied.
      server.disk.hold();
      while (parser.next(request)) {
        server.processor.execute(request, session, output);
        if (session.close) break;
      }
      // A protocol error is final: reply with it, then close, as Redis does.
      const bool closing = session.close || !parser.error().empty();
      if (!parser.error().empty()) ReplyWriter(output).error(parser.error());
      if (output.empty()) return read();
      // Replies wait while any write is not in the log: theirs, or one they may have read.
      if (server.keyspace.pending() || server.disk.staged() > 0) {
        return server.reply_after_commit(self, closing);
      }
      write(closing);
    });
  }

  void write(bool then_close) {
    auto self = shared_from_this();
    asio::async_write(socket, asio::buffer(output),
                      [this, self, then_close](const error_code& ec, std::size_t) {
                        output.clear();
                        if (ec || then_close) return close();
                        read();
                      });
  }

  void close() {
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    server.clients.erase(shared_from_this());
  }
};

void KvsServer::Impl::reply_after_commit(std::shared_ptr<Client> client, bool then_close) {
  waiting.emplace_back(std::move(client), then_close);
  if (commit_posted) return;
  commit_posted = true;
  asio::post(runtime.io_context(), [this] { commit_and_reply(); });
}

void KvsServer::Impl::commit_and_reply() {
  commit_posted = false;
  commit();
  for (auto& [client, then_close] : std::exchange(waiting, {})) client->write(then_close);
}

void KvsServer::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (clients.size() >= options.clients_max) {
        const std::string busy = "-ERR max number of clients reached\r\n";
        error_code ignored;
        asio::write(socket, asio::buffer(busy), ignored);
      } else {
        auto client = std::make_shared<Client>(*this, std::move(socket));
        clients.insert(client);
        client->read();
      }
    }
    accept();
  });
}

KvsServer::KvsServer(KvsOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

KvsServer::~KvsServer() {
  error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->fsync_timer.cancel();
  for (const auto& client : std::set<std::shared_ptr<Impl::Client>>(impl_->clients)) {
    client->socket.close(ignored);
  }
  impl_->clients.clear();
  impl_->waiting.clear();
}

void KvsServer::run() {
  impl_->accept();
  impl_->schedule_fsync();
  impl_->runtime.run();
}

void KvsServer::stop() { impl_->runtime.stop(); }

std::uint16_t KvsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace calm::apps::kvs
