// calm-paxos: one replica of a Multi-Paxos replicated key-value map (docs/paxos.md) over TCP,
// durable in RocksDB: the protocol on the protocol host (host::Host<paxos::Replica>), peers on
// net::TcpRuntime, clients on a port of their own (client_wire.hpp). It is what the
// three-process kill -9 test and the loopback benchmarks run (calm-paxos-load).
//
//   calm-paxos --id N --listen HOST:PORT --client HOST:PORT --data DIR --peer ID=HOST:PORT...
//              [--batch N] [--slots-in-flight N] [--snapshot-every N]
//              [--snapshot-every-bytes N] [--no-fsync] [--echo]
//              [--cluster-secret-file PATH]
//
//   --batch N            commands per slot at most (1: one command per slot)
//   --slots-in-flight N  slots proposed and not yet chosen at most
//   --snapshot-every N   a snapshot (and the log before it forgotten) every N applied slots;
//                        0: never (default 10000)
//   --snapshot-every-bytes N  and one once the commands applied since the last hold N bytes
//                        and at least the last snapshot's size; 0: by slots only (default
//                        4 MiB: with full batches a snapshot every 100 slots or so, so the
//                        log is forgotten soon after RocksDB flushed it, before compactions
//                        copy it again)
//   --no-fsync           UNSAFE, for measuring only: promises and accepted values are written
//                        but not synced, so a power cut may make a replica break a promise
//   --echo               no protocol: the ceiling for the benchmarks. The lowest id leads; it
//                        sends each turn's commands to every peer in one message and answers
//                        them once one peer echoed it back (the message pattern of a Paxos
//                        leader's Accept and a majority's Accepted, on the same transport,
//                        without the disk or any state)
//
// The client port is loopback unless a cluster secret is given (clients are not
// authenticated). Bounds: at most `connections_max` client connections, each speaking for at
// most `clients_per_connection_max` client ids; a request frame is at most the command bound
// plus 64 bytes; a connection whose unsent replies exceed `output_bytes_max` is not read until
// they drain. SIGTERM and SIGINT stop it.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <algorithm>
#include <boost/asio.hpp>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/server_flags.hpp"
#include "cli/usage.hpp"
#include "lattices/random.hpp"
#include "paxos/client_listener.hpp"
#include "paxos/client_wire.hpp"
#include "paxos/kv_machine.hpp"
#include "protocols/host/host.hpp"
#include "protocols/net/tcp.hpp"
#include "protocols/net/tcp_wire.hpp"
#include "protocols/paxos/replica.hpp"
#include "protocols/storage/rocks_disk.hpp"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;
namespace net = calm::protocols::net;
namespace paxos = calm::protocols::paxos;
namespace host = calm::protocols::host;
namespace storage = calm::protocols::storage;
namespace wire = calm::paxos_app::wire;
using calm::paxos_app::KvMachine;
using KvReplica = paxos::Replica<KvMachine>;
using PaxosNode = host::Host<KvReplica>;

constexpr std::string_view usage =
    "usage: calm-paxos --id N --listen HOST:PORT --client HOST:PORT --data DIR\n"
    "                  --peer ID=HOST:PORT... [--batch N] [--slots-in-flight N]\n"
    "                  [--snapshot-every N] [--snapshot-every-bytes N]\n"
    "                  [--no-fsync] [--echo] [--cluster-secret-file PATH]\n";
const calm::apps::Usage cli("calm-paxos", usage);
using calm::paxos_app::ClientListener;
using calm::paxos_app::UnsyncedDisk;

wire::Reply to_wire(const paxos::Reply& r) {
  wire::Reply out{r.client, r.seq, wire::Kind::applied, r.leader, r.result};
  switch (r.kind) {
    case paxos::Reply::Kind::applied:
      out.kind = wire::Kind::applied;
      break;
    case paxos::Reply::Kind::not_leader:
      out.kind = wire::Kind::not_leader;
      break;
    case paxos::Reply::Kind::busy:
      out.kind = wire::Kind::busy;
      break;
    case paxos::Reply::Kind::too_large:
      out.kind = wire::Kind::too_large;
      break;
  }
  return out;
}

