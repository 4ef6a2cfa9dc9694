// calm-paxos-load: drives calm-paxos replicas over loopback TCP (client_wire.hpp), measures
// throughput and latency, and with --check records the history and checks it for
// linearizability (protocols/check/linearizability.hpp). With --spawn it starts the replicas
// itself, and can kill -9 the leader under load and restart it: what the three-process test
// (tests/protocols/paxos_kill9 in CTest) and docs/benchmarks.md's Paxos figures run.
//
//   calm-paxos-load --spawn PATH/calm-paxos [--server-arg ARG]... | --replica ID=HOST:PORT...
//       [--seconds S] [--warmup S] [--clients K] [--connections C] [--keys N]
//       [--value-bytes B] [--reads F] [--check] [--kill-leader-at S] [--restart-after S]
//
// Clients are logical: K of them, each with one command outstanding at a time (the
// exactly-once rule of docs/paxos.md), multiplexed over C connections to each replica; so K
// is the pipeline depth. A client sends to the leader it last heard of; on not_leader it
// follows the hint, or tries the next replica; on a broken connection or after `timeout_ms`
// without a reply it sends the same (client, seq) to the next replica, so a command is never
// applied twice. Each operation is recorded once, from its first send to its reply.
//
// Exit status: 0 when every check passed; 1 when the history is not linearizable, a command
// was still pending `settle` seconds after the load stopped, or nothing was applied after the
// kill; 2 for bad usage.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/latencies.hpp"
#include "cli/processes.hpp"
#include "cli/usage.hpp"
#include "lattices/random.hpp"
#include "paxos/client_connection.hpp"
#include "paxos/client_wire.hpp"
#include "paxos/kv_machine.hpp"
#include "protocols/check/linearizability.hpp"
#include "protocols/check/models.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;
namespace wire = calm::paxos_app::wire;
namespace check = calm::protocols::check;
using calm::paxos_app::ClientConnection;
using Clock = std::chrono::steady_clock;

constexpr std::string_view usage =
    "usage: calm-paxos-load (--spawn PATH [--server-arg ARG]... | --replica ID=HOST:PORT...)\n"
    "         [--seconds S] [--warmup S] [--clients K] [--connections C] [--keys N]\n"
    "         [--value-bytes B] [--reads F] [--check] [--kill-leader-at S]\n"
    "         [--restart-after S]\n";
const calm::apps::Usage cli("calm-paxos-load", usage);

struct Options {
  std::string spawn;
  std::vector<std::string> server_args;
  std::map<std::uint64_t, std::pair<std::string, std::uint16_t>> replicas;  // client ports
  double seconds = 5, warmup = 1, reads = 0, kill_at = -1, restart_after = -1;
  std::size_t clients = 64, connections = 1, keys = 1000, value_bytes = 16;
  bool check = false;
  double settle = 15;
  std::uint64_t timeout_ms = 1000;
};

/// The replicas this tool started (--spawn): three processes on loopback.
class Cluster {
 public:
  Cluster(const std::string& binary, const std::vector<std::string>& extra)
      : processes_("calm-paxos-load") {
    std::vector<std::uint16_t> peer_ports;
    for (std::uint64_t id = 0; id < 3; ++id) {
      peer_ports.push_back(calm::apps::free_port());
      client_ports_.push_back(calm::apps::free_port());
    }
    for (std::uint64_t id = 0; id < 3; ++id) {
      const std::string name = "replica" + std::to_string(id);
      std::vector<std::string> args = {binary,
                                       "--id",
                                       std::to_string(id),
                                       "--listen",
                                       "127.0.0.1:" + std::to_string(peer_ports[id]),
                                       "--client",
                                       "127.0.0.1:" + std::to_string(client_ports_[id]),
                                       "--data",
                                       processes_.path(name)};
      for (std::uint64_t peer = 0; peer < 3; ++peer) {
        if (peer == id) continue;
        args.push_back("--peer");
        args.push_back(std::to_string(peer) + "=127.0.0.1:" + std::to_string(peer_ports[peer]));
      }
      args.insert(args.end(), extra.begin(), extra.end());
      processes_.start(processes_.add(name, std::move(args)));
    }
  }

  void start(std::uint64_t id) { processes_.start(id); }
  void stop(std::uint64_t id, int signal) { processes_.stop(id, signal); }
  std::uint16_t client_port(std::uint64_t id) const { return client_ports_[id]; }
  void dump_logs(std::ostream& out) const { processes_.dump_logs(out); }

 private:
  calm::apps::Processes processes_;
  std::vector<std::uint16_t> client_ports_;
};

using Op = check::Operation<check::KeyValueModel::Input, std::string>;

