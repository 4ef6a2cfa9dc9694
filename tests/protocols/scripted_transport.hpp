#pragma once
// A transport that a test drives by hand, for one node on the protocol host: it records what
// the node sends and the timers it sets, and runs the calls the node deferred when the test
// ends the turn (`end_turn`), as an event loop does once a turn's inputs have run.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocols/net/transport.hpp"
#include "protocols/storage/memory_disk.hpp"

namespace calm::protocols::testing {

class ScriptedTransport final : public net::Transport {
 public:
  explicit ScriptedTransport(net::NodeId self) : self_(self) {}

  net::NodeId self() const override { return self_; }
  std::uint64_t now_ms() const override { return now_ms_; }
  void send(net::NodeId to, std::string bytes) override {
    if (on_send) on_send(to, bytes);
    sent.emplace_back(to, std::move(bytes));
  }
  net::TimerId set_timer(std::uint64_t delay_ms) override {
    timers.push_back(delay_ms);
    return timers.size();
  }
  void defer(std::function<void()> f) override { deferred_.push_back(std::move(f)); }

  /// Runs the deferred calls, and those they defer, in order; at most `calls_max` (a host
  /// defers one flush per turn: more would be a loop).
  void end_turn(std::size_t calls_max = 16) {
    for (std::size_t i = 0; i < calls_max && !deferred_.empty(); ++i) {
      std::function<void()> f = std::move(deferred_.front());
      deferred_.pop_front();
      f();
    }
  }
  std::size_t deferred() const { return deferred_.size(); }
  /// Drops the deferred calls (the node they belong to is gone).
  void drop_deferred() { deferred_.clear(); }
  void advance(std::uint64_t ms) { now_ms_ += ms; }

  std::vector<std::pair<net::NodeId, std::string>> sent;
  std::vector<std::uint64_t> timers;
  /// Sees each send as it happens (what the disk holds at that moment, say).
  std::function<void(net::NodeId to, const std::string& bytes)> on_send;

 private:
  net::NodeId self_;
  std::uint64_t now_ms_ = 0;
  std::deque<std::function<void()>> deferred_;
};

/// One node of type N (a Host) over a ScriptedTransport and a MemoryDisk folding merges with
/// `merge`; the disk outlives restarts (`boot` again).
template <class N>
struct Hosted {
  Hosted(net::NodeId self, storage::MergeFunction merge)
      : transport(self), disk(std::move(merge)) {}

  /// Boots (or boots again) the node with `make(context)` and a new incarnation.
  template <class Make>
  N& boot(Make&& make) {
    node.reset();
    transport.drop_deferred();
    context = std::make_unique<net::NodeContext>(
        net::NodeContext{transport, disk, 1000 + transport.self() + 7 * boots++});
    node = make(*context);
    node->on_start();
    return *node;
  }

  ScriptedTransport transport;
  storage::MemoryDisk disk;
  std::unique_ptr<net::NodeContext> context;
  std::unique_ptr<N> node;
  std::uint64_t boots = 0;
};

}  // namespace calm::protocols::testing
