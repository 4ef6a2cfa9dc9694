#pragma once
// What calm's servers with a client port of their own share (calm-paxos, calm-two-pc): the
// port itself, speaking client_wire.hpp's frames, and the disk of --no-fsync.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lattices/core.hpp"
#include "paxos/client_wire.hpp"
#include "protocols/storage/disk.hpp"

namespace calm::paxos_app {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;
namespace storage = protocols::storage;

/// A disk that never syncs (--no-fsync): for measuring what the fsyncs cost, never for data.
class UnsyncedDisk final : public storage::Disk {
 public:
  explicit UnsyncedDisk(storage::Disk& inner) : inner_(inner) {}
  void write(std::span<const storage::Write> writes, storage::Sync) override {
    inner_.write(writes, storage::Sync::no);
  }
  void sync() override {}
  std::optional<std::string> get(std::string_view key) const override { return inner_.get(key); }
  std::function<std::optional<std::string>(std::string_view)> point_reads() const override {
    return inner_.point_reads();
  }
  void scan(std::string_view prefix,
            const std::function<bool(std::string_view, std::string_view)>& f) const override {
    inner_.scan(prefix, f);
  }
  std::uint64_t estimated_keys() const override { return inner_.estimated_keys(); }

 private:
  storage::Disk& inner_;
};

/// What the client listener hands requests to, and how replies come back.
using Submit = std::function<void(std::vector<wire::Request>&)>;

/// The client port: frames in, requests to `submit` one read's worth at a time (so that the
/// requests of one turn share a slot), replies routed back by client id to the connection that
/// last sent a request for it.
class ClientListener {
 public:
  static constexpr std::size_t connections_max = 1024;
  /// Distinct client ids one connection may speak for (each costs a route to it).
  static constexpr std::size_t clients_per_connection_max = 65536;
  static constexpr std::size_t output_bytes_max = 4u << 20;
  static constexpr std::size_t read_chunk_bytes = 64u << 10;

  /// `program` names the server in its log lines.
  ClientListener(std::string program, asio::io_context& io, const std::string& address,
                 std::uint16_t port, std::size_t command_bytes_max)
      : program_(std::move(program)),
        acceptor_(io, tcp::endpoint(asio::ip::make_address(address), port)),
        request_bytes_max_(command_bytes_max + 64) {}

  void start(Submit submit) {
    submit_ = std::move(submit);
    accept();
  }

  void deliver(const wire::Reply& reply) {
    const auto it = routes_.find(reply.client);
    if (it == routes_.end()) return;  // its connection is gone: the client retries elsewhere
    const auto connection = it->second.lock();
    if (!connection) {
      routes_.erase(it);
      return;
    }
    wire::append(connection->pending, reply);
    connection->write();
  }

  void stop() {
    error_code ignored;
    acceptor_.close(ignored);
    for (const auto& c : std::set<std::shared_ptr<Connection>>(connections_)) c->close();
  }

 private:
  struct Connection : std::enable_shared_from_this<Connection> {
    ClientListener& listener;
    tcp::socket socket;
    std::string input;
    std::vector<char> chunk = std::vector<char>(read_chunk_bytes);
    std::string pending;  // replies not yet handed to the socket
    std::string writing;  // replies the socket is writing
    std::set<std::uint64_t> clients;
    bool reading = false;
    bool closed = false;

    Connection(ClientListener& l, tcp::socket s) : listener(l), socket(std::move(s)) {
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
    }

    void read() {
      if (reading || closed) return;
      reading = true;
      auto self = shared_from_this();
      socket.async_read_some(
          asio::buffer(chunk), [this, self](const error_code& ec, std::size_t n) {
            reading = false;
            if (ec || closed) return close();
            input.append(chunk.data(), n);
            std::vector<wire::Request> requests;
            std::size_t used = 0;
            while (input.size() - used >= wire::header_bytes) {
              const std::uint32_t length = wire::frame_length(std::string_view(input).substr(used));
              if (length > listener.request_bytes_max_) {
                return refuse("a request frame of " + std::to_string(length) + " bytes");
              }
              if (input.size() - used - wire::header_bytes < length) break;
              try {
                requests.push_back(wire::decode_request(
                    std::string_view(input).substr(used + wire::header_bytes, length),
                    listener.request_bytes_max_));
              } catch (const calm::lattices::DecodeError& e) {
                return refuse(e.what());
              }
              used += wire::header_bytes + length;
            }
            input.erase(0, used);
            for (const wire::Request& r : requests) {
              if (clients.insert(r.client).second && clients.size() > clients_per_connection_max) {
                return refuse("more than " + std::to_string(clients_per_connection_max) +
                              " client ids on one connection");
              }
              listener.routes_[r.client] = self;
            }
            if (!requests.empty()) listener.submit_(requests);
            if (pending.size() + writing.size() <= output_bytes_max) read();
          });
    }

    void write() {
      if (!writing.empty() || pending.empty() || closed) return;
      writing.swap(pending);
      auto self = shared_from_this();
      asio::async_write(socket, asio::buffer(writing),
                        [this, self](const error_code& ec, std::size_t) {
                          writing.clear();
                          if (ec) return close();
                          write();
                          if (pending.size() <= output_bytes_max) read();
                        });
    }

    void refuse(const std::string& why) {
      std::cerr << listener.program_ << ": closed a client connection: " << why << "\n";
      close();
    }

    void close() {
      if (closed) return;
      closed = true;
      error_code ignored;
      socket.close(ignored);
      for (std::uint64_t client : clients) {
        const auto it = listener.routes_.find(client);
        if (it != listener.routes_.end() && it->second.lock().get() == this) {
          listener.routes_.erase(it);
        }
      }
      listener.connections_.erase(shared_from_this());
    }
  };

  void accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (connections_.size() >= connections_max) {
          std::cerr << program_ << ": refused a client connection: " << connections_max
                    << " already open\n";
        } else {
          auto c = std::make_shared<Connection>(*this, std::move(socket));
          connections_.insert(c);
          c->read();
        }
        return accept();
      }
      // Descriptors exhausted, or the like: try again shortly rather than spin.
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this](const error_code& wait_ec) {
        if (!wait_ec) accept();
      });
    });
  }

  std::string program_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_{acceptor_.get_executor()};
  std::size_t request_bytes_max_;
  Submit submit_;
  std::set<std::shared_ptr<Connection>> connections_;
  std::map<std::uint64_t, std::weak_ptr<Connection>> routes_;
};

}  // namespace calm::paxos_app
