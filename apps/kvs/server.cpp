#include "kvs/server.hpp"

// clang-format off
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>

#include "kvs/admission.hpp"
#include "kvs/commands.hpp"
#include "kvs/coordination.hpp"
#include "kvs/pubsub.hpp"
#include "kvs/router.hpp"
#include "kvs/value.hpp"
#include "lattices/random.hpp"
#include "protocols/anti_entropy/node.hpp"
#include "protocols/net/channels.hpp"
#include "protocols/net/tcp.hpp"
#include "protocols/net/tcp_wire.hpp"
#include "protocols/storage/rocks_disk.hpp"
#include "protocols/storage/sync_thread.hpp"

// Under AddressSanitizer its allocator serves every allocation, and glibc's mallinfo2 sees none.
#if defined(__SANITIZE_ADDRESS__)
#define CALM_KVS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CALM_KVS_ASAN 1
#endif
#endif
#ifndef CALM_KVS_ASAN
#define CALM_KVS_ASAN 0
#endif
#if CALM_KVS_ASAN
#include <sanitizer/allocator_interface.h>
#endif

// jemalloc's control call, when the executable links jemalloc (apps/CMakeLists.txt): weak, so
// that a program linking this library without it (the tests, the sanitize build) still links.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp,
                       std::size_t newlen) __attribute__((weak));

namespace calm::apps::kvs {
namespace {

/// Hands freed heap memory back to the system after a large request. glibc keeps it below its
/// trim threshold (up to 64 MiB once large blocks have come and gone); jemalloc keeps freed
/// pages for about ten seconds, and not at all while the process sleeps.
void release_free_memory() {
  if (mallctl != nullptr) {
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: MALLCTL_ARENAS_ALL
  } else {
    ::malloc_trim(0);
  }
}

/// Bytes the allocator has handed out and not had back: INFO's used_memory.
std::uint64_t allocated_bytes() {
  if (mallctl != nullptr) {
    std::uint64_t epoch = 1;  // jemalloc's statistics are refreshed by writing the epoch
    std::size_t size = sizeof(epoch);
    mallctl("epoch", &epoch, &size, &epoch, size);
    std::size_t allocated = 0;
    size = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) == 0) return allocated;
  }
#if CALM_KVS_ASAN
  return __sanitizer_get_current_allocated_bytes();  // ASan's allocator, not glibc's
#else
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
#endif
}

/// The allocator's name as Redis's mem_allocator gives it.
std::string allocator_name() {
  if (mallctl != nullptr) {
    const char* version = nullptr;
    std::size_t size = sizeof(version);
    if (mallctl("version", &version, &size, nullptr, 0) == 0 && version != nullptr) {
      return std::string("jemalloc-") + version;
    }
  }
  return CALM_KVS_ASAN ? "asan" : "libc";
}

/// The process's resident memory: INFO's used_memory_rss.
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

/// Bytes as Redis's *_human fields write them: 1.50K, 12.00M, 3.25G.
std::string human_bytes(std::uint64_t bytes) {
  char text[32];
  const auto b = static_cast<double>(bytes);
  if (bytes < 1024) {
    std::snprintf(text, sizeof(text), "%lluB", static_cast<unsigned long long>(bytes));
  } else if (bytes < (1ull << 20)) {
    std::snprintf(text, sizeof(text), "%.2fK", b / 1024);
  } else if (bytes < (1ull << 30)) {
    std::snprintf(text, sizeof(text), "%.2fM", b / (1 << 20));
  } else {
    std::snprintf(text, sizeof(text), "%.2fG", b / (1 << 30));
  }
  return text;
}

/// One INFO line, "name:value\r\n".
template <class T>
std::string info_line(const std::string& name, const T& value) {
  if constexpr (std::is_convertible_v<const T&, std::string>) {
    return name + ":" + std::string(value) + "\r\n";
  } else {
    return name + ":" + std::to_string(value) + "\r\n";
  }
}

/// A random 40-hex-digit id for this run of the process (INFO's run_id).
std::string random_run_id() {
  SplitMix64 random(entropy_seed());
  static constexpr char digits[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 40; ++i) id += digits[random.below(16)];
  return id;
}

/// INFO's instantaneous_ops_per_sec: requests per second over the last 16 samples, one taken
/// at most every 100 ms (as Redis's), when a client sends or INFO asks: no timer.
class OpsRate {
 public:
  using Clock = std::chrono::steady_clock;
  void sample(Clock::time_point now, std::uint64_t processed) {
    if (count_ > 0 && now - samples_[(next_ + samples_max - 1) % samples_max].at <
                          std::chrono::milliseconds(100)) {
      return;
    }
    samples_[next_] = {now, processed};
    next_ = (next_ + 1) % samples_max;
    count_ = std::min(count_ + 1, samples_max);
  }
  /// Over the samples of the last 1.6 s (16 x 100 ms): 0 once clients have been quiet that long.
  std::uint64_t per_second(Clock::time_point now, std::uint64_t processed) const {
    const Sample* oldest = nullptr;
    for (std::size_t i = count_; i > 0; --i) {  // oldest first
      const Sample& s = samples_[(next_ + samples_max - i) % samples_max];
      if (now - s.at <= window) {
        oldest = &s;
        break;
      }
    }
    if (oldest == nullptr) return 0;
    const double seconds = std::chrono::duration<double>(now - oldest->at).count();
    // The count only grows, but CONFIG RESETSTAT sets it back to 0.
    if (seconds <= 0 || processed < oldest->processed) return 0;
    return static_cast<std::uint64_t>(static_cast<double>(processed - oldest->processed) / seconds);
  }

 private:
  static constexpr std::size_t samples_max = 16;
  static constexpr std::chrono::milliseconds window{1600};
  struct Sample {
    Clock::time_point at;
    std::uint64_t processed = 0;
  };
  std::array<Sample, samples_max> samples_{};
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;
namespace ae = calm::protocols::anti_entropy;
namespace net = calm::protocols::net;
/// The replica on the protocol host (protocols/host/host.hpp).
using KvsNode = ae::ReplicaNode<KeyValue>;
/// The channels of the peer connections (net::Channels): anti-entropy of the
/// coordination-free keys; the Paxos log of the linearizable ones, and its forwarding.
constexpr std::uint8_t replication_channel = 0;
constexpr std::uint8_t log_channel = 1;
constexpr std::uint8_t forward_channel = 2;
constexpr std::uint8_t pubsub_channel = 3;

/// The Pub/Sub channel of the peer connections: a PUBLISH here goes to every peer, and a
/// peer's goes to this replica's subscribers. Best effort and at most once, as Pub/Sub is in
/// Redis: nothing is stored, acknowledged or resent.
class PublishNode final : public net::Node {
 public:
  using Deliver = std::function<void(std::string_view channel, std::string_view message)>;
  PublishNode(const net::NodeContext& context, std::vector<net::TcpPeer> peers, Deliver deliver,
              std::function<void()> dropped)
      : transport_(context.transport),
        peers_(std::move(peers)),
        deliver_(std::move(deliver)),
        dropped_(std::move(dropped)) {}
  void publish(std::string_view channel, std::string_view message) {
    const std::string bytes = encode_published(channel, message);
    for (const auto& peer : peers_) transport_.send(peer.id, bytes);
  }
  void on_start() override {}
  void on_timer(net::TimerId) override {}
  void on_message(net::NodeId, std::string_view bytes) override {
    std::string_view channel, message;
    if (!decode_published(bytes, channel, message)) return dropped_();
    deliver_(channel, message);
  }

 private:
  net::Transport& transport_;
  std::vector<net::TcpPeer> peers_;
  Deliver deliver_;
  std::function<void()> dropped_;
};

/// The commands' view of the replica: reads from its state, writes as the replica's updates
/// on the host, in place (a write costs its delta, not a copy of the value). The host writes
/// every change of an event-loop turn (the clients' writes and the peers' deltas) as one
/// RocksDB batch, and the replies of the turn wait for it (`on_turn_end`): no reply and no
/// peer sees a write that is not in the log, and a batch that fails is rolled back.
class HostKeyspace final : public Keyspace {
 public:
  explicit HostKeyspace(net::TcpRuntime& runtime) : runtime_(runtime) {}
  KvsNode& node() const {
    net::Node* node = runtime_.node();
    CALM_ASSERT(node != nullptr, "clients are served only once the runtime runs the node");
    return static_cast<KvsNode&>(*static_cast<net::Channels&>(*node).child(replication_channel));
  }
  const KeyValue* find(const std::string& key) const override {
    const auto& replica = node().replica();
    const auto it = replica.state().find(key);
    if (it == replica.state().end()) return nullptr;
    if (!touched_ && replica.changed_this_turn(key)) touched_ = true;
    return &it->second;
  }
  void write(const std::string& key, const std::function<KeyValue(KeyValue&)>& mutate) override {
    touched_ = true;
    node().update(key, mutate);
  }
  /// Whether the requests run since `untouch` wrote, or read a key this turn changed: if the
  /// turn's batch fails, their replies become errors (what they saw is rolled back).
  bool touched() const { return touched_; }
  void untouch() { touched_ = false; }
  const KeyValue* unpublished(const std::string& key) const override {
    return node().replica().unsent_local_delta(key);
  }
  void for_each(const std::function<void(const std::string&, const KeyValue&)>& f) override {
    const auto& replica = node().replica();
    for (const auto& [key, value] : replica.state()) {
      if (!touched_ && replica.changed_this_turn(key)) touched_ = true;
      f(key, value);
    }
  }

