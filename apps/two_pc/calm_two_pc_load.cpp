// calm-two-pc-load: starts one calm-two-pc coordinator and three participants on loopback,
// drives transfers between bank accounts through the coordinator, measures decided
// transactions a second and their latency, and checks the bank at the end: the total of the
// balances unchanged, and every account's balance what the transfers reported committed make
// it (give or take those whose outcome the tool never heard: in flight when the coordinator
// was killed). It can kill -9 the coordinator and a participant under load and restart them:
// what the three-process test and docs/benchmarks.md's two-phase commit figures run.
//
//   calm-two-pc-load --spawn PATH/calm-two-pc [--server-arg ARG]... [--seconds S]
//       [--warmup S] [--clients K] [--accounts N] [--acceptors A] [--kill-coordinator-at S]
//       [--kill-participant-at S] [--restart-after S] [--coordinator-gone] [--settle S]
//       [--no-check] [--transfers-per-request T]
//
// --acceptors A: Paxos Commit with A acceptors (nodes 4 on; 2F+1 of them), 0 for two-phase
// commit. --coordinator-gone: the killed coordinator is never restarted; the participants
// must still settle (Paxos Commit decides without it), and the transfers it had not
// answered count as unknown.
// --no-check: no bank at the end (for calm-two-pc --echo, the benchmarks' ceiling).
// --transfers-per-request T: each request carries T transfers (calm-two-pc takes more than one
// with --batch-transfers); a client waits for all T, and each counts as a transaction.
// Clients are logical: K of them, each with one transfer outstanding (K is the pipeline
// depth), on one connection to the coordinator. A transfer moves 1 to 10 from one account to
// another (account i is at participant 1 + i % 3). busy is retried; a transfer whose
// connection broke, or with no reply within `timeout_ms`, is counted unknown and the client
// goes on. Exit status: 0 when the checks passed, 1 when not, 2 for bad usage.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <signal.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/latencies.hpp"
#include "cli/processes.hpp"
#include "cli/usage.hpp"
#include "lattices/random.hpp"
#include "paxos/client_connection.hpp"
#include "paxos/client_wire.hpp"
#include "two_pc/bank.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;
namespace wire = calm::paxos_app::wire;
using calm::paxos_app::ClientConnection;
using Clock = std::chrono::steady_clock;

constexpr std::string_view usage =
    "usage: calm-two-pc-load --spawn PATH [--server-arg ARG]... [--seconds S] [--warmup S]\n"
    "         [--clients K] [--accounts N] [--acceptors A] [--kill-coordinator-at S]\n"
    "         [--kill-participant-at S] [--restart-after S] [--coordinator-gone]\n"
    "         [--settle S] [--no-check] [--transfers-per-request T]\n";
const calm::apps::Usage cli("calm-two-pc-load", usage);

constexpr std::uint64_t participants = 3;

struct Options {
  std::string spawn;
  std::vector<std::string> server_args;
  double seconds = 5, warmup = 1, kill_coordinator_at = -1, kill_participant_at = -1;
  double restart_after = 1, settle = 15;
  std::size_t clients = 64, accounts = 3000, acceptors = 0, transfers_per_request = 1;
  bool check = true, coordinator_gone = false;
  std::uint64_t timeout_ms = 2000;
};

