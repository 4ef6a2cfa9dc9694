// calm-kvs: a replicated key-value store that speaks the Redis protocol (docs/kvs.md).
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "kvs/server.hpp"

namespace {

using calm::apps::kvs::KvsOptions;
using calm::apps::kvs::KvsServer;

constexpr std::string_view usage = R"(usage: calm-kvs [options]
  --id N               this replica's id (default 1)
  --port P             RESP port for Redis clients (default 6380)
  --bind ADDR          address to listen on (default 127.0.0.1)
  --data DIR           where the replica keeps its state (default ./calm-data)
  --peer-port P        replication port (default 16380)
  --peers LIST         every replica of the cluster, itself included: ID@HOST:PORT,...
                       where PORT is that replica's --peer-port (default: none, alone)
  --gossip-ms MS       anti-entropy interval (default 50)
  --linearizable PATTERNS
                       keys matching any of these glob patterns (comma-separated, e.g.
                       'lock:*,id:*') are linearizable: the replicated Paxos log owns them,
                       and SETNX, SET NX/XX/GET/PX, GETSET, INCR ids, MULTI/EXEC, WATCH and
                       expiry work on them as on one Redis server (default: none)
  --coordination-timeout-ms MS
                       a command on a linearizable key that no leader with a majority
                       answered within MS fails with NOQUORUM (default 2000)
  --durability MODE    everysec (default: fsync once a second) or always (fsync per write)
  --cluster-secret-file PATH
                       the secret replicas prove to each other (at least 32 bytes; one
                       trailing newline ignored), the same file content on every replica;
                       required to --bind beyond loopback
  --requirepass-file PATH
                       clients must AUTH with the password this file holds (one line, a
                       trailing newline ignored; at most 4096 bytes): Redis's requirepass
  --protected-mode yes|no
                       yes (default): without a password, refuse to --bind beyond loopback
  --clock-offset-ms MS for tests only: shift this replica's wall clock by MS (may be < 0)
  --maxclients N       client connections served at once (default 10000; lowered at start
                       to fit the descriptor limit)
  --client-query-buffer-limit BYTES
                       unfinished request bytes one connection may hold (default 128 MiB)
  --maxmemory-clients BYTES
                       the same over all connections (default 1 GiB)
  --help               this text
)";

[[noreturn]] void fail_usage(const std::string& why) {
  std::cerr << "calm-kvs: " << why << "\n" << usage;
  std::exit(2);
}

std::uint64_t number(const std::string& text, const std::string& what, std::uint64_t max) {
  std::size_t used = 0;
  try {
    const unsigned long long value = std::stoull(text, &used);
    if (used == text.size() && value <= max) return value;
  } catch (const std::exception&) {
  }
  fail_usage(what + " is not a number up to " + std::to_string(max) + ": " + text);
}

/// SIGINT and SIGTERM stop the server from a thread of their own, which waits for them with
/// sigwait: a signal handler may not call stop(), which is not async-signal-safe. StopSignals
/// blocks them before any other thread starts (RocksDB's, the sync thread), so that every
/// thread inherits the mask and only the waiter takes them.
struct StopSignals {
  StopSignals() {
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }
  sigset_t set;
};

/// The waiter. Made after the server and so destroyed before it: it never outlives it.
class StopOnSignal {
 public:
  StopOnSignal(StopSignals& signals, KvsServer& server)
      : waiter_([this, &signals, &server] {
          // Every signal stops the server (a second one too, should the first have come
          // before it could act), until the destructor's own wakes it to leave.
          for (;;) {
            int received = 0;
            sigwait(&signals.set, &received);
            if (leaving_) return;
            server.stop();
          }
        }) {}
  /// Wakes the waiter if no signal came (the server stopped by itself, or threw), and joins it.
  ~StopOnSignal() {
    leaving_ = true;
    pthread_kill(waiter_.native_handle(), SIGTERM);
    waiter_.join();
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  std::atomic<bool> leaving_ = false;
  std::thread waiter_;  // last: it starts once leaving_ is made
};

}  // namespace

