// calm-two-pc: one node of two-phase commit or Paxos Commit (docs/two-pc.md) over TCP, durable
// in RocksDB: a coordinator that takes transfers from clients, a participant that holds bank
// accounts (apps/two_pc/bank.hpp), or (Paxos Commit) an acceptor. The protocols run on the protocol
// host, peers on net::TcpRuntime, clients on a port of their own (paxos/client_wire.hpp's frames).
// It is what the kill -9 test and the loopback benchmarks run (calm-two-pc-load).
//
//   calm-two-pc --id N --role coordinator|participant|acceptor --listen HOST:PORT
//               --client HOST:PORT --data DIR --peer ID=HOST:PORT... [--acceptors ID,...]
//               [--batch] [--batch-transfers] [--no-fsync] [--echo]
//               [--cluster-secret-file PATH]
//
// A coordinator's peers are its participants; a participant's peers are its coordinators.
// --acceptors (every node of the cluster is given the same list, 2F+1 ids): Paxos Commit;
// then every node also has the acceptors as peers, the acceptors have the coordinators and
// participants, and each participant has the other participants (a recovery leader tells
// them the outcome). An acceptor serves no client requests.
// Client requests:
//   to a coordinator, submit: a transfer, one line per participant, "<id> <moves>" (moves as
//     bank.hpp's payload: "<account> <delta> ..."); the reply is "committed", or "aborted:
//     <why>", once decided. With --batch-transfers a request may carry up to 1,024 transfers,
//     separated by an empty line, and its reply is a line per transfer, in order; busy when it
//     collects votes on as many as it may; error for a transfer that could never commit (a
//     participant that is not a peer, named twice, ...). A coordinator that restarts forgets the
//     requests it had not answered: their clients hear nothing, and the outcome is aborted unless
//     the commit was logged (then it is done).
//   to a participant, read "balances <account>...": "<account> <balance> ...; held <n>
//     in_doubt <n> waiting <n> records <n> recovered <n>" (at most 4,096 accounts a read;
//     recovered: outcomes it learned by leading a Paxos Commit recovery ballot).
// --batch: the messages of a turn to one peer go in as few frames as the bounds allow
// (two-pc's bundles, protocols/two_pc/message.hpp; with --echo, the echo's frames likewise). Every
// node takes bundles, with the flag or without.
// --batch-transfers: a coordinator makes the transfers that arrive together (one event-loop
// turn's, at most `batch_transfers_max`) the parts of one transaction (batching in the
// protocol, docs/two-pc.md): one Prepare, vote, record and decision for them all, and each
// transfer still commits or aborts alone. A transfer a participant refuses (an account short,
// or held) is answered "aborted: refused by a participant"; the others of its batch commit.
// --no-fsync: UNSAFE, for measuring only (the records are written, not synced).
// --echo: no protocol, the benchmarks' ceiling: the coordinator sends each transfer's parts to
// their participants, each echoes at once, and once all did the coordinator answers
// "committed" and sends each a second message, which each echoes again: the message pattern
// of two-phase commit (prepare, vote, decision, ack) on the same transport, without the disk
// or any state. With --batch-transfers, the same for each batch of a turn's transfers. SIGTERM and
// SIGINT stop it.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <algorithm>
#include <boost/asio.hpp>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cli/server_flags.hpp"
#include "cli/usage.hpp"
#include "paxos/client_listener.hpp"
#include "paxos/client_wire.hpp"
#include "protocols/host/host.hpp"
#include "protocols/net/tcp.hpp"
#include "protocols/net/tcp_wire.hpp"
#include "protocols/storage/rocks_disk.hpp"
#include "protocols/storage/sync_thread.hpp"
#include "protocols/two_pc/acceptor.hpp"
#include "protocols/two_pc/coordinator.hpp"
#include "protocols/two_pc/participant.hpp"
#include "two_pc/bank.hpp"

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
namespace net = calm::protocols::net;
namespace host = calm::protocols::host;
namespace storage = calm::protocols::storage;
namespace tpc = calm::protocols::two_pc;
namespace wire = calm::paxos_app::wire;
using calm::apps::bank::Bank;
using calm::paxos_app::ClientListener;
using calm::paxos_app::UnsyncedDisk;
using CoordinatorNode = host::Host<tpc::Coordinator>;
using ParticipantNode = host::Host<tpc::Participant<Bank>>;
using AcceptorNode = host::Host<tpc::Acceptor>;