/// --echo: the benchmarks' ceiling (see the header comment).
class EchoNode final : public net::Node {
 public:
  EchoNode(const net::NodeContext& context, std::vector<net::NodeId> members, std::size_t batch_max,
           std::function<void(const wire::Reply&)> deliver)
      : transport_(context.transport),
        members_(std::move(members)),
        leader_(*std::min_element(members_.begin(), members_.end())),
        batch_max_(batch_max),
        deliver_(std::move(deliver)) {}

  void on_start() override {}
  void on_timer(net::TimerId) override {}

  void on_message(net::NodeId from, std::string_view bytes) override {
    if (bytes.size() < 8) return;
    if (transport_.self() != leader_) {  // echo the batch's number back
      transport_.send(from, std::string(bytes.substr(0, 8)));
      return;
    }
    std::uint64_t number = 0;
    std::memcpy(&number, bytes.data(), 8);
    const auto it = batches_.find(number);
    if (it == batches_.end()) return;  // answered already: one echo is a majority of three
    for (const wire::Request& r : it->second) {
      deliver_({r.client, r.seq, wire::Kind::applied, {}, "OK"});
    }
    batches_.erase(it);
  }

  void submit(std::vector<wire::Request>& requests) {
    if (transport_.self() != leader_) {
      for (const wire::Request& r : requests) {
        deliver_({r.client, r.seq, wire::Kind::not_leader, leader_, {}});
      }
      return;
    }
    for (wire::Request& r : requests) queue_.push_back(std::move(r));
    if (flush_due_) return;
    flush_due_ = true;
    transport_.defer([this] { flush(); });
  }

 private:
  void flush() {
    flush_due_ = false;
    for (std::size_t first = 0; first < queue_.size(); first += batch_max_) {
      const std::size_t last = std::min(queue_.size(), first + batch_max_);
      const std::uint64_t number = next_batch_++;
      std::string message(8, '\0');
      std::memcpy(message.data(), &number, 8);
      std::vector<wire::Request>& batch = batches_[number];
      for (std::size_t i = first; i < last; ++i) {
        message += queue_[i].command;
        batch.push_back(std::move(queue_[i]));
      }
      for (net::NodeId peer : members_) {
        if (peer != transport_.self()) transport_.send(peer, message);
      }
    }
    queue_.clear();
  }

