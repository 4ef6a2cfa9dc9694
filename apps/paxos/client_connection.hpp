#pragma once
// A load tool's connection to a server's client port (client_wire.hpp): requests out,
// replies to `on_reply` as their frames complete, `on_broken` when the connection fails (the
// tool reconnects with `connect` when it likes). Shared by calm-paxos-load and
// calm-two-pc-load.
// clang-format off
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "lattices/core.hpp"
#include "paxos/client_wire.hpp"

namespace calm::paxos_app {

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  /// A reply carries at most a result of one value: anything longer is not one.
  static constexpr std::uint32_t reply_bytes_max = 1u << 20;

  ClientConnection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                   std::string program, std::function<void(const wire::Reply&)> on_reply,
                   std::function<void()> on_broken)
      : io_(io),
        endpoint_(std::move(endpoint)),
        program_(std::move(program)),
        on_reply_(std::move(on_reply)),
        on_broken_(std::move(on_broken)) {}

  bool up() const { return up_; }
  bool connecting() const { return connecting_; }

  void connect() {
    if (up_ || connecting_) return;
    connecting_ = true;
    socket_ = std::make_unique<boost::asio::ip::tcp::socket>(io_);
    const std::uint64_t gen = ++generation_;
    auto self = shared_from_this();
    socket_->async_connect(endpoint_, [this, self, gen](const boost::system::error_code& ec) {
      if (gen != generation_) return;
      connecting_ = false;
      if (ec) return;  // the tool tries again
      up_ = true;
      boost::system::error_code ignored;
      socket_->set_option(boost::asio::ip::tcp::no_delay(true), ignored);
      read(gen);
    });
  }

  void send(const wire::Request& r) {
    wire::append(pending_, r);
    write();
  }

  /// Closes it for good: nothing more is reported.
  void close() {
    ++generation_;
    up_ = connecting_ = false;
    boost::system::error_code ignored;
    if (socket_) socket_->close(ignored);
    input_.clear();  // a later connect starts clean
    pending_.clear();
    writing_.clear();
  }

 private:
  void read(std::uint64_t gen) {
    auto self = shared_from_this();
    socket_->async_read_some(
        boost::asio::buffer(chunk_),
        [this, self, gen](const boost::system::error_code& ec, std::size_t n) {
          if (gen != generation_) return;
          if (ec) return broken();
          input_.append(chunk_.data(), n);
          std::size_t used = 0;
          while (input_.size() - used >= wire::header_bytes) {
            const std::uint32_t length = wire::frame_length(std::string_view(input_).substr(used));
            if (length > reply_bytes_max) {
              std::cerr << program_ << ": a reply frame of " << length << " bytes\n";
              return broken();
            }
            if (input_.size() - used - wire::header_bytes < length) break;
            wire::Reply reply;
            try {
              reply = wire::decode_reply(
                  std::string_view(input_).substr(used + wire::header_bytes, length), length);
            } catch (const lattices::DecodeError& e) {
              std::cerr << program_ << ": a reply that does not decode: " << e.what() << "\n";
              return broken();
            }
            used += wire::header_bytes + length;
            on_reply_(reply);
            if (gen != generation_) return;  // closed from the callback
          }
          input_.erase(0, used);
          read(gen);
        });
  }
  void write() {
    if (!up_ || !writing_.empty() || pending_.empty()) return;
    writing_.swap(pending_);
    const std::uint64_t gen = generation_;
    auto self = shared_from_this();
    boost::asio::async_write(*socket_, boost::asio::buffer(writing_),
                             [this, self, gen](const boost::system::error_code& ec, std::size_t) {
                               if (gen != generation_) return;
                               writing_.clear();
                               if (ec) return broken();
                               write();
                             });
  }
  void broken() {
    close();
    on_broken_();
  }

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::string program_;
  std::function<void(const wire::Reply&)> on_reply_;
  std::function<void()> on_broken_;
  std::unique_ptr<boost::asio::ip::tcp::socket> socket_;
  std::string input_, pending_, writing_;
  std::vector<char> chunk_ = std::vector<char>(64 << 10);
  bool up_ = false, connecting_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace calm::paxos_app