constexpr std::string_view usage =
    "usage: calm-two-pc --id N --role coordinator|participant|acceptor --listen HOST:PORT\n"
    "                   --client HOST:PORT --data DIR --peer ID=HOST:PORT...\n"
    "                   [--acceptors ID,...] [--batch] [--batch-transfers] [--no-fsync]\n"
    "                   [--echo]\n"
    "                   [--cluster-secret-file PATH]\n";
const calm::apps::Usage cli("calm-two-pc", usage);

/// A transfer's parts, from its request; throws std::invalid_argument with the reason.
std::vector<tpc::Part> parse_transfer(std::string_view text, const std::set<net::NodeId>& peers) {
  std::vector<tpc::Part> parts;
  std::int64_t sum = 0;  // within parts_max * moves_max * amount_max: no overflow
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) throw std::invalid_argument("a line without moves");
    std::uint64_t id = 0;
    const std::string_view number = line.substr(0, space);
    const auto [at, error] = std::from_chars(number.data(), number.data() + number.size(), id);
    if (error != std::errc() || at != number.data() + number.size() || !peers.contains(id)) {
      throw std::invalid_argument("not a participant: " + std::string(number));
    }
    const std::string_view moves = line.substr(space + 1);
    const auto parsed = calm::apps::bank::parse_moves(moves);
    if (!parsed) throw std::invalid_argument("not a list of moves: " + std::string(moves));
    for (const calm::apps::bank::Move& m : *parsed) sum += m.delta;
    for (const tpc::Part& p : parts) {
      if (p.participant == id) throw std::invalid_argument("a participant named twice");
    }
    parts.push_back({id, std::string(moves)});
  }
  if (parts.empty()) throw std::invalid_argument("an empty transfer");
  if (sum != 0) throw std::invalid_argument("the moves of a transfer do not sum to zero");
  return parts;
}

/// The reply to "balances <account>...": each account named and its balance, then what the
/// participant holds. At most `balances_accounts_max` accounts a read, so the reply is bounded
/// by the request.
constexpr std::size_t balances_accounts_max = 4096;
std::string describe(const tpc::Participant<Bank>& p, std::string_view accounts) {
  std::string out;
  std::size_t named = 0;
  while (!accounts.empty() && named < balances_accounts_max) {
    const std::size_t space = accounts.find(' ');
    const std::string account(accounts.substr(0, space));
    accounts.remove_prefix(space == std::string_view::npos ? accounts.size() : space + 1);
    if (account.empty()) continue;
    out += account + ' ' + std::to_string(p.app().balance(account)) + ' ';
    ++named;
  }
  out += "; held " + std::to_string(p.app().holds()) + " in_doubt " + std::to_string(p.in_doubt()) +
         " waiting " + std::to_string(p.waiting_for_app()) + " records " +
         std::to_string(p.finished_records()) + " recovered " + std::to_string(p.stats().recovered);
  return out;
}

/// --batch-transfers: the transfers one transaction carries at most (its parts), and the
/// bytes of their moves: a batch's payloads stay within what a participant takes
/// (bank::batch_moves_max moves, each at least 4 bytes; payload_bytes_max).
constexpr std::size_t batch_transfers_max = 1024;
constexpr std::size_t batch_bytes_max = 32 * 1024;
static_assert(batch_bytes_max / 4 <= calm::apps::bank::batch_moves_max);
static_assert(batch_bytes_max + batch_transfers_max * 8 <= tpc::DecodeLimits{}.payload_bytes_max);