/// The coordinator (node 0), the participants (1 to 3) and the acceptors (4 on), started by
/// this tool.
class Cluster {
 public:
  Cluster(const std::string& binary, const std::vector<std::string>& extra, std::size_t acceptors)
      : processes_("calm-two-pc-load") {
    std::vector<std::uint16_t> peer_ports;
    const std::uint64_t last = participants + acceptors;
    std::string acceptor_list;
    for (std::uint64_t id = 0; id <= last; ++id) {
      peer_ports.push_back(calm::apps::free_port());
      client_ports_.push_back(calm::apps::free_port());
      if (id > participants) {
        acceptor_list += (acceptor_list.empty() ? "" : ",") + std::to_string(id);
      }
    }
    // Who talks to whom: the coordinator to each participant; with acceptors, everyone to
    // each acceptor and the participants to one another (a recovery leader's Learned).
    const auto linked = [&](std::uint64_t a, std::uint64_t b) {
      if (a == b) return false;
      if (a == 0 || b == 0) return true;
      return acceptors > 0 && (a <= participants || b <= participants);
    };
    for (std::uint64_t id = 0; id <= last; ++id) {
      const char* role = id == 0 ? "coordinator" : id <= participants ? "participant" : "acceptor";
      const std::string name = role + std::to_string(id);
      std::vector<std::string> args = {binary,
                                       "--id",
                                       std::to_string(id),
                                       "--role",
                                       role,
                                       "--listen",
                                       "127.0.0.1:" + std::to_string(peer_ports[id]),
                                       "--client",
                                       "127.0.0.1:" + std::to_string(client_ports_[id]),
                                       "--data",
                                       processes_.path(name)};
      for (std::uint64_t peer = 0; peer <= last; ++peer) {
        if (!linked(id, peer)) continue;
        args.push_back("--peer");
        args.push_back(std::to_string(peer) + "=127.0.0.1:" + std::to_string(peer_ports[peer]));
      }
      if (acceptors > 0) {
        args.push_back("--acceptors");
        args.push_back(acceptor_list);
      }
      args.insert(args.end(), extra.begin(), extra.end());
      processes_.start(processes_.add(name, std::move(args)));
    }
  }
  void start(std::uint64_t id) { processes_.start(id); }
  void stop(std::uint64_t id, int signal) { processes_.stop(id, signal); }
  tcp::endpoint client(std::uint64_t id) const {
    return {asio::ip::make_address("127.0.0.1"), client_ports_[id]};
  }
  void dump_logs(std::ostream& out) const { processes_.dump_logs(out); }

 private:
  calm::apps::Processes processes_;
  std::vector<std::uint16_t> client_ports_;
};

class Load {
 public:
  Load(asio::io_context& io, Options options, Cluster& cluster)
      : io_(io),
        options_(std::move(options)),
        cluster_(cluster),
        tick_(io),
        random_(calm::entropy_seed()) {
    for (std::uint64_t id = 0; id <= participants; ++id) {
      connections_.push_back(std::make_shared<ClientConnection>(
          io_, cluster_.client(id), "calm-two-pc-load",
          [this, id](const wire::Reply& r) { on_reply(id, r); }, [this, id] { on_broken(id); }));
    }
    for (std::size_t i = 0; i < options_.clients; ++i) {
      Client c;
      c.id = i + 1;
      clients_.push_back(c);
    }
  }

  int run() {
    start_ = Clock::now();
    for (auto& c : connections_) c->connect();
    for (Client& c : clients_) next(c);
    schedule_tick();
    io_.run();
    return report();
  }

 private:
  struct Move {
    std::size_t from = 0, to = 0;
    std::int64_t amount = 0;
  };
  struct Client {
    std::uint64_t id = 0;
    std::uint64_t seq = 0;
    bool outstanding = false;
    bool sent_once = false;   // this request reached the coordinator's connection
    std::vector<Move> moves;  // the request's transfers
    Clock::time_point first_sent, sent;
    std::optional<Clock::time_point> retry_at;
  };

  static std::string account(std::size_t i) { return "acct" + std::to_string(i); }
  static std::uint64_t holder(std::size_t i) { return 1 + i % participants; }
  double elapsed_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void next(Client& c) {
    if (stopping_) return;
    ++c.seq;
    c.moves.clear();
    for (std::size_t i = 0; i < options_.transfers_per_request; ++i) {
      Move m;
      m.from = random_.below(options_.accounts);
      m.to = (m.from + 1 + random_.below(options_.accounts - 1)) % options_.accounts;
      m.amount = 1 + static_cast<std::int64_t>(random_.below(10));
      c.moves.push_back(m);
    }
    c.sent_once = false;
    c.first_sent = Clock::now();
    send(c);
  }

  void send(Client& c) {
    c.outstanding = true;
    c.retry_at.reset();
    c.sent = Clock::now();
    if (!connections_[0]->up()) {
      c.retry_at = c.sent + std::chrono::milliseconds(20);
      return;
    }
    std::string text;
    for (const Move& move : c.moves) {
      if (!text.empty()) text += "\n\n";  // the next transfer
      std::map<std::uint64_t, std::vector<calm::apps::bank::Move>> parts;
      parts[holder(move.from)].push_back({account(move.from), -move.amount});
      parts[holder(move.to)].push_back({account(move.to), move.amount});
      bool first = true;
      for (const auto& [p, moves] : parts) {
        if (!first) text += '\n';
        first = false;
        text += std::to_string(p) + ' ' + calm::apps::bank::move_payload(moves);
      }
    }
    c.sent_once = true;
    connections_[0]->send({false, c.id, c.seq, std::move(text)});
  }

