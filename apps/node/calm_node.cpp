// calm-node: one replica of a map from key to AWSet<std::string>, kept converging with its
// peers by delta anti-entropy over TCP (net::TcpRuntime), durable in RocksDB (RocksDisk).
// It is what docs/replication.md's three-process test runs and kills.
//
//   calm-node --id N --listen HOST:PORT --data DIR [--peer ID=HOST:PORT]... [--gossip-ms MS]
//             [--cluster-secret-file PATH]
//
// With a cluster secret (a file of at least 32 bytes, one trailing newline ignored) peers
// authenticate each other and every frame; without one, it listens on loopback only.
//
// Commands on standard input, one per line; answers on standard output, flushed per line:
//   add KEY ELEMENT     ->  "ack add KEY ELEMENT" once the write is durable on this node
//   remove KEY ELEMENT  ->  "ack remove KEY ELEMENT" likewise
//   dump                ->  "KEY ELEMENT ELEMENT ..." per non-empty key in key order, then "end"
//   quit (or end of input)
// A malformed line gets "error: ..." and changes nothing.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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

[[noreturn]] void fail_usage(const std::string& why) {
  std::cerr << "calm-node: " << why << "\n" << usage;
  std::exit(2);
}

std::uint64_t parse_number(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  try {
    const unsigned long long value = std::stoull(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  fail_usage(what + " is not a number: " + text);
}

/// "HOST:PORT" -> (host, port).
std::pair<std::string, std::uint16_t> parse_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) fail_usage("not HOST:PORT: " + text);
  const std::uint64_t port = parse_number(text.substr(colon + 1), "a port");
  if (port > 65535) fail_usage("not a port: " + text);
  return {text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

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
    if (i + 1 >= argc) fail_usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--id") {
      id = parse_number(value, "--id");
    } else if (flag == "--listen") {
      listen = value;
    } else if (flag == "--data") {
      data = value;
    } else if (flag == "--cluster-secret-file") {
      secret_file = value;
    } else if (flag == "--gossip-ms") {
      gossip_ms = parse_number(value, "--gossip-ms");
    } else if (flag == "--peer") {
      const auto eq = value.find('=');
      if (eq == std::string::npos) fail_usage("--peer needs ID=HOST:PORT");
      const auto [host, port] = parse_address(value.substr(eq + 1));
      peers.push_back({parse_number(value.substr(0, eq), "a peer id"), host, port});
    } else {
      fail_usage("unknown flag " + flag);
    }
  }
  if (id == 0 || listen.empty() || data.empty()) fail_usage("--id, --listen and --data are needed");

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

  calm::protocols::storage::RocksDisk disk(data);
  const auto [host, port] = parse_address(listen);
  std::unique_ptr<net::TcpRuntime> made;
  try {
    made = std::make_unique<net::TcpRuntime>(
        id, host, port, peers, disk,
        [&](const net::NodeContext& context) { return std::make_unique<SetNode>(context, config); },
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
        std::string out;
        for (const auto& [k, set] : static_cast<SetNode&>(node).replica().state()) {
          if (set.empty()) continue;
          out += k;
          for (const std::string& e : set.elements()) out += " " + e;
          out += '\n';
        }
        say(out + "end");
      });
    } else if ((command == "add" || command == "remove") && !element.empty() && extra.empty()) {
      runtime.post([id, command, key, element](net::Node& node) {
        static_cast<SetNode&>(node).update(key, [&](Set& set) {
          return command == "add" ? set.add(id, element) : set.remove(element);
        });
        // update() persisted the new value (a synced RocksDB write) before returning.
        say("ack " + command + " " + key + " " + element);
      });
    } else {
      say("error: expected 'add KEY ELEMENT', 'remove KEY ELEMENT', 'dump' or 'quit'");
    }
  }
  runtime.stop();
  serving.join();
  return 0;
}
