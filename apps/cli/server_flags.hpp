#pragma once
// The flags calm's servers with peers and a client port share (calm-paxos, calm-two-pc):
// --id, --listen, --client, --data, --peer ID=HOST:PORT (repeated) and
// --cluster-secret-file, and what they imply: the transport's options, and the rule that
// without a cluster secret the (unauthenticated) client port is loopback only.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio.hpp>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/usage.hpp"
#include "protocols/net/tcp.hpp"
#include "protocols/net/tcp_wire.hpp"

namespace calm::apps {

struct ServerFlags {
  std::uint64_t id = 0;
  bool id_given = false;
  std::string listen, client, data, secret_file;
  std::vector<protocols::net::TcpPeer> peers;

  /// Takes `flag` with `value` if it is one of these; false otherwise.
  bool take(const Usage& cli, const std::string& flag, const std::string& value) {
    if (flag == "--id") {
      id = cli.number(value, "--id");
      id_given = true;
    } else if (flag == "--listen") {
      listen = value;
    } else if (flag == "--client") {
      client = value;
    } else if (flag == "--data") {
      data = value;
    } else if (flag == "--cluster-secret-file") {
      secret_file = value;
    } else if (flag == "--peer") {
      const auto eq = value.find('=');
      if (eq == std::string::npos) cli.fail("--peer needs ID=HOST:PORT");
      const auto [host, port] = cli.address(value.substr(eq + 1));
      peers.push_back({cli.number(value.substr(0, eq), "a peer id"), host, port});
    } else {
      return false;
    }
    return true;
  }

  /// Checks what is needed; the transport's options, or nothing (the reason printed as
  /// "<program>: ...") when the secret cannot be read or the client port may not be used.
  std::optional<protocols::net::TcpOptions> options(const Usage& cli,
                                                    const std::string& program) const {
    if (!id_given || listen.empty() || client.empty() || data.empty()) {
      cli.fail("--id, --listen, --client and --data are needed");
    }
    protocols::net::TcpOptions out;
    try {
      if (!secret_file.empty())
        out.cluster_secret = protocols::net::wire::read_secret_file(secret_file);
    } catch (const std::exception& e) {
      std::cerr << program << ": " << e.what() << "\n";
      return std::nullopt;
    }
    if (secret_file.empty()) {
      boost::system::error_code ec;
      const auto address = boost::asio::ip::make_address(cli.address(client).first, ec);
      if (ec || !address.is_loopback()) {
        std::cerr << program
                  << ": clients are not authenticated: without a cluster secret the "
                     "client port must be a loopback address\n";
        return std::nullopt;
      }
    }
    return out;
  }
};

}  // namespace calm::apps