 private:
  net::TcpRuntime& runtime_;
  mutable bool touched_ = false;
};

/// A line on stderr at most once per `interval`, with how many times it happened since the
/// last one: a full disk or a descriptor shortage repeats on every request.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::milliseconds interval) : interval_(interval) {}
  void note(const std::string& what) {
    ++count_;
    const auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < interval_) return;
    std::cerr << "calm-kvs: " << what;
    if (count_ > 1) std::cerr << " (" << count_ << " times since the last such line)";
    std::cerr << "\n";
    logged_ = true;
    last_ = now;
    count_ = 0;
  }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  bool logged_ = false;
  std::uint64_t count_ = 0;
};

/// Replaces CR and LF (a reply line cannot hold them) and cuts `text` to `bytes_max`.
std::string one_line(std::string text, std::size_t bytes_max) {
  if (text.size() > bytes_max) text.resize(bytes_max);
  std::replace(text.begin(), text.end(), '\r', ' ');
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

/// Where the replica's CRDT writer id is kept (next to "state/" + key), and the mark a clean
/// stop leaves.
constexpr std::string_view writer_key = "meta/writer";
constexpr std::string_view clean_stop_key = "meta/clean-stop";

/// The id under which this replica makes its CRDT writes: its dots, its counter totals, its
/// last-writer-wins tie-break. Not the node id (--id, the transport's identity): a replica
/// that lost its data directory and restarted under the same --id would make dots and
/// counter totals its peers have already seen, and they would ignore its new writes. So the
/// writer id is kept on the disk, and a replica whose disk is empty takes a fresh random one,
/// which has made no dot anywhere (docs/kvs.md, "Losing a disk").
///
/// The same holds after a stop that was not clean (kill -9, a crash, a power cut): with
/// --durability everysec the last second of writes may be gone from this disk while a peer
/// already holds them, so the old writer id could make their dots again for other values. A
/// clean stop leaves a mark (`mark_clean_stop`); a start without it takes a fresh writer id.
/// So the replica may gossip writes its disk has not synced (Config::sync_before_gossip off):
/// what a power cut takes from it comes back from its peers, under the old id.
struct Writer {
  ReplicaId id;
  /// What records it (the id, and the clean-stop mark taken away): written before the node
  /// starts, or, when the disk refuses them (a full disk), with the first batch the node
  /// writes, so that nothing is ever on disk under an id that is not.
  std::vector<protocols::storage::Write> records;
};

/// check_storage_format, given what the store holds under storage_format_key.
void check_storage_format(protocols::storage::RocksDisk& rocks,
                          const std::optional<std::string>& stored) {
  std::uint64_t found = storage_format;
  if (stored) {
    found = lattices::from_bytes<std::uint64_t>(*stored);
  } else {
    bool any = false;  // any key at all: the writer id, state, the log
    rocks.scan("", [&](std::string_view, std::string_view) {
      any = true;
      return false;
    });
    if (any) found = 1;  // written before the format was recorded
  }
  if (found != storage_format) {
    throw std::runtime_error(
        "the data directory holds calm-kvs storage format " + std::to_string(found) +
        " and this build reads format " + std::to_string(storage_format) +
        " only: run the build that wrote it, or move its keys with a Redis client into a "
        "replica of this build started on an empty directory (docs/kvs.md, storage format)");
  }
  rocks.put(std::string(storage_format_key), lattices::to_bytes(storage_format),
            protocols::storage::Sync::yes);
}

/// Where the log's boot number is kept (LogCoordination's epoch): one more at every start,
/// synced before the log runs, so that no two lives of a replica make the same sequence
/// numbers.
constexpr std::string_view log_epoch_key = "meta/log-epoch";

/// The records a boot reads, read together before anything is written: a read of the store's
/// memtable sorts a copy of it (the log memtable, docs/storage.md), which after a crash holds
/// the replayed log, and one reader sorts it once.
struct BootRecords {
  std::optional<std::string> format, writer, clean_stop, log_epoch;
};

BootRecords read_boot_records(const protocols::storage::RocksDisk& rocks) {
  const auto read = rocks.point_reads();
  BootRecords boot;
  boot.format = read(storage_format_key);
  boot.writer = read(writer_key);
  boot.clean_stop = read(clean_stop_key);
  boot.log_epoch = read(log_epoch_key);
  return boot;
}

Writer load_writer(protocols::storage::RocksDisk& rocks, const KvsOptions& options,
                   const BootRecords& boot) {
  check_storage_format(rocks, boot.format);
  const std::optional<std::string>& stored = boot.writer;
  const bool clean = boot.clean_stop.has_value();
  Writer writer{options.id, {}};
  if (stored && clean) {
    writer.id = lattices::from_bytes<ReplicaId>(*stored);
  } else {
    // A data directory written before writer ids were kept: its writes were made as --id.
    // Looked for only without a stored id: a scan's iterator sorts a copy of the memtable
    // (storage.md), which after a crash holds the replayed log.
    const auto has_state = [&] {
      bool any = false;
      rocks.scan(ae::Replica<KeyValue>::disk_prefix, [&](std::string_view, std::string_view) {
        any = true;
        return false;
      });
      return any;
    };
    if (stored || !has_state()) {
      const auto taken = [&](ReplicaId id) {
        if (id == 0 || id == options.id) return true;
        if (stored && id == lattices::from_bytes<ReplicaId>(*stored)) return true;
        for (const auto& p : options.peers) {
          if (p.id == id) return true;  // a node id: what replicas wrote as before writer ids
        }
        return false;
      };
      do {
        writer.id = entropy_seed();
      } while (taken(writer.id));
    }
  }
  writer.records = {
      protocols::storage::Write::erase(std::string(clean_stop_key)),
      protocols::storage::Write::put(std::string(writer_key), lattices::to_bytes(writer.id))};
  try {
    rocks.write(writer.records, protocols::storage::Sync::yes);
    writer.records.clear();
  } catch (const protocols::storage::StorageError& e) {
    std::cerr << "calm-kvs: cannot record the writer id yet, it goes with the first write: "
              << e.what() << "\n";
  }
  return writer;
}

std::uint64_t next_log_epoch(protocols::storage::RocksDisk& rocks,
                             const std::optional<std::string>& stored) {
  std::uint64_t epoch = 1;
  if (stored) {
    epoch = lattices::from_bytes<std::uint64_t>(*stored) + 1;
    // Sequence numbers keep 24 bits for the epoch (coordination.cpp): 16 million starts. Past
    // them (or a damaged record) the replica stops with a message rather than reusing them.
    if (epoch == 0 || epoch >= LogCoordination::epochs_max) {
      throw std::runtime_error("the log's boot count (" + std::string(log_epoch_key) +
                               ") has no room left: " + std::to_string(epoch - 1));
    }
  }
  rocks.put(std::string(log_epoch_key), lattices::to_bytes(epoch), protocols::storage::Sync::yes);
  return epoch;
}

/// Descriptors the server needs besides its clients': stdio, the event loop's (epoll,
/// eventfd, timers), the two listeners, the spare kept for refusing clients, RocksDB's log,
/// manifest, LOCK, info log and directories, and room for a compaction's outputs (Redis keeps
/// 32 for itself).
constexpr std::size_t own_descriptors = 32;
/// RocksDB's table files kept open (StoreOptions::open_files_max), counted against the
/// descriptor limit with the clients.
constexpr int rocks_open_files_max = 256;
/// Disk kept free for restarting after the disk filled up (StoreOptions::reserve_bytes): a new
/// manifest and options file need a few KiB; the rest is margin for a larger manifest.
constexpr std::size_t disk_reserve_bytes = 1u << 20;
/// After a failed accept (no descriptor left), the first wait, doubled up to the last.
constexpr std::chrono::milliseconds accept_backoff_first{100};
constexpr std::chrono::milliseconds accept_backoff_max{1000};
/// Per connection, at a request boundary: buffers grown past these are released.
constexpr std::size_t output_keep_bytes = 64 * 1024;
/// Redis's client-output-buffer-limit for pubsub clients (its hard limit, 32 MiB): a
/// subscriber owing more is closed.
constexpr std::size_t pubsub_output_bytes_max = 32u << 20;
/// A turn stops running a connection's requests once their replies reach this, and goes on
/// with the requests left in the parser when the client has read them: a pipeline of small
/// requests for large values (64 KiB of `GET k`, k 1 MiB) then costs this much memory, not
/// gigabytes. A connection owes at most this, one more reply (itself within reply_bytes_max,
/// or the data it reads) and one more log entry's (the turn's last group goes at its end).
/// Each request a turn sends to the log counts as entry_reply_bytes_max: its reply comes later.
constexpr std::size_t turn_reply_bytes_max = reply_bytes_max;
static_assert(turn_reply_bytes_max >= 8 * entry_reply_bytes_max,
              "a turn may send a few log entries: a pipeline mixing classes makes one for each "
              "run of linearizable commands");
constexpr std::size_t parser_keep_bytes = 1u << 20;
/// Bytes read from a socket at once, into the one buffer all connections share.
constexpr std::size_t read_chunk_bytes = 64 * 1024;
static_assert(read_chunk_bytes <= parser_keep_bytes, "one read fits what a parser keeps");
static_assert(value_bytes_max_for(replication_message_bytes_default) < RespLimits{}.bulk_bytes_max,
              "the RESP bulk bound admits every value a write accepts, so the write's own check "
              "answers with its error");
/// Error replies are cut to this (RocksDB's reasons name paths).
constexpr std::size_t error_reason_bytes_max = 512;

/// `options` with clients_max fitted to RLIMIT_NOFILE: the soft limit is raised toward the
/// hard one to fit clients_max and the server's own descriptors; when the hard limit is short,
/// clients_max is lowered and a line says so (as Redis does at start).
KvsOptions with_descriptor_budget(KvsOptions options) {
  const std::size_t own =
      own_descriptors + static_cast<std::size_t>(rocks_open_files_max) + 2 * options.peers.size();
  const std::size_t wanted = options.clients_max + own;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return options;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    const std::size_t have = limit.rlim_cur;
    const std::size_t clients = have > own ? have - own : 1;
    std::cerr << "calm-kvs: You requested maxclients of " << options.clients_max
              << " requiring at least " << wanted << " max file descriptors, but the limit is "
              << have << " (hard limit " << limit.rlim_max << "): maxclients has been reduced to "
              << clients << ". If you need more, increase 'ulimit -n'.\n";
    options.clients_max = clients;
  }
  return options;
}

