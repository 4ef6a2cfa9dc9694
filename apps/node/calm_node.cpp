// calm-node: one replica of a map from key to AWSet<std::string>, kept converging with its
// peers by delta anti-entropy over TCP (net::TcpRuntime) on the protocol host, durable in
// RocksDB (a RocksDisk whose merge function is the set's join: each turn's deltas are merge
// operands, one batch per turn, fsynced before anything of the turn is acknowledged or sent).
// It is what docs/replication.md's three-process test runs and kills.
//
//   calm-node --id N --listen HOST:PORT --data DIR [--peer ID=HOST:PORT]... [--gossip-ms MS]
//             [--cluster-secret-file PATH]
//
// With a cluster secret (a file of at least 32 bytes, one trailing newline ignored) peers
// authenticate each other and every frame; without one, it listens on loopback only.
//
// Commands on standard input, one per line; answers on standard output, flushed per line:
//   add KEY ELEMENT     ->  "ack add KEY ELEMENT" once the write is durable on this node (its
//                           turn's batch written and fsynced), or "error: ..." when that
//                           batch could not be written (then the write changed nothing)
//   remove KEY ELEMENT  ->  "ack remove KEY ELEMENT" likewise
//   dump                ->  "KEY ELEMENT ELEMENT ..." per non-empty key in key order, then "end"
//   quit (or end of input)
// A malformed line gets "error: ..." and changes nothing.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/usage.hpp"
#include "lattices/aw_set.hpp"
#include "protocols/anti_entropy/node.hpp"
#include "protocols/net/tcp.hpp"
#include "protocols/net/tcp_wire.hpp"
#include "protocols/storage/rocks_disk.hpp"

namespace {

namespace ae = calm::protocols::anti_entropy;
namespace net = calm::protocols::net;
using Set = calm::lattices::AWSet<std::string>;
using SetNode = ae::ReplicaNode<Set>;

constexpr std::string_view usage =
    "usage: calm-node --id N --listen HOST:PORT --data DIR [--peer ID=HOST:PORT]...\n"
    "                 [--gossip-ms MS] [--cluster-secret-file PATH]\n";
const calm::apps::Usage cli("calm-node", usage);

std::mutex output_mutex;
void say(const std::string& line) {
  std::lock_guard lock(output_mutex);
  std::cout << line << '\n' << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t id = 0;
  std::string listen, data;
  std::uint64_t gossip_ms = 50;
  std::string secret_file;
  std::vector<net::TcpPeer> peers;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) cli.fail(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--id") {
      id = cli.number(value, "--id");
    } else if (flag == "--listen") {
      listen = value;
    } else if (flag == "--data") {
      data = value;
    } else if (flag == "--cluster-secret-file") {
      secret_file = value;
    } else if (flag == "--gossip-ms") {
      gossip_ms = cli.number(value, "--gossip-ms");
    } else if (flag == "--peer") {
      const auto eq = value.find('=');
      if (eq == std::string::npos) cli.fail("--peer needs ID=HOST:PORT");
      const auto [host, port] = cli.address(value.substr(eq + 1));
      peers.push_back({cli.number(value.substr(0, eq), "a peer id"), host, port});
    } else {
      cli.fail("unknown flag " + flag);
    }
  }
  if (id == 0 || listen.empty() || data.empty()) cli.fail("--id, --listen and --data are needed");

  ae::Config config;
  config.gossip_interval_ms = gossip_ms;
  for (const auto& peer : peers) config.peers.push_back(peer.id);

  net::TcpOptions options;
  try {
    if (!secret_file.empty()) options.cluster_secret = net::wire::read_secret_file(secret_file);
  } catch (const std::exception& e) {
    std::cerr << "calm-node: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "calm-node: "
            << (secret_file.empty()
                    ? "no cluster secret: peers are not authenticated, loopback only"
                    : "peers authenticate with the cluster secret in " + secret_file)
            << "\n";

  namespace storage = calm::protocols::storage;
  // The host syncs every batch (one fsync per turn, for all of the turn's writes), so the disk
  // itself does not sync each write.
  std::unique_ptr<storage::RocksDisk> disk;
  try {
    disk = std::make_unique<storage::RocksDisk>(data, SetNode::merge_function(), storage::Sync::no);
  } catch (const std::exception& e) {
    std::cerr << "calm-node: " << e.what() << "\n";
    return 1;
  }
  calm::protocols::host::HostOptions host_options;
  host_options.sync_every_batch = storage::Sync::yes;
  // The answers of the writes of the current turn, said once its batch is written (only the
  // runtime's thread touches it).
  std::vector<std::string> answers;
  const auto [host, port] = cli.address(listen);
  std::unique_ptr<net::TcpRuntime> made;
  try {
    made = std::make_unique<net::TcpRuntime>(
        id, host, port, peers, *disk,
        [&](const net::NodeContext& context) {
          auto node = std::make_unique<SetNode>(context, config, host_options);
          answers.clear();  // a previous life's, never written
          node->set_application({.on_final = {},
                                 .on_turn_end =
                                     [&answers](const std::string* failure) {
                                       for (const std::string& answer : answers) {
                                         say(failure == nullptr ? "ack " + answer
                                                                : "error: " + answer +
                                                                      " not written: " + *failure);
                                       }
                                       answers.clear();
                                     },
                                 .wall_clock = {},
                                 .background_sync = {}});
          return node;
        },
        options);
  } catch (const std::exception& e) {
    std::cerr << "calm-node: " << e.what() << "\n";
    return 1;
  }
  net::TcpRuntime& runtime = *made;
  std::thread serving([&] { runtime.run(); });

  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string command, key, element, extra;
    words >> command >> key >> element >> extra;
    if (command == "quit") break;
    if (command == "dump" && key.empty()) {
      runtime.post([](net::Node& node) {
        const auto& state = static_cast<SetNode&>(node).replica().state();
        std::vector<const std::string*> keys;
        for (const auto& entry : state) {
          if (!entry.second.empty()) keys.push_back(&entry.first);
        }
        std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a < *b; });
        std::string out;
        for (const std::string* k : keys) {
          out += *k;
          for (const std::string& e : state.at(*k).elements()) out += " " + e;
          out += '\n';
        }
        say(out + "end");
      });
    } else if ((command == "add" || command == "remove") && !element.empty() && extra.empty()) {
      runtime.post([id, command, key, element, &answers](net::Node& node) {
        try {
          static_cast<SetNode&>(node).update(key, [&](Set& set) {
            return command == "add" ? set.add(id, element) : set.remove(element);
          });
        } catch (const std::length_error& e) {  // a key or an element too long: nothing changed
          say("error: " + std::string(e.what()));
          return;
        }
        // Acknowledged once the host wrote (and synced) this turn's batch: on_turn_end.
        answers.push_back(command + " " + key + " " + element);
      });
    } else {
      say("error: expected 'add KEY ELEMENT', 'remove KEY ELEMENT', 'dump' or 'quit'");
    }
  }
  runtime.stop();
  serving.join();
  return 0;
}