class Load {
 public:
  Load(asio::io_context& io, Options options)
      : io_(io), options_(std::move(options)), tick_(io), random_(calm::entropy_seed()) {
    for (const auto& [id, address] : options_.replicas) {
      ids_.push_back(id);
      for (std::size_t c = 0; c < options_.connections; ++c) {
        const std::uint64_t replica = id;
        connections_[id].push_back(std::make_shared<ClientConnection>(
            io_, tcp::endpoint(asio::ip::make_address(address.first), address.second),
            "calm-paxos-load", [this, replica](const wire::Reply& r) { on_reply(replica, r); },
            [this, replica] { on_broken(replica); }));
      }
    }
    const std::uint64_t base = random_.next() & 0xffffffffffull;
    for (std::size_t i = 0; i < options_.clients; ++i) {
      Client c;
      c.id = (base << 16) + i + 1;
      c.index = i;
      c.target = ids_[i % ids_.size()];
      clients_.push_back(c);
    }
  }

  /// Runs to the end; returns the exit status.
  int run(Cluster* cluster) {
    cluster_ = cluster;
    start_ = Clock::now();
    for (auto& [id, conns] : connections_) {
      for (auto& c : conns) c->connect();
    }
    for (Client& c : clients_) next_op(c);
    schedule_tick();
    io_.run();
    return report();
  }

 private:
  struct Client {
    std::uint64_t id = 0;
    std::size_t index = 0;
    std::uint64_t seq = 0;
    std::uint64_t target = 0;
    wire::Request request;
    bool outstanding = false;
    std::size_t op = 0;            // its operation in the history
    Clock::time_point first_sent;  // of the current operation
    Clock::time_point sent;        // of its last attempt
    std::optional<Clock::time_point> retry_at;
  };