  /// The client's transfer ends with no outcome heard (one never sent cannot have landed).
  void unknown(Client& c) {
    if (c.sent_once) unknown_.insert(unknown_.end(), c.moves.begin(), c.moves.end());
    c.outstanding = false;
    next(c);
  }

  void on_reply(std::uint64_t from, const wire::Reply& r) {
    if (from != 0) return on_balances(from, r);
    if (r.client == 0 || r.client > clients_.size()) return;
    Client& c = clients_[r.client - 1];
    if (!c.outstanding || r.seq != c.seq) return;
    if (r.kind == wire::Kind::busy) {
      ++busy_;
      c.retry_at = Clock::now() + std::chrono::milliseconds(5);
      return;
    }
    if (r.kind != wire::Kind::applied) {
      std::cerr << "calm-two-pc-load: refused: " << r.result << "\n";
      failed_ = true;
      c.outstanding = false;
      return;
    }
    const auto now = Clock::now();
    // A line per transfer, in order.
    std::size_t committed = 0, lines = 0;
    for (std::string_view rest = r.result;; rest.remove_prefix(rest.find('\n') + 1)) {
      const std::size_t end = rest.find('\n');
      if (lines < c.moves.size() && rest.substr(0, end) == "committed") {
        committed_.push_back(c.moves[lines]);
        ++committed;
      }
      ++lines;
      if (end == std::string_view::npos) break;
    }
    if (lines != c.moves.size()) {
      std::cerr << "calm-two-pc-load: a reply of " << lines << " lines to " << c.moves.size()
                << " transfers\n";
      failed_ = true;
    }
    const double t = elapsed_s();
    if (killed_at_ && reconnected_after_kill_ && !decided_after_kill_ && committed > 0) {
      decided_after_kill_ = now - *killed_at_;
    }
    if (t >= options_.warmup && t < options_.warmup + options_.seconds) {
      measured_ += c.moves.size();
      measured_committed_ += committed;
      latencies_.add(now - c.first_sent);
    }
    c.outstanding = false;
    next(c);
  }

  void on_broken(std::uint64_t id) {
    if (id != 0) return;
    if (killed_at_) broken_after_kill_ = true;
    for (Client& c : clients_) {
      if (c.outstanding && !c.retry_at) unknown(c);  // it may have been decided either way
    }
  }