/// An endpoint as Redis prints one: ip:port, an IPv6 address in brackets.
std::string endpoint_text(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string ip = address.to_string();
  const std::string host = address.is_v6() ? "[" + ip + "]" : ip;
  return host + ":" + std::to_string(endpoint.port());
}

/// The longest password a --requirepass-file may hold (Redis has no bound; a file that holds
/// more is not a password).
constexpr std::size_t password_bytes_max = 4096;

/// `options` with the password read from --requirepass-file, checked for protected mode.
KvsOptions with_password(KvsOptions options) {
  if (!options.requirepass_file.empty()) {
    std::ifstream in(options.requirepass_file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read the password file " + options.requirepass_file);
    std::string password(password_bytes_max + 1, '\0');
    in.read(password.data(), static_cast<std::streamsize>(password.size()));
    if (in.bad()) {
      throw std::runtime_error("cannot read the password file " + options.requirepass_file);
    }
    password.resize(static_cast<std::size_t>(in.gcount()));
    if (password.size() > password_bytes_max) {
      throw std::runtime_error("the password file " + options.requirepass_file +
                               " holds more than " + std::to_string(password_bytes_max) + " bytes");
    }
    if (!password.empty() && password.back() == '\n') password.pop_back();
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
      throw std::runtime_error("the password file " + options.requirepass_file + " is empty");
    }
    if (password.find_first_of("\r\n") != std::string::npos) {
      throw std::runtime_error("the password file " + options.requirepass_file +
                               " holds more than one line");
    }
    options.requirepass = std::move(password);
  }
  error_code ec;
  const auto address = asio::ip::make_address(options.bind, ec);
  if (options.protected_mode && options.requirepass.empty() && !ec && !address.is_loopback()) {
    throw std::runtime_error(
        "refusing to serve clients on " + options.bind +
        " without a password: anyone who can reach it could read and write every key; give "
        "one (--requirepass-file), listen on 127.0.0.1, or turn protected mode off "
        "(--protected-mode no)");
  }
  return options;
}

}  // namespace

void check_storage_format(protocols::storage::RocksDisk& rocks) {
  check_storage_format(rocks, rocks.get(std::string(storage_format_key)));
}

struct KvsServer::Impl {
  struct Client;

  KvsOptions options;
  /// Set by stop(): a stop asked for before run() starts the loop (which restarts it) must not
  /// be lost.
  std::atomic<bool> stop_requested = false;
  RateLimitedLog disk_log{std::chrono::seconds(1)};
  RateLimitedLog accept_log{std::chrono::seconds(1)};
  /// The log memtable (docs/storage.md): the keyspace lives in memory, and the store is read
  /// at boot and by a rollback only, never while requests write it.
  protocols::storage::RocksDisk rocks;
  BootRecords boot;  // read once, before anything is written
  Writer writer;     // the CRDT writer id (load_writer)
  /// The Paxos log of the linearizable keys; null when no key is (--linearizable empty).
  std::unique_ptr<LogCoordination> coordination;
  PublishNode* pubsub_node = nullptr;  // the runtime's, remade on each start (make_node)
  net::TcpRuntime runtime;
  HostKeyspace keyspace{runtime};
  CommandProcessor processor;
  Router router;
  tcp::acceptor acceptor;
  asio::steady_timer fsync_timer;
  asio::steady_timer accept_timer;
  asio::steady_timer expire_timer;  // the active expiry cycle (schedule_expiry)
  /// The log's fsyncs, off the event loop (after `runtime`: it goes first, waiting for a sync
  /// that runs, and before the disk and the event loop).
  std::unique_ptr<protocols::storage::SyncThread> log_sync;
  std::chrono::milliseconds accept_backoff{0};
  /// Kept open so that, when descriptors run out, closing it lets one waiting client be
  /// accepted and told why rather than left hanging.
  int spare_descriptor = -1;
  PubSub pubsub;  // this replica's subscribers (its clients; each removes itself on close)
  std::set<std::shared_ptr<Client>> clients;
  std::uint64_t client_ids = 0;  // the last connection's id (CLIENT ID)
  /// Clients whose replies wait for the turn's batch (the host's `on_turn_end`).
  std::vector<std::shared_ptr<Client>> waiting;
  /// A shared read buffer: the event loop reads one socket at a time, so an idle connection
  /// holds none.
  std::array<char, read_chunk_bytes> input{};
  /// Bytes of requests not yet whole, over every client (Client::held).
  std::size_t input_bytes = 0;
  struct Counters {
    std::uint64_t rejected_connections = 0;  // maxclients, or no descriptor left
    std::uint64_t accept_failures = 0;
    std::uint64_t query_buffer_disconnections = 0;  // past client_input_bytes_max
    std::uint64_t evicted_clients = 0;              // past clients_input_bytes_max
    std::uint64_t output_limit_disconnections = 0;  // subscribers past pubsub_output_bytes_max
    std::uint64_t peer_messages_published = 0;      // PUBLISHes received from peers
    std::uint64_t peer_messages_dropped = 0;        // malformed ones
    std::uint64_t write_failures = 0;               // batches the disk refused
    std::uint64_t connections_received = 0;         // clients accepted
    std::uint64_t net_input_bytes = 0;              // read from clients
    std::uint64_t net_output_bytes = 0;             // written to clients
  } counters;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  const std::string run_id = random_run_id();
  OpsRate ops_rate;
  std::uint64_t used_memory_peak = 0;  // the largest used_memory INFO has seen
  std::string last_write_error;        // empty after a batch that was written