/// Transfers as the parts of one transaction: part k is transfers[k]; each participant's
/// payload holds its moves of every part that names it (bank.hpp's "#<part> <moves>").
std::vector<tpc::Part> batch_parts(const std::vector<std::vector<tpc::Part>>& transfers) {
  std::map<net::NodeId, std::string> payloads;
  for (std::size_t k = 0; k < transfers.size(); ++k) {
    for (const tpc::Part& p : transfers[k]) {
      calm::apps::bank::append_part(payloads[p.participant], static_cast<std::uint32_t>(k),
                                    p.payload);
    }
  }
  std::vector<tpc::Part> parts;
  for (auto& [participant, payload] : payloads) parts.push_back({participant, std::move(payload)});
  return parts;
}

/// A request's transfers: one, or (--batch-transfers) up to batch_transfers_max separated by an
/// empty line; throws std::invalid_argument with the reason.
std::vector<std::vector<tpc::Part>> parse_transfers(std::string_view text,
                                                    const std::set<net::NodeId>& peers) {
  std::vector<std::vector<tpc::Part>> transfers;
  while (true) {
    const std::size_t end = text.find("\n\n");
    if (transfers.size() == batch_transfers_max) {
      throw std::invalid_argument("more transfers in one request than " +
                                  std::to_string(batch_transfers_max));
    }
    transfers.push_back(parse_transfer(text.substr(0, end), peers));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
  return transfers;
}

/// --echo (see the header comment).
class EchoNode final : public net::Node {
 public:
  EchoNode(const net::NodeContext& context, bool coordinating, bool batch)
      : transport_(context.transport), coordinating_(coordinating), batch_(batch) {}

  void on_start() override {}
  void on_timer(net::TimerId) override {}

  /// A transfer (or, with --batch-transfers, a batch's parts) to `parts`' participants;
  /// `answer()` once all echoed. False (busy) with pending_max under way: an echo lost with a
  /// participant down is not retried, so its transfer stays until the coordinator stops.
  bool submit(std::function<void()> answer, const std::vector<tpc::Part>& parts) {
    if (pending_.size() >= pending_max) return false;
    const std::uint64_t number = next_++;
    Pending& p = pending_[number];
    p.answer = std::move(answer);
    for (const tpc::Part& part : parts) {
      p.waiting.insert(part.participant);
      p.all.insert(part.participant);
      send(part.participant, frame('p', number, part.payload));
    }
    return true;
  }

  void on_message(net::NodeId from, std::string_view bytes) override {
    std::vector<std::string_view> frames;
    try {
      frames = tpc::unbundle(bytes, limits_);
    } catch (const calm::lattices::DecodeError&) {
      return;
    }
    for (const std::string_view f : frames) on_frame(from, f);
  }

 private:
  static constexpr std::size_t pending_max = 65536;
  struct Pending {
    std::function<void()> answer;
    std::set<net::NodeId> waiting, all;
  };
  /// A byte 0, the kind at [1] (where two-pc's frames have theirs, so that two-pc's bundles
  /// carry these too), the number, the payload.
  static constexpr std::size_t header_bytes = 10;
  static std::string frame(char kind, std::uint64_t number, std::string_view payload) {
    std::string out(header_bytes, '\0');
    out[1] = kind;
    std::memcpy(out.data() + 2, &number, 8);
    out += payload;
    return out;
  }

  void on_frame(net::NodeId from, std::string_view bytes) {
    if (bytes.size() < header_bytes) return;
    if (!coordinating_) {  // echo the kind and the number back
      send(from, std::string(bytes.substr(0, header_bytes)));
      return;
    }
    std::uint64_t number = 0;
    std::memcpy(&number, bytes.data() + 2, 8);
    if (bytes[1] != 'p') return;  // the second round's echo: nothing more to do
    const auto it = pending_.find(number);
    if (it == pending_.end() || it->second.waiting.erase(from) == 0) return;
    if (!it->second.waiting.empty()) return;
    it->second.answer();
    for (const net::NodeId p : it->second.all) send(p, frame('d', number, {}));
    pending_.erase(it);
  }

  /// With --batch, a turn's frames leave in two-pc's bundles, as the protocol's do.
  void send(net::NodeId to, std::string bytes) {
    if (!batch_) {
      transport_.send(to, std::move(bytes));
      return;
    }
    if (queued_.empty()) transport_.defer([this] { flush(); });
    queued_.push_back({to, std::move(bytes)});
  }
  void flush() {
    tpc::bundle_sends(queued_, limits_);
    for (calm::protocols::host::Outgoing& o : queued_) transport_.send(o.to, std::move(o.bytes));
    queued_.clear();
  }

  net::Transport& transport_;
  bool coordinating_;
  bool batch_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_ = 0;
  tpc::DecodeLimits limits_;
  std::vector<calm::protocols::host::Outgoing> queued_;
};

}  // namespace