  /// A participant's "balances": the accounts asked for, and whether it still holds
  /// anything. A participant is settled once every read of the last poll said nothing held.
  void on_balances(std::uint64_t from, const wire::Reply& r) {
    if (r.seq != polls_) return;  // an earlier poll's
    std::istringstream in(r.result);
    std::string word;
    while (in >> word && word != ";") {
      std::int64_t balance = 0;
      in >> balance;
      balances_[from][word] = balance;
    }
    std::string held, in_doubt, waiting, records, recovered;
    std::uint64_t n_held = 1, n_doubt = 1, n_waiting = 1, n_records = 0, n_recovered = 0;
    in >> held >> n_held >> in_doubt >> n_doubt >> waiting >> n_waiting >> records >> n_records >>
        recovered >> n_recovered;
    recovered_[from] = n_recovered;
    auto& [answered, clear] = settled_[from];
    if (answered == 0) clear = true;
    ++answered;
    clear = clear && n_held == 0 && n_doubt == 0 && n_waiting == 0;
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
    if (now >= reconnect_at_) {
      for (auto& c : connections_) {
        if (!c->up() && !c->connecting()) c->connect();
      }
      reconnect_at_ = now + std::chrono::milliseconds(50);
    }
    // A reply counts as after the kill only on a connection opened since it broke (one
    // already in the socket when the coordinator died was decided before).
    if (broken_after_kill_ && connections_[0]->up()) reconnected_after_kill_ = true;
    for (Client& c : clients_) {
      if (!c.outstanding) continue;
      if (c.retry_at && now >= *c.retry_at) {
        send(c);
      } else if (!c.retry_at && now - c.sent > std::chrono::milliseconds(options_.timeout_ms)) {
        ++timeouts_;
        unknown(c);
      }
    }
    kill_and_restart(t, now);
    const double end = options_.warmup + options_.seconds;
    if (!stopping_ && t >= end) stopping_ = true;
    if (stopping_ && coordinator_killed_ && options_.coordinator_gone) {
      for (Client& c : clients_) {
        if (c.outstanding) unknown(c);  // its coordinator will never answer
      }
    }
    if (stopping_) {
      const bool idle = std::none_of(clients_.begin(), clients_.end(),
                                     [](const Client& c) { return c.outstanding; });
      if (idle && now >= poll_at_) {
        // Once the load drained: the participants' balances, until none holds anything.
        ++polls_;
        settled_.clear();
        for (std::uint64_t id = 1; id <= participants; ++id) {
          if (!connections_[id]->up()) continue;
          // Its accounts, a thousand a read (a read names at most 4,096).
          std::string read = "balances";
          std::size_t named = 0;
          asked_[id] = 0;
          for (std::size_t a = 0; a < options_.accounts; ++a) {
            if (holder(a) != id) continue;
            read += ' ' + account(a);
            if (++named % 1000 == 0) {
              connections_[id]->send({true, 1, polls_, read});
              read = "balances";
              ++asked_[id];
            }
          }
          if (read != "balances") {
            connections_[id]->send({true, 1, polls_, read});
            ++asked_[id];
          }
        }
        poll_at_ = now + std::chrono::milliseconds(100);
      }
      const bool settled = settled_.size() == participants &&
                           std::all_of(settled_.begin(), settled_.end(), [&](const auto& s) {
                             return s.second.first == asked_[s.first] && s.second.second;
                           });
      if (idle && !options_.check) {
        settled_in_time_ = true;
        for (auto& c : connections_) c->close();
        return;
      }
      if ((idle && settled) || t >= end + options_.settle) {
        settled_in_time_ = idle && settled;
        for (auto& c : connections_) c->close();
        return;
      }
    }
    schedule_tick();
  }

  void kill_and_restart(double t, Clock::time_point now) {
    if (options_.kill_coordinator_at >= 0 && !coordinator_killed_ &&
        t >= options_.kill_coordinator_at) {
      std::cerr << "calm-two-pc-load: kill -9 the coordinator at " << t << " s\n";
      cluster_.stop(0, SIGKILL);
      coordinator_killed_ = true;
      killed_at_ = now;
    }
    if (coordinator_killed_ && !coordinator_restarted_ && !options_.coordinator_gone &&
        t >= options_.kill_coordinator_at + options_.restart_after) {
      std::cerr << "calm-two-pc-load: restart the coordinator at " << t << " s\n";
      cluster_.start(0);
      coordinator_restarted_ = true;
    }
    if (options_.kill_participant_at >= 0 && !participant_killed_ &&
        t >= options_.kill_participant_at) {
      std::cerr << "calm-two-pc-load: kill -9 participant 1 at " << t << " s\n";
      cluster_.stop(1, SIGKILL);
      participant_killed_ = true;
    }
    if (participant_killed_ && !participant_restarted_ &&
        t >= options_.kill_participant_at + options_.restart_after) {
      std::cerr << "calm-two-pc-load: restart participant 1 at " << t << " s\n";
      cluster_.start(1);
      participant_restarted_ = true;
    }
  }

