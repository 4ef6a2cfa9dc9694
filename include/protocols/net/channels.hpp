#pragma once
/// Channels: several nodes behind one transport, so that one process runs several protocols
/// (calm-kvs: anti-entropy for its coordination-free keys, Multi-Paxos for its linearizable
/// ones) over one set of peer connections, authenticated once.
///
/// Each child node gets a `Transport` of its own: what it sends carries its channel's tag in
/// a first byte, which the receiving side strips before handing the message to the child of
/// the same tag; its timers come back to it alone. A message with no byte or an unknown tag
/// is dropped and counted. The children share the disk (each protocol keeps its own key
/// prefix) and the event loop: their calls never overlap.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lattices/assert.hpp"
#include "protocols/net/transport.hpp"

namespace calm::protocols::net {

class Channels final : public Node {
 public:
  explicit Channels(const NodeContext& context) : context_(context) {}

  /// The context a child on channel `tag` is made with: pass it to the child's constructor,
  /// then `attach` the child. Tags are attached once each, before the node starts.
  NodeContext context_for(std::uint8_t tag) {
    CALM_ASSERT(channels_.find(tag) == channels_.end(), "a channel's tag is used once");
    auto& channel = channels_[tag];
    channel.transport = std::make_unique<Channel>(*this, tag);
    return NodeContext{*channel.transport, context_.disk, context_.incarnation};
  }
  void attach(std::uint8_t tag, std::unique_ptr<Node> child) {
    const auto it = channels_.find(tag);
    CALM_ASSERT(it != channels_.end() && !it->second.node, "attach a channel's node once");
    it->second.node = std::move(child);
  }
  Node* child(std::uint8_t tag) {
    const auto it = channels_.find(tag);
    return it == channels_.end() ? nullptr : it->second.node.get();
  }

  void on_start() override {
    for (auto& [tag, channel] : channels_) {
      CALM_ASSERT(channel.node != nullptr, "every channel has its node before the start");
      channel.node->on_start();
    }
  }
  void on_message(NodeId from, std::string_view bytes) override {
    if (bytes.empty()) return ++dropped_, void();
    const auto it = channels_.find(static_cast<std::uint8_t>(bytes.front()));
    if (it == channels_.end()) return ++dropped_, void();
    it->second.node->on_message(from, bytes.substr(1));
  }
  void on_timer(TimerId id) override {
    const auto it = timers_.find(id);
    if (it == timers_.end()) return;
    const std::uint8_t tag = it->second;
    timers_.erase(it);
    channels_.at(tag).node->on_timer(id);
  }

  /// Messages dropped for carrying no known channel.
  std::uint64_t dropped() const { return dropped_; }

 private:
  class Channel final : public Transport {
   public:
    Channel(Channels& owner, std::uint8_t tag) : owner_(owner), tag_(tag) {}
    NodeId self() const override { return owner_.context_.transport.self(); }
    std::uint64_t now_ms() const override { return owner_.context_.transport.now_ms(); }
    void send(NodeId to, std::string bytes) override {
      bytes.insert(bytes.begin(), static_cast<char>(tag_));
      owner_.context_.transport.send(to, std::move(bytes));
    }
    TimerId set_timer(std::uint64_t delay_ms) override {
      const TimerId id = owner_.context_.transport.set_timer(delay_ms);
      owner_.timers_[id] = tag_;
      return id;
    }
    std::optional<std::uint64_t> peer_incarnation(NodeId peer) const override {
      return owner_.context_.transport.peer_incarnation(peer);
    }
    void defer(std::function<void()> f) override { owner_.context_.transport.defer(std::move(f)); }

   private:
    Channels& owner_;
    std::uint8_t tag_;
  };

  struct Slot {
    std::unique_ptr<Channel> transport;
    std::unique_ptr<Node> node;
  };

  NodeContext context_;
  std::map<std::uint8_t, Slot> channels_;
  std::map<TimerId, std::uint8_t> timers_;  // a timer set and not yet fired, by channel
  std::uint64_t dropped_ = 0;
};

}  // namespace calm::protocols::net