  explicit Impl(KvsOptions opts)
      : options(with_password(with_descriptor_budget(std::move(opts)))),
        rocks(options.data_dir, KvsNode::merge_function(),
              protocols::storage::StoreOptions{.memtable = protocols::storage::Memtable::log,
                                               .sync_writes = false,
                                               .open_files_max = rocks_open_files_max,
                                               .reserve_bytes = disk_reserve_bytes}),
        boot(read_boot_records(rocks)),
        writer(load_writer(rocks, options, boot)),
        coordination(make_coordination()),
        runtime(
            options.id, options.bind, options.peer_port, peers(), rocks,
            [this](const net::NodeContext& context) { return make_node(context); }, peer_options()),
        processor(keyspace, writer.id, facts(), write_limits()),
        router(processor, coordination.get(), KeyClasses(options.linearizable)),
        acceptor(runtime.io_context()),
        fsync_timer(runtime.io_context()),
        accept_timer(runtime.io_context()),
        expire_timer(runtime.io_context()) {
    const tcp::endpoint endpoint(asio::ip::make_address(options.bind), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    acceptor.non_blocking(true);  // the spare-descriptor accept below must not block
    if (coordination) {
      log_sync = std::make_unique<protocols::storage::SyncThread>(
          [this] { return rocks.sync_concurrently(); },
          [this](std::function<void()> f) { asio::post(runtime.io_context(), std::move(f)); });
    }
    spare_descriptor = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  ~Impl() {
    if (spare_descriptor >= 0) ::close(spare_descriptor);
  }

  std::unique_ptr<LogCoordination> make_coordination() {
    if (!KeyClasses(options.linearizable).any_linearizable()) return nullptr;
    CoordinationOptions o;
    o.self = options.id;
    o.members.push_back(options.id);
    for (const auto& p : options.peers) {
      if (p.id != options.id) o.members.push_back(p.id);
    }
    o.timeout_ms = options.coordination_timeout_ms;
    o.epoch = next_log_epoch(rocks, boot.log_epoch);  // once: the constructor makes the log
    // The log syncs on its own thread: the event loop reads more requests meanwhile, and one
    // fsync covers the slots of every turn written before it (host.hpp).
    o.background_sync = [this](std::function<void(const std::string*)> done) {
      log_sync->request(std::move(done));
    };
    o.limits = write_limits();
    // A command carries one value of up to value_bytes_max with its key and framing; a slot's
    // batch is half a message.
    o.paxos.limits.command_bytes_max = o.limits.value_bytes_max + o.limits.key_bytes_max + 4096;
    o.paxos.limits.message_bytes_max = 4 * o.paxos.limits.command_bytes_max;
    o.paxos.seed = entropy_seed() ^ (options.id << 32);
    // The log is kept in memory back to the last snapshot: a snapshot every 2,000 slots (of up
    // to 1,024 commands each) bounds it, at the cost of encoding the linearizable keyspace.
    o.paxos.snapshot_every_slots = 2000;
    // A loaded replica (the clients' work, RocksDB's) must not look dead to its peers: half a
    // second of silence before an election, heartbeats every 50 ms.
    o.paxos.election_timeout_ms = 500;
    o.paxos.heartbeat_ms = 50;
    o.paxos.resend_ms = 200;
    // One result per lane is kept for retries: at most 4 KiB each (docs/kvs.md).
    o.paxos.result_bytes_kept_max = 4096;
    o.paxos.result_not_kept =
        "-ERR calm-kvs: the command was applied, but its reply was too large to keep for this "
        "retry\r\n";
    o.wall_ms = [this] { return wall_ms(); };
    return std::make_unique<LogCoordination>(std::move(o));
  }

  /// This boot's nodes: anti-entropy, and the log when some keys are linearizable, each on its
  /// channel of the peer connections.
  std::unique_ptr<net::Channels> make_node(const net::NodeContext& context) {
    auto channels = std::make_unique<net::Channels>(context);
    channels->attach(replication_channel,
                     make_replication_node(channels->context_for(replication_channel)));
    if (coordination) coordination->attach(*channels, log_channel, forward_channel);
    auto published = std::make_unique<PublishNode>(
        channels->context_for(pubsub_channel), peers(),
        [this](std::string_view channel, std::string_view message) {
          ++counters.peer_messages_published;
          pubsub.publish(channel, message);
        },
        [this] { ++counters.peer_messages_dropped; });
    pubsub_node = published.get();
    channels->attach(pubsub_channel, std::move(published));
    return channels;
  }

  std::unique_ptr<KvsNode> make_replication_node(const net::NodeContext& context) {
    ae::Config config;
    config.gossip_interval_ms = options.gossip_ms;
    config.message_bytes_max = options.replication_message_bytes_max;
    config.buffer_entries_max = options.delta_buffer_entries_max;
    // A start after a stop that was not clean takes a fresh writer id (load_writer).
    config.sync_before_gossip = false;
    for (const auto& p : options.peers) {
      if (p.id != options.id) config.peers.push_back(p.id);
    }
    protocols::host::HostOptions host_options;
    // --durability always: every batch is fsynced before the turn's replies.
    if (options.fsync_always) host_options.sync_every_batch = protocols::storage::Sync::yes;
    auto node = std::make_unique<KvsNode>(context, config, host_options);
    ae::Admission<KeyValue> admission;
    admission.check = [](const std::string&, const KeyValue& v, std::uint64_t now_ms) {
      return admission_refusal(v, now_ms);
    };
    // The values it merges (or restores at boot) advance its hybrid clock.
    admission.observe = [this](const std::string& key, const KeyValue& v) {
      processor.observe(latest_timestamp(v));
      processor.expiring().note(key, v);  // for the active expiry sweep
    };
    node->replica().set_admission(std::move(admission));
    KvsNode::Application application;
    // A peer's values are checked against this replica's wall clock.
    application.wall_clock = [this] { return wall_ms(); };
    application.on_turn_end = [this](const std::string* failure) { turn_ended(failure); };
    node->set_application(std::move(application));
    for (auto& record : std::exchange(writer.records, {})) {
      node->persist_with_next_batch(std::move(record));
    }
    return node;
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
    limits.key_bytes_max = ae::default_key_bytes_max;
    limits.value_bytes_max = value_bytes_max_for(options.replication_message_bytes_max);
    return limits;
  }

  /// The --durability setting, as CONFIG GET and INFO name it.
  std::string durability_name() const { return options.fsync_always ? "always" : "everysec"; }

  ServerFacts facts() {
    ServerFacts f;
    f.info_sections = [this] { return info(); };
    f.wall_ms = [this] { return wall_ms(); };
    f.password = options.requirepass;
    f.pubsub = &pubsub;
    if (!peers().empty()) {
      f.publish_to_peers = [this](std::string_view channel, std::string_view message) {
        if (pubsub_node != nullptr) pubsub_node->publish(channel, message);
      };
    }
    f.client_list = [this](const std::vector<std::uint64_t>* ids, std::optional<ClientType> type) {
      return client_list(ids, type);
    };
    f.kill_clients = [this](const ClientKillFilter& filter, std::uint64_t self) {
      return kill_clients(filter, self);
    };
    // Redis's RESETSTAT: the stats section's counters, commandstats and errorstats (not the
    // figures of state: memory, clients, keys, failures the operator must see).
    f.reset_stats = [this] {
      router.reset_stats();
      processor.expiring().reset_stats();
      counters.rejected_connections = counters.connections_received = 0;
      counters.net_input_bytes = counters.net_output_bytes = 0;
      counters.query_buffer_disconnections = counters.evicted_clients = 0;
      counters.output_limit_disconnections = 0;
      ops_rate = OpsRate{};  // its samples count requests from before
    };
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
        {"client-query-buffer-limit", std::to_string(options.client_input_bytes_max)},
        {"maxmemory-clients", std::to_string(options.clients_input_bytes_max)},
        {"proto-max-bulk-len", std::to_string(options.resp.bulk_bytes_max)},
        {"appendonly", "yes"},  // every write is in RocksDB's log before its reply
        {"appendfsync", durability},
        {"save", ""},  // no snapshots: the log is the state
        {"replica-id", std::to_string(options.id)},
        {"peer-port", std::to_string(options.peer_port)},
        {"peers", peers},
        {"gossip-ms", std::to_string(options.gossip_ms)},
        {"durability", durability},
        {"linearizable", options.linearizable},
        {"coordination-timeout-ms", std::to_string(options.coordination_timeout_ms)},
        // Redis answers requirepass with the password itself; calm-kvs never sends it back.
        {"protected-mode", options.protected_mode ? "yes" : "no"},
    };
    return f;
  }

  std::vector<std::pair<std::string, std::string>> info() {
    const auto now = std::chrono::steady_clock::now();
    const auto uptime_s = std::chrono::duration_cast<std::chrono::seconds>(now - started).count();
    const Router::Counters& routed = router.counters();
    ops_rate.sample(now, routed.processed);

    struct utsname names {};
    ::uname(&names);
    std::string server = info_line("redis_mode", std::string("standalone"));
    server +=
        info_line("os", std::string(names.sysname) + " " + names.release + " " + names.machine);
    server += info_line("arch_bits", 8 * sizeof(void*));
    server += info_line("multiplexing_api", std::string("epoll"));
    server += info_line("process_id", ::getpid());
    server += info_line("run_id", run_id);
    server += info_line("tcp_port", options.port);
    server += info_line("server_time_usec", wall_ms() * 1000);
    server += info_line("uptime_in_seconds", uptime_s);
    server += info_line("uptime_in_days", uptime_s / 86400);
    server += info_line("hz", 10);
    server += info_line("configured_hz", 10);
    std::array<char, 4096> exe{};
    const ssize_t exe_bytes = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
    server += info_line("executable", std::string(exe.data(), exe_bytes > 0 ? exe_bytes : 0));
    server += info_line("config_file", std::string());

    const std::uint64_t used = allocated_bytes();
    used_memory_peak = std::max(used_memory_peak, used);
    const std::uint64_t rss = resident_bytes();
    std::string memory = info_line("used_memory", used);
    memory += info_line("used_memory_human", human_bytes(used));
    memory += info_line("used_memory_rss", rss);
    memory += info_line("used_memory_rss_human", human_bytes(rss));
    memory += info_line("used_memory_peak", used_memory_peak);
    memory += info_line("used_memory_peak_human", human_bytes(used_memory_peak));
    // calm-kvs evicts nothing: a write that does not fit the disk is refused (MISCONF).
    memory += info_line("maxmemory", 0);
    memory += info_line("maxmemory_human", std::string("0B"));
    memory += info_line("maxmemory_policy", std::string("noeviction"));
    memory += info_line(
        "mem_fragmentation_ratio", used == 0 ? std::string("0.00") : [&] {
          char ratio[32];
          std::snprintf(ratio, sizeof(ratio), "%.2f",
                        static_cast<double>(rss) / static_cast<double>(used));
          return std::string(ratio);
        }());
    memory += info_line("mem_allocator", allocator_name());

    struct rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
      char text[48];
      std::snprintf(text, sizeof(text), "%ld.%06ld", static_cast<long>(t.tv_sec),
                    static_cast<long>(t.tv_usec));
      return std::string(text);
    };
    std::string cpu = info_line("used_cpu_sys", seconds(usage.ru_stime));
    cpu += info_line("used_cpu_user", seconds(usage.ru_utime));
    cpu += info_line("used_cpu_sys_children", std::string("0.000000"));
    cpu += info_line("used_cpu_user_children", std::string("0.000000"));

    const auto names_in_order = CommandProcessor::command_names();
    std::string commandstats;
    const auto& per_command = router.command_stats();
    std::uint64_t rejected_calls = 0, failed_calls = 0;
    for (std::size_t i = 0; i < per_command.size(); ++i) {
      const Router::CommandStat& st = per_command[i];
      rejected_calls += st.rejected;
      failed_calls += st.failed;
      if (st.calls == 0 && st.rejected == 0) continue;
      char per_call[48];
      std::snprintf(
          per_call, sizeof(per_call), "%.2f",
          st.calls == 0 ? 0.0 : static_cast<double>(st.usec) / static_cast<double>(st.calls));
      commandstats += "cmdstat_" + names_in_order[i] + ":calls=" + std::to_string(st.calls) +
                      ",usec=" + std::to_string(st.usec) + ",usec_per_call=" + per_call +
                      ",rejected_calls=" + std::to_string(st.rejected) +
                      ",failed_calls=" + std::to_string(st.failed) + "\r\n";
    }
    std::string errorstats;
    for (const auto& [kind, count] : router.error_stats()) {
      errorstats += "errorstat_" + kind + ":count=" + std::to_string(count) + "\r\n";
    }

    std::string text = info_line("role", std::string("master"));  // every replica takes writes
    text += info_line("connected_slaves", 0);
    text += "writer_id:" + std::to_string(writer.id) + "\r\n";
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
    if (const_cast<net::TcpRuntime&>(runtime).node() != nullptr) {
      const KvsNode& node = keyspace.node();
      const auto& stats = node.replica().stats();
      text += "delta_bytes_sent:" + std::to_string(stats.delta_bytes_sent) + "\r\n";
      text += "ack_bytes_sent:" + std::to_string(stats.ack_bytes_sent) + "\r\n";
      text += "delta_buffer_entries:" + std::to_string(node.replica().buffered_entries()) + "\r\n";
      // Peers that acknowledged every write this replica made or received: all of them once
      // the cluster is quiet (bench/kvs/compare.sh waits for it between tests).
      text += "peers_in_sync:" +
              std::to_string(node.replica().peers_holding(node.replica().last_seq())) + "\r\n";
      text += "batches_written:" + std::to_string(node.batches_written()) + "\r\n";
      text += "full_state_intervals:" + std::to_string(stats.full_state_intervals) + "\r\n";
      text += "intervals_started:" + std::to_string(stats.intervals_started) + "\r\n";
      text += "chunks_resent:" + std::to_string(stats.chunks_resent) + "\r\n";
      text += "peer_values_refused:" + std::to_string(stats.refused_by_admission) + "\r\n";
    }
    std::string persistence = info_line("loading", 0);
    persistence += info_line("async_loading", 0);
    persistence += info_line("rdb_changes_since_last_save", 0);  // every write is in the log
    persistence += info_line("rdb_bgsave_in_progress", 0);
    persistence += info_line("rdb_last_save_time", wall_ms() / 1000);
    persistence += info_line("rdb_last_bgsave_status", std::string("ok"));
    persistence += info_line("aof_enabled", 1);
    persistence += info_line("aof_rewrite_in_progress", 0);
    persistence += "durability:" + durability_name() + "\r\n";
    persistence +=
        std::string("aof_last_write_status:") + (last_write_error.empty() ? "ok" : "err") + "\r\n";
    persistence += "write_failures:" + std::to_string(counters.write_failures) + "\r\n";
    persistence += "data_dir:" + options.data_dir + "\r\n";
    std::string clients_info = "connected_clients:" + std::to_string(clients.size()) + "\r\n";
    clients_info += info_line("cluster_connections", 0);
    clients_info += info_line("blocked_clients", 0);  // calm-kvs has no blocking commands
    clients_info += info_line("tracking_clients", 0);
    clients_info += "maxclients:" + std::to_string(options.clients_max) + "\r\n";
    clients_info += "clients_input_bytes:" + std::to_string(input_bytes) + "\r\n";
    clients_info +=
        "clients_input_bytes_max:" + std::to_string(options.clients_input_bytes_max) + "\r\n";
    std::string stats = info_line("total_connections_received", counters.connections_received);
    stats += info_line("total_commands_processed", routed.processed);
    stats += info_line("instantaneous_ops_per_sec", ops_rate.per_second(now, routed.processed));
    stats += info_line("total_net_input_bytes", counters.net_input_bytes);
    stats += info_line("total_net_output_bytes", counters.net_output_bytes);
    stats += info_line("total_error_replies", routed.error_replies);
    stats += info_line("rejected_calls", rejected_calls);
    stats += info_line("failed_calls", failed_calls);
    // Wrong passwords (AUTH, HELLO AUTH): errorstats counts each error by its first word.
    const auto wrong_passwords = router.error_stats().find("WRONGPASS");
    stats += info_line("acl_access_denied_auth",
                       wrong_passwords == router.error_stats().end() ? 0 : wrong_passwords->second);
    // This replica's deletes of expired coordination-free keys (the log's are in Coordination).
    stats += info_line("expired_keys", processor.expiring().expired_keys());
    stats += info_line("evicted_keys", 0);
    stats += "rejected_connections:" + std::to_string(counters.rejected_connections) + "\r\n";
    stats += "accept_failures:" + std::to_string(counters.accept_failures) + "\r\n";
    stats += "client_query_buffer_limit_disconnections:" +
             std::to_string(counters.query_buffer_disconnections) + "\r\n";
    stats += "evicted_clients:" + std::to_string(counters.evicted_clients) + "\r\n";
    stats += info_line("client_output_buffer_limit_disconnections",
                       counters.output_limit_disconnections);
    stats += info_line("pubsub_channels", pubsub.channel_count());
    stats += info_line("pubsub_patterns", pubsub.pattern_subscriptions());
    stats += info_line("pubsub_peer_messages", counters.peer_messages_published);
    stats += info_line("pubsub_peer_messages_dropped", counters.peer_messages_dropped);
    return {{"Server", std::move(server)},
            {"Clients", std::move(clients_info)},
            {"Memory", std::move(memory)},
            {"Persistence", std::move(persistence)},
            {"Stats", std::move(stats)},
            {"Replication", std::move(text)},
            {"CPU", std::move(cpu)},
            {"Commandstats", std::move(commandstats)},
            {"Errorstats", std::move(errorstats)},
            {"Coordination", coordination_info()}};
  }