  int report() {
    const auto pct = [&](double p) { return latencies_.percentile_us(p); };
    std::printf(
        "transactions/s %.0f (committed %.0f)  p50 %.1f us  p99 %.1f us  (%zu clients, %zu in "
        "%.1f s; busy %llu, timeouts %llu, unknown %zu)\n",
        static_cast<double>(measured_) / options_.seconds,
        static_cast<double>(measured_committed_) / options_.seconds, pct(0.5), pct(0.99),
        options_.clients, measured_, options_.seconds, static_cast<unsigned long long>(busy_),
        static_cast<unsigned long long>(timeouts_), unknown_.size());
    int status = failed_ ? 1 : 0;
    if (killed_at_ && options_.coordinator_gone) {
      std::uint64_t recovered = 0;
      for (const auto& [id, n] : recovered_) recovered += n;
      std::printf(
          "coordinator killed at %.1f s and never restarted; %llu outcomes recovered "
          "by the participants\n",
          options_.kill_coordinator_at, static_cast<unsigned long long>(recovered));
      if (options_.acceptors > 0 && options_.check && recovered == 0) {
        std::printf("FAILED: nothing was decided by a recovery ballot: the run shows nothing\n");
        status = 1;
      }
    } else if (killed_at_) {
      if (decided_after_kill_) {
        std::printf("coordinator killed; first commit %.0f ms after the kill\n",
                    std::chrono::duration<double, std::milli>(*decided_after_kill_).count());
      } else {
        std::printf("FAILED: nothing committed after the coordinator was killed\n");
        status = 1;
      }
    }
    if (!options_.check) return status;
    if (!settled_in_time_) {
      std::printf("FAILED: participants still hold transfers %.0f s after the load stopped\n",
                  options_.settle);
      return 1;
    }
    // What the reported commits make each account (`residual`: what is left to explain).
    std::vector<std::int64_t> expected(options_.accounts, calm::apps::bank::Bank::opening_balance);
    for (const Move& m : committed_) {
      expected[m.from] -= m.amount;
      expected[m.to] += m.amount;
    }
    std::int64_t total = 0;
    std::vector<std::int64_t> residual(options_.accounts);
    for (std::size_t i = 0; i < options_.accounts; ++i) {
      const auto& at = balances_[holder(i)];
      const auto it = at.find(account(i));
      const std::int64_t balance =
          it == at.end() ? calm::apps::bank::Bank::opening_balance : it->second;
      total += balance;
      residual[i] = balance - expected[i];
    }
    // Each transfer whose outcome the tool never heard was applied at both of its accounts or
    // at neither. An account it alone leaves unexplained says which; the other account must
    // then agree. Repeated until nothing more is decided.
    std::vector<std::vector<std::size_t>> touching(options_.accounts);
    for (std::size_t u = 0; u < unknown_.size(); ++u) {
      touching[unknown_[u].from].push_back(u);
      touching[unknown_[u].to].push_back(u);
    }
    std::vector<int> applied(unknown_.size(), -1);  // -1 undecided
    const auto part = [&](std::size_t u, std::size_t a) {
      return a == unknown_[u].from ? -unknown_[u].amount : unknown_[u].amount;
    };
    std::size_t off = 0;
    const auto report_off = [&](std::size_t a, const char* why) {
      if (off++ < 5) {
        std::printf("account %s: %s (%lld left to explain by %zu unknown transfers)\n",
                    account(a).c_str(), why, static_cast<long long>(residual[a]),
                    touching[a].size());
      }
    };
    for (bool progress = true; progress;) {
      progress = false;
      for (std::size_t a = 0; a < options_.accounts; ++a) {
        std::int64_t left = residual[a];
        std::optional<std::size_t> open;
        std::size_t undecided = 0;
        for (const std::size_t u : touching[a]) {
          if (applied[u] == 1) left -= part(u, a);
          if (applied[u] == -1) {
            open = u;
            ++undecided;
          }
        }
        if (undecided != 1) continue;
        if (left == 0) {
          applied[*open] = 0;
        } else if (left == part(*open, a)) {
          applied[*open] = 1;
        } else {
          applied[*open] = 0;  // neither explains it: reported below
        }
        progress = true;
      }
    }
    for (std::size_t a = 0; a < options_.accounts; ++a) {
      std::int64_t left = residual[a], low = 0, high = 0;
      for (const std::size_t u : touching[a]) {
        if (applied[u] == 1) left -= part(u, a);
        if (applied[u] == -1) (part(u, a) < 0 ? low : high) += part(u, a);
      }
      // (Transfers still undecided form cycles of accounts: only a range is checked there.)
      if (left < low || left > high) report_off(a, "not what the transfers make it");
    }
    const auto opening =
        static_cast<std::int64_t>(options_.accounts) * calm::apps::bank::Bank::opening_balance;
    if (total != opening || off != 0) {
      std::printf("FAILED: total %lld of %lld, %zu accounts off\n", static_cast<long long>(total),
                  static_cast<long long>(opening), off);
      return 1;
    }
    std::printf("bank consistent: total %lld, %zu committed transfers applied, %zu unknown\n",
                static_cast<long long>(total), committed_.size(), unknown_.size());
    return status;
  }