  net::Transport& transport_;
  std::vector<net::NodeId> members_;
  net::NodeId leader_;
  std::size_t batch_max_;
  std::function<void(const wire::Reply&)> deliver_;
  std::vector<wire::Request> queue_;
  std::map<std::uint64_t, std::vector<wire::Request>> batches_;
  std::uint64_t next_batch_ = 1;
  bool flush_due_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  calm::apps::ServerFlags flags;
  std::uint64_t batch = 1024, in_flight = 64, snapshot_every = 10000,
                snapshot_every_bytes = std::uint64_t{4} << 20;
  bool no_fsync = false, echo = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-fsync") {
      no_fsync = true;
      continue;
    }
    if (flag == "--echo") {
      echo = true;
      continue;
    }
    if (i + 1 >= argc) cli.fail(flag + " needs a value");
    const std::string value = argv[++i];
    if (flags.take(cli, flag, value)) {
      continue;
    } else if (flag == "--batch") {
      batch = cli.number(value, "--batch");
    } else if (flag == "--slots-in-flight") {
      in_flight = cli.number(value, "--slots-in-flight");
    } else if (flag == "--snapshot-every") {
      snapshot_every = cli.number(value, "--snapshot-every");
    } else if (flag == "--snapshot-every-bytes") {
      snapshot_every_bytes = cli.number(value, "--snapshot-every-bytes");
    } else {
      cli.fail("unknown flag " + flag);
    }
  }
  if (batch == 0 || batch > 65536 || in_flight == 0 || in_flight > 65536) {
    cli.fail("--batch and --slots-in-flight are between 1 and 65536");
  }

  const auto made_options = flags.options(cli, "calm-paxos");
  if (!made_options) return 1;
  const net::TcpOptions& options = *made_options;
  const std::uint64_t id = flags.id;
  const std::string& data = flags.data;
  const std::string& client = flags.client;
  const std::vector<net::TcpPeer>& peers = flags.peers;
  const auto [client_host, client_port] = cli.address(client);
  const auto [listen_host, listen_port] = cli.address(flags.listen);

  paxos::Config config;
  config.self = id;
  config.members.push_back(id);
  for (const auto& peer : peers) config.members.push_back(peer.id);
  config.batch_commands_max = batch;
  config.slots_in_flight_max = in_flight;
  config.snapshot_every_slots = snapshot_every;
  config.snapshot_every_log_bytes = snapshot_every_bytes;
  config.seed = calm::entropy_seed() ^ (id << 32);

  std::unique_ptr<storage::RocksDisk> rocks;
  try {
    // A log: written every turn, read at boot and after a failed turn only.
    rocks = std::make_unique<storage::RocksDisk>(
        data, &storage::refuse_merges, storage::StoreOptions{.memtable = storage::Memtable::log});
  } catch (const std::exception& e) {
    std::cerr << "calm-paxos: " << e.what() << "\n";
    return 1;
  }
  UnsyncedDisk unsynced(*rocks);
  storage::Disk& disk = no_fsync ? static_cast<storage::Disk&>(unsynced) : *rocks;

  std::unique_ptr<net::TcpRuntime> made;
  std::unique_ptr<ClientListener> clients;
  PaxosNode* paxos_node = nullptr;
  EchoNode* echo_node = nullptr;
  try {
    made = std::make_unique<net::TcpRuntime>(
        id, listen_host, listen_port, peers, disk,
        [&](const net::NodeContext& context) -> std::unique_ptr<net::Node> {
          const auto deliver = [&clients](const wire::Reply& r) { clients->deliver(r); };
          if (echo) {
            auto node = std::make_unique<EchoNode>(context, config.members, batch, deliver);
            echo_node = node.get();
            return node;
          }
          auto node = std::make_unique<PaxosNode>(context, KvReplica(config, KvMachine{}));
          PaxosNode::Application app;
          app.on_final = [deliver](std::vector<paxos::Reply>& replies) {
            for (const paxos::Reply& r : replies) deliver(to_wire(r));
          };
          node->set_application(std::move(app));
          paxos_node = node.get();
          return node;
        },
        options);
    clients = std::make_unique<ClientListener>("calm-paxos", made->io_context(), client_host,
                                               client_port, config.limits.command_bytes_max);
  } catch (const std::exception& e) {
    std::cerr << "calm-paxos: " << e.what() << "\n";
    return 1;
  }
  clients->start([&](std::vector<wire::Request>& requests) {
    if (echo_node != nullptr) return echo_node->submit(requests);
    if (paxos_node == nullptr) {  // not booted yet: no leader here
      for (const wire::Request& r : requests) {
        clients->deliver({r.client, r.seq, wire::Kind::not_leader, {}, {}});
      }
      return;
    }
    paxos_node->apply([&](KvReplica& replica) {
      for (wire::Request& r : requests) {
        if (r.read) {
          replica.read(r.client, r.seq, std::move(r.command));
        } else {
          replica.submit(r.client, r.seq, std::move(r.command));
        }
      }
    });
  });
  asio::signal_set signals(made->io_context(), SIGINT, SIGTERM);
  signals.async_wait([&](const error_code& ec, int) {
    if (ec) return;
    clients->stop();
    made->stop();
  });
  std::cerr << "calm-paxos: replica " << id << (echo ? " (echo)" : "") << " serving clients on "
            << client << (no_fsync ? ", without fsync (unsafe)" : "") << "\n";
  try {
    made->run();  // a record on disk that does not decode stops the boot here
  } catch (const std::exception& e) {
    std::cerr << "calm-paxos: " << e.what() << "\n";
    return 1;
  }
  if (paxos_node != nullptr) {
    const paxos::Stats& st = paxos_node->protocol().stats();
    std::cerr << "calm-paxos: replica " << id << " stats: elections " << st.elections_started
              << " (won " << st.elections_won << "), slots chosen " << st.slots_chosen
              << ", commands applied " << st.commands_applied << ", snapshots taken "
              << st.snapshots_taken << ", snapshots installed " << st.snapshots_installed
              << ", rejected messages " << st.rejected_messages << "\n";
  }
  return 0;
}