  /// INFO's Coordination section: the Paxos log of the linearizable keys.
  std::string coordination_info() const {
    const Router::Counters& routed = router.counters();
    std::string text = info_line("linearizable", options.linearizable);
    text += info_line("coordinated_commands", routed.coordinated);
    text += info_line("coordination_free_commands", routed.coordination_free);
    text += info_line("class_refusals", routed.refused);
    const LinearReplica* log = coordination ? coordination->replica() : nullptr;
    if (log == nullptr) return text + "log:off\r\n";
    const auto leader = log->leader();
    text += info_line("log", std::string("on"));
    text += info_line("log_leader", leader ? std::to_string(*leader) : std::string("none"));
    text += info_line("log_role", std::string(log->is_leader() ? "leader" : "follower"));
    text += info_line("log_commit_index", log->commit_index());
    text += info_line("log_applied_index", log->applied_index());
    text += info_line("log_snapshot_index", log->snapshot_index());
    text += info_line("log_elections_started", log->stats().elections_started);
    text += info_line("log_elections_won", log->stats().elections_won);
    text += info_line("log_commands_applied", log->stats().commands_applied);
    text += info_line("log_clock_ms", log->machine().now_ms());
    text += info_line("linearizable_keys", log->machine().keys());
    const LogCoordination::Stats& st = coordination->stats();
    text += info_line("in_flight", coordination->in_flight());
    text += info_line("forwarded_commands", st.forwarded);
    text += info_line("served_for_peers", st.served_for_peers);
    text += info_line("redirects", st.redirects);
    text += info_line("timeouts", st.timeouts);
    text += info_line("clock_entries", st.clock_entries);
    text += info_line("forward_messages_rejected", st.rejected_messages);
    return text;
  }

  void accept();
  void admit(tcp::socket socket);
  enum class Refusal { took_one, none_waiting, no_spare };
  Refusal refuse_with_spare_descriptor();
  void account(Client& client, std::size_t held);
  void evict_largest();
  /// CLIENT LIST's line for one connection, as Redis 7.0 formats it.
  std::string client_line(const Client& client) const;
  std::string client_list(const std::vector<std::uint64_t>* ids,
                          std::optional<ClientType> type) const;
  ClientType type_of(const Client& client) const;
  std::size_t kill_clients(const ClientKillFilter& filter, std::uint64_t self);