int main(int argc, char** argv) {
  calm::apps::ServerFlags flags;
  bool no_fsync = false, echo = false, batch = false, batch_transfers = false;
  std::string role;
  std::vector<net::NodeId> acceptors;
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
    if (flag == "--batch") {
      batch = true;
      continue;
    }
    if (flag == "--batch-transfers") {
      batch_transfers = true;
      continue;
    }
    if (i + 1 >= argc) cli.fail(flag + " needs a value");
    const std::string value = argv[++i];
    if (flags.take(cli, flag, value)) continue;
    if (flag == "--role") {
      role = value;
    } else if (flag == "--acceptors") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        acceptors.push_back(cli.number(std::string(rest.substr(0, comma)), flag));
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      }
    } else {
      cli.fail("unknown flag " + flag);
    }
  }
  if (role != "coordinator" && role != "participant" && role != "acceptor") {
    cli.fail("--role is coordinator, participant or acceptor");
  }
  if (role == "acceptor" && (acceptors.empty() || echo)) {
    cli.fail("an acceptor needs --acceptors, and has no --echo");
  }
  const bool coordinating = role == "coordinator";
  {
    // Every node is given the same list; a wrong one would leave no majority, or one that
    // need not meet another's.
    std::set<net::NodeId> distinct(acceptors.begin(), acceptors.end());
    if (distinct.size() != acceptors.size()) cli.fail("--acceptors names an id twice");
    const bool listed = distinct.contains(flags.id);
    if (listed != (role == "acceptor")) {
      cli.fail("--role acceptor exactly when this node's --id is in --acceptors");
    }
    // A coordinator or participant talks to every acceptor (acceptors talk to neither other).
    for (const net::NodeId a : role == "acceptor" ? std::vector<net::NodeId>{} : acceptors) {
      const bool peer = std::any_of(flags.peers.begin(), flags.peers.end(),
                                    [&](const net::TcpPeer& p) { return p.id == a; });
      if (a != flags.id && !peer) {
        cli.fail("acceptor " + std::to_string(a) + " is not a --peer of this node");
      }
    }
  }

  const auto made_options = flags.options(cli, "calm-two-pc");
  if (!made_options) return 1;
  const net::TcpOptions& options = *made_options;
  const std::uint64_t id = flags.id;
  const std::vector<net::TcpPeer>& peers = flags.peers;
  const auto [client_host, client_port] = cli.address(flags.client);
  const auto [listen_host, listen_port] = cli.address(flags.listen);
  // The participants a transfer may name: the peers that are not acceptors.
  std::set<net::NodeId> peer_ids;
  for (const auto& peer : peers) {
    if (std::find(acceptors.begin(), acceptors.end(), peer.id) == acceptors.end()) {
      peer_ids.insert(peer.id);
    }
  }

  std::unique_ptr<storage::RocksDisk> rocks;
  try {
    // A log: written every turn, read at boot and after a failed turn only.
    rocks = std::make_unique<storage::RocksDisk>(
        flags.data, &storage::refuse_merges,
        storage::StoreOptions{.memtable = storage::Memtable::log});
  } catch (const std::exception& e) {
    std::cerr << "calm-two-pc: " << e.what() << "\n";
    return 1;
  }
  UnsyncedDisk unsynced(*rocks);
  storage::Disk& disk = no_fsync ? static_cast<storage::Disk&>(unsynced) : *rocks;

  std::unique_ptr<net::TcpRuntime> made;
  // Declared after the runtime and the disk: destroyed before them, as SyncThread asks.
  std::unique_ptr<storage::SyncThread> syncer;
  // The records sync on a thread of their own: the event loop goes on reading votes and
  // requests meanwhile, and one fsync covers every turn written before it (host.hpp).
  const auto background = [&](auto& app) {
    if (no_fsync) return;
    app.background_sync = [&](std::function<void(const std::string*)> done) {
      syncer->request(std::move(done));
    };
  };
  std::unique_ptr<ClientListener> clients;
  CoordinatorNode* coordinator = nullptr;
  ParticipantNode* participant = nullptr;
  AcceptorNode* acceptor = nullptr;
  EchoNode* echo_node = nullptr;
  // Parts are numbered below batch_transfers_max: a peer's refusals are bounded by it.
  tpc::DecodeLimits limits;
  limits.parts_max = batch_transfers_max;
  // The requests each transaction answers (a coordinator's), in the order of its parts: each
  // the next `transfers` parts (one request of one transfer unless --batch-transfers).
  struct Asker {
    std::uint64_t client = 0, seq = 0;
    std::size_t transfers = 1;
    std::size_t bytes = 0;  // of its request
  };
  std::map<tpc::TxId, std::vector<Asker>> waiting;
  // --batch-transfers: the requests of this turn, each with its transfers.
  std::vector<std::pair<Asker, std::vector<std::vector<tpc::Part>>>> gathered;
  try {
    made = std::make_unique<net::TcpRuntime>(
        id, listen_host, listen_port, peers, disk,
        [&](const net::NodeContext& context) -> std::unique_ptr<net::Node> {
          if (echo) {
            auto node = std::make_unique<EchoNode>(context, coordinating, batch);
            echo_node = node.get();
            return node;
          }
          if (role == "acceptor") {
            tpc::AcceptorConfig config;
            config.self = id;
            config.bundle_sends = batch;
            config.limits = limits;
            auto node = std::make_unique<AcceptorNode>(context, tpc::Acceptor(config));
            AcceptorNode::Application app;
            background(app);
            node->set_application(std::move(app));
            acceptor = node.get();
            return node;
          }
          if (coordinating) {
            tpc::CoordinatorConfig config;
            config.self = id;
            config.participants.assign(peer_ids.begin(), peer_ids.end());
            config.acceptors = acceptors;
            config.bundle_sends = batch;
            config.limits = limits;
            auto node = std::make_unique<CoordinatorNode>(context, tpc::Coordinator(config));
            CoordinatorNode::Application app;
            app.on_final = [&](std::vector<tpc::Outcome>& outcomes) {
              for (const tpc::Outcome& o : outcomes) {
                const auto it = waiting.find(o.tx);
                if (it == waiting.end()) continue;
                std::uint32_t part = 0;
                for (const Asker& a : it->second) {
                  std::string result;  // a line per transfer
                  for (std::size_t n = 0; n < a.transfers; ++n, ++part) {
                    if (n > 0) result += '\n';
                    if (!o.committed) {
                      result += "aborted: " + o.reason;
                    } else if (std::binary_search(o.refused.begin(), o.refused.end(), part)) {
                      result += "aborted: refused by a participant";
                    } else {
                      result += "committed";
                    }
                  }
                  clients->deliver({a.client, a.seq, wire::Kind::applied, {}, std::move(result)});
                }
                waiting.erase(it);
              }
            };
            background(app);
            node->set_application(std::move(app));
            coordinator = node.get();
            return node;
          }
          tpc::ParticipantConfig config;
          config.self = id;
          config.acceptors = acceptors;
          config.bundle_sends = batch;
          config.limits = limits;
          auto node =
              std::make_unique<ParticipantNode>(context, tpc::Participant<Bank>(config, Bank{}));
          ParticipantNode::Application app;
          background(app);
          node->set_application(std::move(app));
          participant = node.get();
          return node;
        },
        options);
    syncer = std::make_unique<storage::SyncThread>(
        [&] { return rocks->sync_concurrently(); },
        [&](std::function<void()> f) { asio::post(made->io_context(), std::move(f)); });
    clients = std::make_unique<ClientListener>("calm-two-pc", made->io_context(), client_host,
                                               client_port, 64 * 1024);
  } catch (const std::exception& e) {
    std::cerr << "calm-two-pc: " << e.what() << "\n";
    return 1;
  }
  // --batch-transfers: begins the gathered transfers as transactions of up to
  // batch_transfers_max parts.
  // A request's transfers stay in one transaction.
  const auto begin_gathered = [&] {
    for (std::size_t first = 0, end = 0; first < gathered.size(); first = end) {
      std::size_t bytes = 0, count = 0;
      std::set<net::NodeId> named;  // at most participants_max (a request alone is)
      std::vector<std::vector<tpc::Part>> transfers;
      std::vector<Asker> askers;
      for (end = first; end < gathered.size(); ++end) {
        auto& [asker, list] = gathered[end];
        std::set<net::NodeId> more;  // the participants it adds (usually none)
        for (const auto& transfer : list) {
          for (const tpc::Part& p : transfer) {
            if (!named.contains(p.participant)) more.insert(p.participant);
          }
        }
        if (end > first &&
            (bytes + asker.bytes > batch_bytes_max || count + list.size() > batch_transfers_max ||
             named.size() + more.size() > tpc::CoordinatorConfig{}.participants_max)) {
          break;
        }
        named.merge(more);
        bytes += asker.bytes;
        count += list.size();
        askers.push_back(asker);
        std::move(list.begin(), list.end(), std::back_inserter(transfers));
      }
      if (echo_node != nullptr) {  // the ceiling of batches: one exchange each, no protocol
        const auto answer = [&clients, askers] {
          for (const Asker& a : askers) {
            std::string result = "committed";
            for (std::size_t n = 1; n < a.transfers; ++n) result += "\ncommitted";
            clients->deliver({a.client, a.seq, wire::Kind::applied, {}, std::move(result)});
          }
        };
        if (!echo_node->submit(answer, batch_parts(transfers))) {
          for (const Asker& a : askers) {
            clients->deliver(
                {a.client, a.seq, wire::Kind::busy, {}, "as many under way as it may"});
          }
        }
        continue;
      }
      std::optional<tpc::TxId> tx;
      std::string refused;
      try {
        tx = coordinator->apply(
            [&](tpc::Coordinator& c) { return c.begin(batch_parts(transfers)); });
      } catch (const std::invalid_argument& e) {  // a batch too large for one payload
        refused = e.what();
      }
      if (!tx) {
        const bool busy = refused.empty();
        for (const Asker& a : askers) {
          clients->deliver({a.client,
                            a.seq,
                            busy ? wire::Kind::busy : wire::Kind::error,
                            {},
                            busy ? "collecting votes on as many transactions as it may" : refused});
        }
        continue;
      }
      waiting[*tx] = std::move(askers);
    }
    gathered.clear();
  };
  clients->start([&](std::vector<wire::Request>& requests) {
    for (wire::Request& r : requests) {
      const auto reply = [&](wire::Kind kind, std::string result) {
        clients->deliver({r.client, r.seq, kind, {}, std::move(result)});
      };
      if (participant != nullptr) {
        if (r.read && (r.command == "balances" || r.command.starts_with("balances "))) {
          reply(wire::Kind::applied,
                describe(participant->protocol(), std::string_view(r.command).substr(8)));
        } else {
          reply(wire::Kind::error, "a participant answers the read \"balances <account>...\"");
        }
        continue;
      }
      if (acceptor != nullptr) {
        reply(wire::Kind::error, "an acceptor serves no client requests");
        continue;
      }
      if ((coordinator == nullptr && echo_node == nullptr) || r.read || !coordinating) {
        reply(wire::Kind::error, "a coordinator takes transfers (submit) only");
        continue;
      }
      std::vector<std::vector<tpc::Part>> transfers;
      try {
        transfers = parse_transfers(r.command, peer_ids);
      } catch (const std::invalid_argument& e) {
        reply(wire::Kind::error, e.what());
        continue;
      }
      if (batch_transfers) {
        // So that a request fits one transaction alone: each participant's share within what
        // the bank takes (batch_bytes_max holds at most bank::batch_moves_max moves; one
        // transfer holds at most bank::moves_max a participant).
        if (transfers.size() > 1 && r.command.size() > batch_bytes_max) {
          reply(wire::Kind::error,
                "several transfers in more than " + std::to_string(batch_bytes_max) + " bytes");
          continue;
        }
        // Begun at the end of the turn, with every other transfer that arrived in it.
        if (gathered.empty()) asio::post(made->io_context(), begin_gathered);
        const std::size_t n = transfers.size();
        gathered.push_back({{r.client, r.seq, n, r.command.size()}, std::move(transfers)});
        continue;
      }
      if (transfers.size() != 1) {
        reply(wire::Kind::error, "several transfers in one request need --batch-transfers");
        continue;
      }
      std::vector<tpc::Part> parts = std::move(transfers.front());
      if (echo_node != nullptr) {
        const auto answer = [&clients, client = r.client, seq = r.seq] {
          clients->deliver({client, seq, wire::Kind::applied, {}, "committed"});
        };
        if (!echo_node->submit(answer, parts)) {
          reply(wire::Kind::busy, "as many transfers under way as it may");
        }
        continue;
      }
      std::optional<tpc::TxId> tx;
      try {
        tx = coordinator->apply([&](tpc::Coordinator& c) { return c.begin(std::move(parts)); });
      } catch (const std::invalid_argument& e) {
        reply(wire::Kind::error, e.what());
        continue;
      }
      if (!tx) {
        reply(wire::Kind::busy, "collecting votes on as many transactions as it may");
        continue;
      }
      waiting[*tx] = {{r.client, r.seq, 1, r.command.size()}};
    }
  });
  asio::signal_set signals(made->io_context(), SIGINT, SIGTERM);
  signals.async_wait([&](const error_code& ec, int) {
    if (ec) return;
    clients->stop();
    made->stop();
  });
  std::cerr << "calm-two-pc: " << role << " " << id << " serving clients on " << flags.client
            << (acceptors.empty() ? "" : ", Paxos Commit")
            << (no_fsync ? ", without fsync (unsafe)" : "") << "\n";
  try {
    made->run();  // a record on disk that does not decode stops the boot here
  } catch (const std::exception& e) {
    std::cerr << "calm-two-pc: " << e.what() << "\n";
    return 1;
  }
  if (coordinator != nullptr) {
    const tpc::CoordinatorStats& st = coordinator->protocol().stats();
    std::cerr << "calm-two-pc: coordinator " << id << " stats: epoch "
              << coordinator->protocol().epoch() << ", begun " << st.begun << ", committed "
              << st.committed << ", aborted " << st.aborted << ", commit records held "
              << coordinator->protocol().records() << ", rejected messages " << st.rejected_messages
              << "\n";
  }
  if (acceptor != nullptr) {
    const tpc::AcceptorStats& st = acceptor->protocol().stats();
    std::cerr << "calm-two-pc: acceptor " << id << " stats: promised " << st.promised
              << ", accepted " << st.accepted << ", records kept " << acceptor->protocol().records()
              << ", erased " << st.erased << ", rejected messages " << st.rejected_messages << "\n";
  }
  if (participant != nullptr) {
    const tpc::ParticipantStats& st = participant->protocol().stats();
    std::cerr << "calm-two-pc: participant " << id << " stats: prepared " << st.prepared
              << ", committed " << st.committed << ", aborted " << st.aborted << ", recovered "
              << st.recovered << ", in doubt " << participant->protocol().in_doubt()
              << ", rejected messages " << st.rejected_messages << "\n";
  }
  return 0;
}