  asio::io_context& io_;
  Options options_;
  Cluster& cluster_;
  asio::steady_timer tick_;
  calm::SplitMix64 random_;
  std::vector<std::shared_ptr<ClientConnection>> connections_;  // [0] the coordinator
  std::vector<Client> clients_;
  Clock::time_point start_, reconnect_at_, poll_at_;
  std::vector<Move> committed_, unknown_;
  calm::apps::Latencies latencies_;
  std::size_t measured_ = 0, measured_committed_ = 0;
  std::uint64_t busy_ = 0, timeouts_ = 0, polls_ = 0;
  std::map<std::uint64_t, std::map<std::string, std::int64_t>> balances_;
  /// Per participant, of the last poll: reads asked, reads answered, and whether all of
  /// those said nothing held.
  std::map<std::uint64_t, std::size_t> asked_;
  std::map<std::uint64_t, std::pair<std::size_t, bool>> settled_;
  bool stopping_ = false, settled_in_time_ = false, failed_ = false;
  bool coordinator_killed_ = false, coordinator_restarted_ = false;
  bool participant_killed_ = false, participant_restarted_ = false;
  std::optional<Clock::time_point> killed_at_;
  bool broken_after_kill_ = false, reconnected_after_kill_ = false;
  std::optional<Clock::duration> decided_after_kill_;
  std::map<std::uint64_t, std::uint64_t> recovered_;  // per participant, at the last poll
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-check") {
      options.check = false;
      continue;
    }
    if (flag == "--coordinator-gone") {
      options.coordinator_gone = true;
      continue;
    }
    if (i + 1 >= argc) cli.fail(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--spawn") {
      options.spawn = value;
    } else if (flag == "--server-arg") {
      options.server_args.push_back(value);
    } else if (flag == "--seconds") {
      options.seconds = cli.real(value, flag);
    } else if (flag == "--warmup") {
      options.warmup = cli.real(value, flag);
    } else if (flag == "--transfers-per-request") {
      options.transfers_per_request = static_cast<std::size_t>(cli.number(value, flag));
      if (options.transfers_per_request == 0 || options.transfers_per_request > 1024) {
        cli.fail("--transfers-per-request is 1 to 1024");
      }
    } else if (flag == "--clients") {
      options.clients = static_cast<std::size_t>(cli.number(value, flag));
    } else if (flag == "--acceptors") {
      options.acceptors = static_cast<std::size_t>(cli.number(value, flag));
    } else if (flag == "--accounts") {
      options.accounts = static_cast<std::size_t>(cli.number(value, flag));
    } else if (flag == "--kill-coordinator-at") {
      options.kill_coordinator_at = cli.real(value, flag);
    } else if (flag == "--kill-participant-at") {
      options.kill_participant_at = cli.real(value, flag);
    } else if (flag == "--restart-after") {
      options.restart_after = cli.real(value, flag);
    } else if (flag == "--settle") {
      options.settle = cli.real(value, flag);
    } else {
      cli.fail("unknown flag " + flag);
    }
  }
  if (options.spawn.empty()) cli.fail("--spawn is needed");
  if (options.acceptors > 9 || (options.acceptors > 0 && options.acceptors % 2 == 0)) {
    cli.fail("--acceptors is 0, or 2F+1 up to 9");
  }
  if (options.coordinator_gone && options.kill_coordinator_at < 0) {
    cli.fail("--coordinator-gone needs --kill-coordinator-at");
  }
  if (options.clients == 0 || options.accounts < 2 || options.seconds <= 0) {
    cli.fail("--clients and --seconds are positive, --accounts at least 2");
  }
  ::signal(SIGPIPE, SIG_IGN);
  try {
    Cluster cluster(options.spawn, options.server_args, options.acceptors);
    asio::io_context io;
    Load load(io, options, cluster);
    const int status = load.run();
    if (status != 0) cluster.dump_logs(std::cerr);
    return status;
  } catch (const std::exception& e) {
    std::cerr << "calm-two-pc-load: " << e.what() << "\n";
    return 1;
  }
}