  /// The host wrote the turn's batch (`failure` null) or could not (then it rolled the turn
  /// back, and nothing of it was sent): the waiting clients get their replies, or one
  /// "MISCONF" error per request.
  void turn_ended(const std::string* failure);
  /// Sends `client`'s replies once the host has written this turn's batch (on_turn_end). The
  /// host's flush runs behind the handlers already ready, so that the requests of every
  /// client that sent some in this turn of the event loop share one batch.
  void reply_after_flush(std::shared_ptr<Client> client);

  /// Active expiry, as Redis's (hz 10): every 100 ms the sweep looks at up to 200 of the keys
  /// that carry an expiry and deletes the expired ones, and goes on, up to 10 rounds (2,000
  /// keys a tick), while more than a quarter of those it looked at were deleted. The deletes
  /// are ordinary writes of this turn.
  void schedule_expiry() {
    expire_timer.expires_after(expire_tick);
    expire_timer.async_wait([this](const error_code& ec) {
      if (ec) return;
      if (runtime.node() != nullptr) {
        ExpiringKeyspace& expiring = processor.expiring();
        for (int round = 0; round < expire_rounds_max; ++round) {
          const std::uint64_t before = expiring.expired_keys();
          const std::size_t looked = expiring.sweep(expire_keys_per_round);
          if (looked == 0 || (expiring.expired_keys() - before) * 4 <= looked) break;
        }
      }
      schedule_expiry();
    });
  }
  static constexpr std::chrono::milliseconds expire_tick{100};
  static constexpr std::size_t expire_keys_per_round = 200;
  static constexpr int expire_rounds_max = 10;

  void schedule_fsync() {
    if (options.fsync_always) return;
    fsync_timer.expires_after(std::chrono::seconds(1));
    fsync_timer.async_wait([this](const error_code& ec) {
      if (ec) return;
      try {
        rocks.sync();
      } catch (const protocols::storage::StorageError& e) {
        disk_log.note(std::string("fsync of the log failed: ") + e.what());
      }
      schedule_fsync();
    });
  }
};

/// One client connection: read, run every whole request, write the replies, read again.
///
/// Replies go out in the order of the requests. A request on a coordination-free key is
/// answered at once (once its turn's batch is written); one on a linearizable key is answered
/// when the log has applied it, maybe several turns later: its reply takes a place (`Slot`) in
/// `pending`, and the replies behind it wait there. The connection reads again once every
/// reply it owes is written.
struct KvsServer::Impl::Client final : std::enable_shared_from_this<Client>, Subscriber {
  /// A reply in order behind one that is not ready yet.
  struct Slot {
    std::string bytes;
    bool ready = false;
    bool deferred = false;     // a linearizable command's (it does not depend on the batch)
    std::size_t requests = 0;  // coordination-free requests whose replies it holds
    /// Pub/Sub pushes (ready, and `deferred` so that a failed batch leaves them), with the
    /// bytes of them `pushed_bytes` counts.
    bool push = false;
    std::size_t push_bytes = 0;
  };

  /// Router's view of this connection's replies.
  class Output final : public Replies {
   public:
    explicit Output(Client& client) : client_(client) {}
    std::string& now() override {
      if (client_.pending.empty()) return client_.output;
      if (!client_.pending.back()->ready || client_.pending.back()->deferred) {
        auto slot = std::make_shared<Slot>();
        slot->ready = true;
        client_.pending.push_back(std::move(slot));
      }
      return client_.pending.back()->bytes;
    }
    std::function<void(std::string)> later() override {
      auto slot = std::make_shared<Slot>();
      slot->deferred = true;
      client_.pending.push_back(slot);
      std::weak_ptr<Client> weak = client_.weak_from_this();
      return [weak, slot](std::string bytes) {
        slot->bytes = std::move(bytes);
        slot->ready = true;
        if (auto client = weak.lock()) client->pump();
      };
    }

   private:
    Client& client_;
  };

  Impl& server;
  tcp::socket socket;
  RequestParser parser;
  std::shared_ptr<Session> session = std::make_shared<Session>();
  Request request;  // reused: its strings keep their capacity, up to parser_keep_bytes
  /// Replies ready to write, in order; `pending` follows them.
  std::string output;
  std::deque<std::shared_ptr<Slot>> pending;
  /// Bytes of requests not yet whole this connection holds: fed since the end of the last
  /// whole request (the parser's buffer and the bulks of an array still arriving).
  std::size_t held = 0;
  /// Bytes fed since the parser was last replaced: past parser_keep_bytes, the parser and the
  /// request are replaced at the next request boundary, releasing what a large request grew.
  std::size_t fed = 0;
  /// The coordination-free requests of this turn whose replies are in `output`, and whether a
  /// protocol error ends it: a failed batch replies with one error for each.
  std::size_t output_requests = 0;
  std::string turn_protocol_error;
  /// Whether this turn's requests wrote, or read what the turn changed (HostKeyspace).
  bool turn_touched = false;
  bool awaiting_flush = false;  // replies wait for the turn's batch (turn_ended)
  /// `run` is executing requests: a reply the log completes meanwhile (at once, when it
  /// refuses) must not start a write of `output` while requests still append to it.
  bool in_run = false;
  bool writing = false;
  bool reading = false;            // a wait for the socket to be readable is armed
  bool over_output_limit = false;  // closing: it owed a push past pubsub_output_bytes_max
  std::string in_flight;           // what write() is writing (`output` takes what comes meanwhile)
  std::size_t pushed_bytes = 0;    // the bytes of the push slots in `pending`
  std::string turn_pushes;         // pushes made while this connection's request runs
  std::size_t turn_output_from = 0;  // where this turn's replies begin in `output`
  bool closing = false;              // QUIT or a protocol error: close once every reply is written
  /// The last turn stopped at turn_reply_bytes_max with requests left in the parser: they run
  /// (`resume`) once every reply owed is written, before anything more is read.
  bool paused = false;
  bool resume_posted = false;
  bool closed = false;
  std::size_t held_accounted = 0;  // `held` as the server's input_bytes counts it

  /// CLIENT LIST's: the two ends as ip:port, when it was accepted and last sent a request.
  std::string addr, laddr;
  int fd = -1;
  std::chrono::steady_clock::time_point created = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_active = created;

  Client(Impl& s, tcp::socket sock)
      : server(s),
        socket(std::move(sock)),
        parser(s.options.requirepass.empty() ? s.options.resp
                                             : unauthenticated_limits(s.options.resp)) {
    session->authenticated = s.options.requirepass.empty();
    session->id = ++s.client_ids;
    session->subscriber = this;
    error_code ignored;
    addr = endpoint_text(socket.remote_endpoint(ignored));
    laddr = endpoint_text(socket.local_endpoint(ignored));
    fd = socket.native_handle();
    socket.set_option(tcp::no_delay(true), ignored);
    socket.non_blocking(true, ignored);
  }