int main(int argc, char** argv) {
  KvsOptions options;
  options.data_dir = "calm-data";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << usage;
      return 0;
    }
    if (i + 1 >= argc) fail_usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--id") {
      options.id = number(value, "--id", UINT64_MAX);
    } else if (flag == "--port") {
      options.port = static_cast<std::uint16_t>(number(value, "--port", 65535));
    } else if (flag == "--bind") {
      options.bind = value;
    } else if (flag == "--data") {
      options.data_dir = value;
    } else if (flag == "--peer-port") {
      options.peer_port = static_cast<std::uint16_t>(number(value, "--peer-port", 65535));
    } else if (flag == "--gossip-ms") {
      options.gossip_ms = number(value, "--gossip-ms", 3600 * 1000);
    } else if (flag == "--linearizable") {
      options.linearizable = value;
    } else if (flag == "--coordination-timeout-ms") {
      options.coordination_timeout_ms = number(value, flag, 3600 * 1000);
      if (options.coordination_timeout_ms == 0) fail_usage(flag + " is at least 1");
    } else if (flag == "--cluster-secret-file") {
      options.cluster_secret_file = value;
    } else if (flag == "--requirepass-file") {
      options.requirepass_file = value;
    } else if (flag == "--protected-mode") {
      if (value != "yes" && value != "no") fail_usage("--protected-mode: yes or no");
      options.protected_mode = value == "yes";
    } else if (flag == "--durability") {
      if (value != "everysec" && value != "always") fail_usage("--durability: everysec or always");
      options.fsync_always = value == "always";
    } else if (flag == "--clock-offset-ms") {  // for tests: replicas with skewed clocks
      constexpr std::int64_t offset_ms_max = 10LL * 365 * 24 * 3600 * 1000;
      const std::string magnitude = value.starts_with('-') ? value.substr(1) : value;
      const auto ms = static_cast<std::int64_t>(number(magnitude, flag, offset_ms_max));
      options.clock_offset_ms = value.starts_with('-') ? -ms : ms;
    } else if (flag == "--maxclients") {
      options.clients_max = number(value, "--maxclients", 1u << 20);
    } else if (flag == "--client-query-buffer-limit") {
      options.client_input_bytes_max = number(value, flag, std::uint64_t{1} << 40);
    } else if (flag == "--maxmemory-clients") {
      options.clients_input_bytes_max = number(value, flag, std::uint64_t{1} << 40);
    } else if (flag == "--peers") {
      std::istringstream list(value);
      std::string entry;
      while (std::getline(list, entry, ',')) {
        const auto at = entry.find('@');
        const auto colon = entry.rfind(':');
        if (at == std::string::npos || colon == std::string::npos || colon < at) {
          fail_usage("--peers entries are ID@HOST:PORT, not " + entry);
        }
        options.peers.push_back(
            {number(entry.substr(0, at), "a replica id", UINT64_MAX),
             entry.substr(at + 1, colon - at - 1),
             static_cast<std::uint16_t>(number(entry.substr(colon + 1), "a peer port", 65535))});
      }
    } else {
      fail_usage("unknown option " + flag);
    }
  }
  if (!options.linearizable.empty()) {
    // The log's client ids hold a replica id in 40 bits (coordination.hpp).
    constexpr std::uint64_t id_max = (std::uint64_t{1} << 40) - 1;
    if (options.id > id_max) fail_usage("--linearizable needs replica ids below 2^40");
    for (const auto& p : options.peers) {
      if (p.id > id_max) fail_usage("--linearizable needs replica ids below 2^40");
    }
  }
  try {
    StopSignals stop_signals;  // first: before the server starts its threads
    KvsServer server(options);
    const StopOnSignal stop_on_signal(stop_signals, server);
    std::cerr << "calm-kvs: replica " << options.id << " serving RESP on " << options.bind << ":"
              << server.port() << ", replicating on port " << options.peer_port << ", data in "
              << options.data_dir << "\n"
              << "calm-kvs: "
              << (options.cluster_secret_file.empty()
                      ? "no cluster secret: replicas are not authenticated (loopback only)"
                      : "replicas authenticate with the cluster secret in " +
                            options.cluster_secret_file)
              << "\n"
              << "calm-kvs: "
              << (options.requirepass_file.empty()
                      ? "no password: clients need no AUTH"
                      : "clients AUTH with the password in " + options.requirepass_file)
              << "\n";
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "calm-kvs: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