  std::uint64_t since_start_ns(Clock::time_point t) const {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count());
  }
  double elapsed_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void next_op(Client& c) {
    if (stopping_) return;
    ++c.seq;
    const std::string key = "k" + std::to_string(random_.below(options_.keys));
    const bool read = random_.chance(options_.reads);
    check::KeyValueModel::Input input{!read, key, {}};
    if (read) {
      c.request = {true, c.id, c.seq, calm::paxos_app::get_command(key)};
    } else {
      std::string value = std::to_string(c.id) + "." + std::to_string(c.seq);
      if (value.size() < options_.value_bytes) value.resize(options_.value_bytes, '.');
      input.value = value;
      c.request = {false, c.id, c.seq, calm::paxos_app::put_command(key, value)};
    }
    c.first_sent = Clock::now();
    if (options_.check) {
      c.op = history_.size();
      history_.push_back(Op{c.id, std::move(input), std::nullopt, since_start_ns(c.first_sent)});
    }
    send(c);
  }

  /// The final reads (--check): one get through the log per key, after the load stopped.
  void final_read(Client& c, std::size_t key) {
    ++c.seq;
    const std::string name = "k" + std::to_string(key);
    c.request = {false, c.id, c.seq, calm::paxos_app::get_command(name)};
    c.first_sent = Clock::now();
    c.op = history_.size();
    history_.push_back(Op{c.id, {false, name, {}}, std::nullopt, since_start_ns(c.first_sent)});
    send(c);
  }

  void send(Client& c) {
    c.outstanding = true;
    c.retry_at.reset();
    c.sent = Clock::now();
    auto& conn = connections_[c.target][c.index % options_.connections];
    if (!conn->up()) {
      retry_elsewhere(c);
      return;
    }
    conn->send(c.request);
  }

  void retry_elsewhere(Client& c) {
    const auto it = std::find(ids_.begin(), ids_.end(), c.target);
    c.target = ids_[(static_cast<std::size_t>(it - ids_.begin()) + 1) % ids_.size()];
    c.retry_at = Clock::now() + std::chrono::milliseconds(20);
  }

  Client* client_of(std::uint64_t id) {
    const std::uint64_t base = clients_.front().id;
    if (id < base || id - base >= clients_.size()) return nullptr;
    return &clients_[id - base];
  }

  void on_reply(std::uint64_t from, const wire::Reply& r) {
    Client* c = client_of(r.client);
    if (c == nullptr || !c->outstanding || r.seq != c->seq) return;  // an earlier attempt's
    switch (r.kind) {
      case wire::Kind::applied:
        break;
      case wire::Kind::not_leader:
        ++not_leader_;
        if (r.leader && *r.leader != c->target && connections_.count(*r.leader) != 0) {
          c->target = *r.leader;
          send(*c);
        } else {
          retry_elsewhere(*c);
        }
        return;
      case wire::Kind::busy:
        ++busy_;
        c->retry_at = Clock::now() + std::chrono::milliseconds(5);
        return;
      case wire::Kind::too_large:
      case wire::Kind::error:
        std::cerr << "calm-paxos-load: refused: " << r.result << "\n";
        failed_ = true;
        c->outstanding = false;
        return;
    }
    const auto now = Clock::now();
    c->outstanding = false;
    if (options_.check) {
      Op& op = history_[c->op];
      op.output = r.result;
      op.returned = since_start_ns(now);
    }
    if (r.result.rfind("ERR", 0) == 0) {
      std::cerr << "calm-paxos-load: " << r.result << "\n";
      failed_ = true;
    }
    last_applied_by_ = from;
    const double t = elapsed_s();
    if (kill_time_ && !recovered_after_kill_ && now > *kill_time_) {
      recovered_after_kill_ = now - *kill_time_;
    }
    if (t >= options_.warmup && t < options_.warmup + options_.seconds) {
      ++measured_;
      latencies_.add(now - c->first_sent);
    }
    if (!stopping_) next_op(*c);
  }

  void on_broken(std::uint64_t replica) {
    for (Client& c : clients_) {
      if (c.outstanding && c.target == replica && !c.retry_at) retry_elsewhere(c);
    }
  }

  void schedule_tick() {
    tick_.expires_after(std::chrono::milliseconds(2));
    tick_.async_wait([this](const error_code& ec) {
      if (!ec) on_tick();
    });
  }

  void on_tick() {
    const auto now = Clock::now();
    const double t = elapsed_s();
    for (auto& [id, conns] : connections_) {
      for (auto& conn : conns) {
        if (!conn->up() && !conn->connecting() && now >= reconnect_at_) conn->connect();
      }
    }
    if (now >= reconnect_at_) reconnect_at_ = now + std::chrono::milliseconds(50);
    for (Client& c : clients_) {
      if (!c.outstanding) continue;
      if (c.retry_at && now >= *c.retry_at) {
        send(c);
      } else if (!c.retry_at && now - c.sent > std::chrono::milliseconds(options_.timeout_ms)) {
        ++timeouts_;
        retry_elsewhere(c);
      }
    }
    if (cluster_ && options_.kill_at >= 0 && !kill_time_ && t >= options_.kill_at) {
      killed_ = last_applied_by_;
      std::cerr << "calm-paxos-load: kill -9 replica " << *killed_ << " (the leader) at " << t
                << " s\n";
      cluster_->stop(*killed_, SIGKILL);
      kill_time_ = now;
    }
    if (cluster_ && killed_ && options_.restart_after >= 0 && !restarted_ &&
        t >= options_.kill_at + options_.restart_after) {
      std::cerr << "calm-paxos-load: restart replica " << *killed_ << " at " << t << " s\n";
      cluster_->start(*killed_);
      restarted_ = true;
    }
    const double end = options_.warmup + options_.seconds;
    if (!stopping_ && t >= end) stopping_ = true;
    if (stopping_) {
      const bool idle = std::none_of(clients_.begin(), clients_.end(),
                                     [](const Client& c) { return c.outstanding; });
      if (t < end + options_.settle && options_.check && next_final_key_ < options_.keys &&
          (idle || next_final_key_ > 0)) {
        // Once the load has drained: a get of every key through the log, each client one at
        // a time, so that an acknowledged put that was lost shows as a stale read.
        for (Client& c : clients_) {
          if (next_final_key_ >= options_.keys) break;
          if (!c.outstanding) final_read(c, next_final_key_++);
        }
      } else if (idle || t >= end + options_.settle) {
        pending_at_end_ = static_cast<std::size_t>(std::count_if(
            clients_.begin(), clients_.end(), [](const Client& c) { return c.outstanding; }));
        for (auto& [id, conns] : connections_) {
          for (auto& conn : conns) conn->close();
        }
        return;  // io_.run returns once nothing is left
      }
    }
    schedule_tick();
  }

  int report() {
    const auto pct = [&](double p) { return latencies_.percentile_us(p); };
    std::printf(
        "commands/s %.0f  p50 %.1f us  p99 %.1f us  (%zu clients, %zu in %.1f s; not_leader %llu, "
        "busy %llu, timeouts %llu)\n",
        static_cast<double>(measured_) / options_.seconds, pct(0.5), pct(0.99), options_.clients,
        measured_, options_.seconds, static_cast<unsigned long long>(not_leader_),
        static_cast<unsigned long long>(busy_), static_cast<unsigned long long>(timeouts_));
    int status = failed_ ? 1 : 0;
    if (kill_time_) {
      if (recovered_after_kill_) {
        std::printf("leader killed; first command applied %.0f ms after the kill\n",
                    std::chrono::duration<double, std::milli>(*recovered_after_kill_).count());
      } else {
        std::printf("FAILED: nothing applied after the leader was killed\n");
        status = 1;
      }
    }
    if (pending_at_end_ != 0) {
      std::printf("FAILED: %zu commands still pending %.0f s after the load stopped\n",
                  pending_at_end_, options_.settle);
      status = 1;
    }
    if (options_.check) {
      const auto started = Clock::now();
      const auto result = check::check_linearizable(check::KeyValueModel{}, history_);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      if (result.verdict == check::Verdict::linearizable) {
        std::printf("history: %zu operations, linearizable (checked in %.0f ms)\n", history_.size(),
                    ms);
      } else {
        std::printf("FAILED: history of %zu operations: %s\n", history_.size(),
                    result.report.c_str());
        status = 1;
      }
    }
    return status;
  }

  asio::io_context& io_;
  Options options_;
  asio::steady_timer tick_;
  calm::SplitMix64 random_;
  std::vector<std::uint64_t> ids_;
  std::map<std::uint64_t, std::vector<std::shared_ptr<ClientConnection>>> connections_;
  std::vector<Client> clients_;
  Clock::time_point start_;
  Clock::time_point reconnect_at_;
  Cluster* cluster_ = nullptr;
  std::vector<Op> history_;
  calm::apps::Latencies latencies_;
  std::size_t measured_ = 0;
  std::uint64_t not_leader_ = 0, busy_ = 0, timeouts_ = 0;
  std::uint64_t last_applied_by_ = 0;
  std::optional<std::uint64_t> killed_;
  std::optional<Clock::time_point> kill_time_;
  std::optional<Clock::duration> recovered_after_kill_;
  bool restarted_ = false;
  bool stopping_ = false;
  std::size_t next_final_key_ = 0;
  std::size_t pending_at_end_ = 0;
  bool failed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--check") {
      options.check = true;
      continue;
    }
    if (i + 1 >= argc) cli.fail(flag + " needs a value");
    const std::string value = argv[++i];
    const auto count = [&] { return static_cast<std::size_t>(cli.real(value, flag)); };
    if (flag == "--spawn") {
      options.spawn = value;
    } else if (flag == "--server-arg") {
      options.server_args.push_back(value);
    } else if (flag == "--replica") {
      const auto eq = value.find('=');
      if (eq == std::string::npos) cli.fail("--replica needs ID=HOST:PORT");
      options.replicas[cli.number(value.substr(0, eq), "an id")] =
          cli.address(value.substr(eq + 1));
    } else if (flag == "--seconds") {
      options.seconds = cli.real(value, flag);
    } else if (flag == "--warmup") {
      options.warmup = cli.real(value, flag);
    } else if (flag == "--clients") {
      options.clients = count();
    } else if (flag == "--connections") {
      options.connections = count();
    } else if (flag == "--keys") {
      options.keys = count();
    } else if (flag == "--value-bytes") {
      options.value_bytes = count();
    } else if (flag == "--reads") {
      options.reads = cli.real(value, flag);
    } else if (flag == "--kill-leader-at") {
      options.kill_at = cli.real(value, flag);
    } else if (flag == "--restart-after") {
      options.restart_after = cli.real(value, flag);
    } else if (flag == "--settle") {
      options.settle = cli.real(value, flag);
    } else {
      cli.fail("unknown flag " + flag);
    }
  }
  if (options.spawn.empty() == options.replicas.empty()) {
    cli.fail("give --spawn or --replica, not both");
  }
  if (options.clients == 0 || options.connections == 0 || options.keys == 0 ||
      options.seconds <= 0 || options.reads > 1) {
    cli.fail("--clients, --connections, --keys and --seconds are positive, --reads <= 1");
  }
  if (options.kill_at >= 0 && options.spawn.empty()) cli.fail("--kill-leader-at needs --spawn");
  ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<Cluster> cluster;
  try {
    if (!options.spawn.empty()) {
      cluster = std::make_unique<Cluster>(options.spawn, options.server_args);
      for (std::uint64_t id = 0; id < 3; ++id) {
        options.replicas[id] = {"127.0.0.1", cluster->client_port(id)};
      }
    }
    asio::io_context io;
    Load load(io, options);
    const int status = load.run(cluster.get());
    if (status != 0 && cluster) cluster->dump_logs(std::cerr);
    return status;
  } catch (const std::exception& e) {
    std::cerr << "calm-paxos-load: " << e.what() << "\n";
    return 1;
  }
}