  void read() {
    if (reading) return;  // one wait at a time (a push's write may end while one is armed)
    auto self = shared_from_this();
    reading = true;
    // Wait until the socket is readable, then read into the server's buffer: no buffer per
    // idle connection.
    socket.async_wait(tcp::socket::wait_read, [this, self](const error_code& ec) {
      reading = false;
      if (ec || closed) return close();
      error_code read_ec;
      const std::size_t n = socket.read_some(asio::buffer(server.input), read_ec);
      if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) return read();
      if (read_ec) return close();
      server.counters.net_input_bytes += n;
      run(std::string_view(server.input.data(), n));
    });
  }

  void run(std::string_view bytes) {
    last_active = std::chrono::steady_clock::now();
    parser.feed(bytes);
    held += bytes.size();
    fed += bytes.size();
    turn();
  }

  /// Runs the requests left in the parser by a pause, as a turn of their own: posted, not run
  /// at once, because pump() may be running inside another connection's turn (a log reply).
  void resume() {
    if (resume_posted) return;
    resume_posted = true;
    asio::post(server.runtime.io_context(), [this, self = shared_from_this()] {
      resume_posted = false;
      if (closed || !paused) return;
      paused = false;
      turn();
    });
  }

  /// Runs the whole requests in the parser, up to turn_reply_bytes_max of replies.
  void turn() {
    auto self = shared_from_this();
    // Every change of this turn reaches RocksDB as one batch (the host's flush) before any
    // reply of the turn is sent.
    server.keyspace.untouch();
    output_requests = 0;
    turn_output_from = output.size();  // pushes written before the turn stay, whatever it does
    Output out(*this);
    in_run = true;
    // This turn's replies: in `output` and ready slots, and at most a log entry's bound for
    // each request it sent to the log (answered later, into a deferred slot).
    std::size_t reply_bytes = 0;
    const std::uint64_t log_requests_before = session->log_requests;
    const auto owed = [&] {
      return reply_bytes + (session->log_requests - log_requests_before) * entry_reply_bytes_max;
    };
    while (owed() < turn_reply_bytes_max && parser.next(request)) {
      held = parser.buffered_bytes();  // what is left belongs to the next request
      // What its reply adds where it goes: `output` or the last slot, or a slot it makes.
      const std::size_t slots = pending.size();
      const std::size_t last_before =
          pending.empty() ? output.size() : pending.back()->bytes.size();
      server.router.execute(request, session, out);
      const std::size_t last_after = pending.empty() ? output.size() : pending.back()->bytes.size();
      reply_bytes += pending.size() == slots ? last_after - last_before : last_after;
      if (session->authenticated != parser.limits().authenticated) {
        // AUTH: the ordinary bounds from now on; RESET: a stranger's again.
        parser.set_limits(session->authenticated ? server.options.resp
                                                 : unauthenticated_limits(server.options.resp));
      }
      // Where its reply went: `output`, a ready slot, or a deferred one (not counted: a
      // failed batch does not change the log's replies).
      if (pending.empty()) {
        ++output_requests;
      } else if (!pending.back()->deferred) {
        ++pending.back()->requests;
      }
      if (!turn_pushes.empty()) {  // pushes it made to this connection: behind its reply
        queue_push(turn_pushes, /*in_turn=*/true);
        turn_pushes.clear();
      }
      if (session->close) break;
    }
    paused = owed() >= turn_reply_bytes_max && !session->close && parser.buffered_bytes() > 0;
    server.router.end_turn(session);  // the turn's linearizable commands, as one log entry
    server.ops_rate.sample(std::chrono::steady_clock::now(), server.router.counters().processed);
    in_run = false;
    std::string protocol_error = parser.error();
    if (protocol_error.empty() && held > server.options.client_input_bytes_max) {
      ++server.counters.query_buffer_disconnections;
      protocol_error = "ERR Protocol error: request above client-query-buffer-limit (" +
                       std::to_string(server.options.client_input_bytes_max) + " bytes)";
    }
    // A protocol error is final: reply with it, then close, as Redis does.
    turn_protocol_error = std::move(protocol_error);
    closing = session->close || !turn_protocol_error.empty();
    if (!turn_protocol_error.empty()) {
      ReplyWriter(out.now()).error(turn_protocol_error);
      held = 0;
    }
    if (held == 0 && fed > parser_keep_bytes && !closing && !paused) {
      // A request boundary after a large request: hand its buffers back.
      // Swapped, not assigned: assigning a short string keeps the long one's allocation.
      RequestParser fresh(parser.limits());
      std::swap(parser, fresh);
      Request().swap(request);
      fed = 0;
      release_free_memory();  // once per large request
    }
    server.account(*this, held);
    if (closed) return;  // evicted: the connection held the most
    // Replies wait while anything of this turn (a write they made, or one they read) is not
    // in the log.
    turn_touched = server.keyspace.touched();
    if (server.keyspace.node().flush_due()) {
      awaiting_flush = true;
      server.reply_after_flush(self);
      return;
    }
    pump();
  }

  /// Writes the replies that are ready, in order; reads again once none is owed.
  void pump() {
    if (closed || writing || awaiting_flush || in_run) return;
    while (!pending.empty() && pending.front()->ready) {
      output += pending.front()->bytes;
      pushed_bytes -= pending.front()->push_bytes;
      pending.pop_front();
    }
    if (!output.empty()) return write();
    if (!pending.empty()) return;  // the log has not answered yet
    if (closing) return close();
    if (paused) return resume();  // the requests read before, first
    read();
  }

  /// The batch of this turn failed: one error in place of each coordination-free reply.
  void fail_turn(const std::string& error) {
    const auto errors = [&](std::size_t n) {
      std::string bytes;
      for (std::size_t i = 0; i < n; ++i) ReplyWriter(bytes).error(error);
      return bytes;
    };
    output.resize(turn_output_from);
    output += errors(output_requests);
    for (auto& slot : pending) {
      if (!slot->deferred) slot->bytes = errors(slot->requests);
    }
    if (!turn_protocol_error.empty()) {
      std::string& last = pending.empty() ? output : pending.back()->bytes;
      ReplyWriter(last).error(turn_protocol_error);
    }
  }

  void write() {
    auto self = shared_from_this();
    writing = true;
    // What is written moves aside: requests a read runs meanwhile (a push's write can start
    // while a read is armed) append their replies to `output` behind it.
    std::swap(output, in_flight);
    asio::async_write(socket, asio::buffer(in_flight),
                      [this, self](const error_code& ec, std::size_t written) {
                        server.counters.net_output_bytes += written;
                        writing = false;
                        in_flight.clear();
                        if (in_flight.capacity() > output_keep_bytes) {
                          std::string().swap(in_flight);
                          release_free_memory();
                        }
                        if (ec || closed) return close();
                        pump();
                      });
  }

  /// Bytes of pushes this connection has not taken yet (replies are bounded by requests).
  std::size_t owed_push_bytes() const {
    return output.size() + in_flight.size() + pushed_bytes + turn_pushes.size();
  }

  /// Appends a push (as RESP2 writes it) to `to`, in this connection's protocol: RESP3's push
  /// type is the same bytes with '>' for the first, '*'. Rewritten in place, not copied.
  void append_push(std::string& to, std::string_view bytes) const {
    const std::size_t at = to.size();
    to.append(bytes);
    if (session->protocol == Protocol::resp3) to[at] = '>';
  }

  /// A push in order behind every reply owed. Not in `output` while a turn's replies may
  /// still turn into errors (a failed batch), nor one slot per push: consecutive pushes share
  /// a slot.
  void queue_push(std::string_view bytes, bool in_turn) {
    if (pending.empty() && !awaiting_flush && !in_turn) {
      append_push(output, bytes);
      return;
    }
    if (pending.empty() || !pending.back()->push) {
      auto slot = std::make_shared<Slot>();
      slot->ready = true;
      slot->deferred = true;
      slot->push = true;
      pending.push_back(std::move(slot));
    }
    append_push(pending.back()->bytes, bytes);
    pending.back()->push_bytes += bytes.size();
    pushed_bytes += bytes.size();
  }

  /// A Pub/Sub push. One that this connection's own request made (a PUBLISH in its EXEC)
  /// goes behind that request's reply. A subscriber that owes more than
  /// pubsub_output_bytes_max is closed, as Redis's client-output-buffer-limit for pubsub
  /// does: a client that does not read cannot make the server hold its messages forever.
  void deliver(std::string_view bytes) override {
    if (closed || over_output_limit) return;
    CALM_ASSERT(!bytes.empty() && bytes[0] == '*', "a push is a RESP2 array");
    if (owed_push_bytes() + bytes.size() > pubsub_output_bytes_max) {
      over_output_limit = true;
      ++server.counters.output_limit_disconnections;
      // Later, never here: PubSub::publish may still deliver to this connection (a channel
      // and a pattern); the copy of the pointer keeps it alive until then.
      asio::post(server.runtime.io_context(), [self = shared_from_this()] { self->close(); });
      return;
    }
    // Already in the connection's protocol; queue_push's rewrite of the first byte is then a
    // no-op.
    if (in_run) return append_push(turn_pushes, bytes), void();
    queue_push(bytes, /*in_turn=*/false);
    pump();
  }

  /// Replies `error` and closes, without waiting for the reply to be read.
  void close_with(const std::string& error) {
    if (!writing) {  // not in the middle of a reply being written
      std::string line;
      ReplyWriter(line).error(error);
      error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(line), ignored);
    }
    close();
  }

  void close() {
    if (closed) return;
    closed = true;
    server.account(*this, 0);
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    pending.clear();
    server.pubsub.remove(*this);
    session->subscriptions = 0;
    server.clients.erase(shared_from_this());
  }
};

void KvsServer::Impl::account(Client& client, std::size_t held) {
  const bool grew = held > client.held_accounted;
  input_bytes = input_bytes - client.held_accounted + held;
  client.held_accounted = held;
  if (grew && input_bytes > options.clients_input_bytes_max) evict_largest();
}

std::string KvsServer::Impl::client_line(const Client& client) const {
  const auto now = std::chrono::steady_clock::now();
  const auto seconds = [&](std::chrono::steady_clock::time_point since) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - since).count());
  };
  const Session& s = *client.session;
  std::size_t output_bytes = client.output.size() + client.in_flight.size();
  for (const auto& slot : client.pending) output_bytes += slot->bytes.size();
  const auto [channels, patterns] = pubsub.held_counts(client);
  // Redis's fields, in its order; those calm-kvs has no counterpart for are 0, as Redis shows
  // them for an idle connection.
  std::string line =
      "id=" + std::to_string(s.id) + " addr=" + client.addr + " laddr=" + client.laddr +
      " fd=" + std::to_string(client.fd) + " name=" + s.name + " age=" + seconds(client.created) +
      " idle=" + seconds(client.last_active) + " flags=" +
      (s.in_multi                ? "x"
       : channels + patterns > 0 ? "P"
                                 : "N") +
      " db=0 sub=" + std::to_string(channels) + " psub=" + std::to_string(patterns) +
      " ssub=0 multi=" + (s.in_multi ? std::to_string(s.queued.size()) : std::string("-1")) +
      " qbuf=" + std::to_string(client.held) + " qbuf-free=0 argv-mem=0" +
      " multi-mem=" + std::to_string(s.queued_bytes) +
      " rbs=0 rbp=0 obl=" + std::to_string(client.output.size() + client.in_flight.size()) +
      " oll=" + std::to_string(client.pending.size()) + " omem=" + std::to_string(output_bytes) +
      " tot-mem=" + std::to_string(client.held + output_bytes + s.queued_bytes) +
      " events=" + (client.writing ? "rw" : "r") +
      " cmd=" + (s.last_command.empty() ? std::string("NULL") : s.last_command) +
      " user=default redir=-1 resp=" + std::to_string(static_cast<int>(s.protocol)) + "\n";
  return line;
}

ClientType KvsServer::Impl::type_of(const Client& client) const {
  return pubsub.count(client) > 0 ? ClientType::pubsub : ClientType::normal;
}

std::string KvsServer::Impl::client_list(const std::vector<std::uint64_t>* ids,
                                         std::optional<ClientType> type) const {
  std::string text;
  if (ids) {  // in the order given, as Redis
    std::unordered_map<std::uint64_t, const Client*> by_id;
    for (const auto& client : clients) {
      if (!client->closed) by_id.emplace(client->session->id, client.get());
    }
    for (const std::uint64_t id : *ids) {
      const auto it = by_id.find(id);
      if (it == by_id.end()) continue;
      text += client_line(*it->second);
      // Each client once, however often it is named: Redis prints a line per id named, so a
      // request of a few MB could ask for a reply of GBs (a long name repeated).
      by_id.erase(it);
    }
    return text;
  }
  // By id, as Redis lists them (oldest first).
  std::vector<const Client*> listed;
  for (const auto& client : clients) {
    if (!client->closed && (!type || type_of(*client) == *type)) listed.push_back(client.get());
  }
  std::sort(listed.begin(), listed.end(),
            [](const Client* a, const Client* b) { return a->session->id < b->session->id; });
  for (const Client* client : listed) text += client_line(*client);
  return text;
}

std::size_t KvsServer::Impl::kill_clients(const ClientKillFilter& filter, std::uint64_t self) {
  if (filter.type == ClientType::none) return 0;
  std::vector<std::shared_ptr<Client>> matched;
  for (const auto& client : clients) {
    const Session& s = *client->session;
    if (client->closed || (filter.id && s.id != *filter.id) ||
        (filter.addr && client->addr != *filter.addr) ||
        (filter.laddr && client->laddr != *filter.laddr) || (filter.skip_me && s.id == self) ||
        (filter.type && type_of(*client) != *filter.type)) {
      continue;
    }
    matched.push_back(client);
  }
  for (const auto& client : matched) {
    if (client->session->id == self) {
      client->session->close = true;  // after its reply, as QUIT
    } else {
      client->close();
    }
  }
  return matched.size();
}

void KvsServer::Impl::evict_largest() {
  while (input_bytes > options.clients_input_bytes_max && !clients.empty()) {
    const auto largest = *std::max_element(
        clients.begin(), clients.end(),
        [](const auto& a, const auto& b) { return a->held_accounted < b->held_accounted; });
    if (largest->held_accounted == 0) return;
    ++counters.evicted_clients;
    largest->close_with("ERR client input budget exceeded: all clients hold more than " +
                        std::to_string(options.clients_input_bytes_max) +
                        " bytes of unfinished requests (maxmemory-clients); closing the largest");
  }
}

void KvsServer::Impl::turn_ended(const std::string* failure) {
  auto waiting_now = std::exchange(waiting, {});
  for (auto& client : waiting_now) client->awaiting_flush = false;
  if (failure) {
    ++counters.write_failures;
    last_write_error = *failure;
    disk_log.note("a write failed, its commands get an error: " + *failure);
    // Redis's reply to a write it could not persist (redis-server 7.0,
    // writeCommandsGetDiskErrorMessage), with RocksDB's reason in place of strerror.
    const std::string error =
        "MISCONF Errors writing to the AOF file: " + one_line(*failure, error_reason_bytes_max);
    // Only the replies that depend on the turn's changes: a read of what is on disk stands.
    for (auto& client : waiting_now) {
      if (client->turn_touched) client->fail_turn(error);
    }
  } else {
    last_write_error.clear();
  }
  for (auto& client : waiting_now) client->pump();
}

void KvsServer::Impl::reply_after_flush(std::shared_ptr<Client> client) {
  waiting.push_back(std::move(client));
}

void KvsServer::Impl::admit(tcp::socket socket) {
  if (clients.size() >= options.clients_max) {
    ++counters.rejected_connections;
    const std::string busy = "-ERR max number of clients reached\r\n";
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(busy), ignored);
    return;
  }
  auto client = std::make_shared<Client>(*this, std::move(socket));
  ++counters.connections_received;
  clients.insert(client);
  client->read();
}

/// No descriptor is left for a waiting client: close the spare, accept the client with it,
/// tell it why, close it, and take the spare back. accept(2) fails with EMFILE before it looks
/// at the backlog, so the failure alone does not say whether anyone is waiting: the accept4 here
/// does (EAGAIN: nobody).
KvsServer::Impl::Refusal KvsServer::Impl::refuse_with_spare_descriptor() {
  if (spare_descriptor < 0) {
    spare_descriptor = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return Refusal::no_spare;
  }
  ::close(spare_descriptor);
  const int fd =
      ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  const int accept_errno = errno;
  if (fd >= 0) {
    static constexpr std::string_view busy = "-ERR max number of clients reached\r\n";
    (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(fd);
    ++counters.rejected_connections;
  }
  spare_descriptor = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  // ECONNABORTED: the client gave up while waiting, and is off the backlog all the same.
  if (fd >= 0 || accept_errno == ECONNABORTED) return Refusal::took_one;
  const bool nobody_waiting = accept_errno == EAGAIN || accept_errno == EWOULDBLOCK;
  return nobody_waiting && spare_descriptor >= 0 ? Refusal::none_waiting : Refusal::no_spare;
}

void KvsServer::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      accept_backoff = std::chrono::milliseconds(0);
      admit(std::move(socket));
      return accept();
    }
    ++counters.accept_failures;
    const bool out_of_descriptors = ec == asio::error::no_descriptors || ec.value() == ENFILE;
    const Refusal refusal = out_of_descriptors ? refuse_with_spare_descriptor() : Refusal::no_spare;
    if (refusal == Refusal::took_one) {
      accept_backoff = std::chrono::milliseconds(0);
      accept_log.note("accept failed: " + ec.message() + "; told the client " +
                      "\"max number of clients reached\" (" +
                      std::to_string(counters.accept_failures) + " failed accepts in all)");
      return accept();
    }
    if (refusal == Refusal::none_waiting) {
      // The spare is back and the backlog is empty: the next client to arrive makes the
      // listening socket readable, and is then accepted or told at once, with no polling.
      accept_backoff = std::chrono::milliseconds(0);
      acceptor.async_wait(tcp::acceptor::wait_read, [this](const error_code& wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    // Nothing taken from the backlog and no spare to take it with: retrying at once would spin
    // on the same error.
    accept_backoff = accept_backoff.count() == 0 ? accept_backoff_first
                                                 : std::min(accept_backoff * 2, accept_backoff_max);
    accept_log.note("accept failed: " + ec.message() + "; retrying in " +
                    std::to_string(accept_backoff.count()) + " ms (" +
                    std::to_string(counters.accept_failures) + " failed accepts in all)");
    accept_timer.expires_after(accept_backoff);
    accept_timer.async_wait([this](const error_code& wait_ec) {
      if (!wait_ec) accept();
    });
  });
}

KvsServer::KvsServer(KvsOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

KvsServer::~KvsServer() {
  error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->fsync_timer.cancel();
  impl_->accept_timer.cancel();
  impl_->expire_timer.cancel();
  for (const auto& client : std::set<std::shared_ptr<Impl::Client>>(impl_->clients)) {
    client->socket.close(ignored);
  }
  impl_->clients.clear();
  impl_->waiting.clear();
}

void KvsServer::run() {
  impl_->accept();
  impl_->schedule_fsync();
  impl_->schedule_expiry();
  // Runs first in the loop: a stop() made before the loop started (and so cleared by its
  // restart) takes effect now; one made later stops the running loop itself.
  asio::post(impl_->runtime.io_context(), [this] {
    if (impl_->stop_requested) impl_->runtime.stop();
  });
  impl_->runtime.run();
  // A clean stop: the last turn's writes, then the mark that lets the next start keep the
  // writer id (load_writer).
  try {
    if (impl_->runtime.node() != nullptr && impl_->keyspace.node().flush_due()) {
      impl_->keyspace.node().flush();
    }
    impl_->rocks.put(std::string(clean_stop_key), "", protocols::storage::Sync::yes);
  } catch (const protocols::storage::StorageError& e) {
    std::cerr << "calm-kvs: stopping without the clean-stop mark (the next start takes a "
                 "fresh writer id): "
              << e.what() << "\n";
  }
}

void KvsServer::stop() {
  impl_->stop_requested = true;
  impl_->runtime.stop();
}

std::uint16_t KvsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace calm::apps::kvs
