#include "protocols/net/simulator.hpp"

#include <cmath>
#include <stdexcept>

namespace calm::protocols::net {

/// One node's seat in the simulation: its transport, its disk, and the node while it is up.
struct Simulator::Endpoint final : Transport {
  Simulator* sim;
  NodeId id;
  NodeFactory factory;
  MemoryDisk disk;
  std::unique_ptr<Node> node;
  std::uint64_t incarnation = 0;
  TimerId next_timer = 1;

  NodeId self() const override { return id; }
  std::uint64_t now_ms() const override { return sim->now_ms_; }
  void send(NodeId to, std::string bytes) override { sim->send(id, to, std::move(bytes)); }
  TimerId set_timer(std::uint64_t delay_ms) override { return sim->set_timer(id, delay_ms); }
  void defer(std::function<void()> f) override { sim->defer(id, std::move(f)); }
};

Simulator::Simulator(std::uint64_t seed, NetworkConfig config) : config_(config), random_(seed) {}

Simulator::~Simulator() {
  while (!queue_.empty()) {
    delete queue_.top();
    queue_.pop();
  }
}

void Simulator::mix(std::uint64_t value) {
  // FNV-1a over the value's bytes: cheap, and any difference in any event changes it.
  for (int i = 0; i < 8; ++i) {
    digest_ ^= (value >> (8 * i)) & 0xff;
    digest_ *= 0x100000001b3ULL;
  }
}

NodeId Simulator::add_node(NodeFactory factory, storage::MergeFunction merge) {
  auto endpoint = std::make_unique<Endpoint>();
  endpoint->sim = this;
  endpoint->id = endpoints_.size();
  endpoint->factory = std::move(factory);
  endpoint->disk = MemoryDisk(std::move(merge));
  endpoints_.push_back(std::move(endpoint));
  boot(endpoints_.back()->id);
  return endpoints_.back()->id;
}

void Simulator::boot(NodeId id) {
  Endpoint& e = *endpoints_.at(id);
  e.incarnation = random_.next();
  e.node = e.factory(NodeContext{e, e.disk, e.incarnation});
  e.node->on_start();
}

void Simulator::partition(const std::vector<NodeId>& side_a, const std::vector<NodeId>& side_b) {
  for (NodeId a : side_a) {
    for (NodeId b : side_b) {
      if (a == b) continue;
      blocked_.insert({a, b});
      blocked_.insert({b, a});
    }
  }
}

void Simulator::block(NodeId from, NodeId to) { blocked_.insert({from, to}); }

void Simulator::crash(NodeId id, DiskFate fate) {
  Endpoint& e = *endpoints_.at(id);
  if (!e.node) return;
  e.node.reset();
  std::uint64_t kept = 0;
  if (fate == DiskFate::wipe) {
    e.disk.wipe();
  } else {
    // A power cut keeps a prefix of the unsynced batches, any length from none to all.
    const std::size_t unsynced = e.disk.unsynced_batches();
    kept = random_.below(unsynced + 1);
    stats_.batches_lost += unsynced - kept;
    e.disk.power_cut(kept);
  }
  ++stats_.crashes;
  mix(0xc0ffee);
  mix(id);
  mix(kept);
}

void Simulator::restart(NodeId id) {
  if (endpoints_.at(id)->node) return;
  ++stats_.restarts;
  boot(id);
}

bool Simulator::is_up(NodeId id) const { return endpoints_.at(id)->node != nullptr; }

Node* Simulator::node(NodeId id) const { return endpoints_.at(id)->node.get(); }

MemoryDisk& Simulator::disk(NodeId id) { return endpoints_.at(id)->disk; }

std::uint64_t Simulator::draw_latency_ms() {
  std::uint64_t latency = config_.latency_min_ms;
  switch (config_.latency) {
    case LatencyShape::fixed:
      break;
    case LatencyShape::uniform:
      if (config_.latency_max_ms > config_.latency_min_ms) {
        latency += random_.below(config_.latency_max_ms - config_.latency_min_ms + 1);
      }
      break;
    case LatencyShape::exponential: {
      const double mean = static_cast<double>(config_.latency_max_ms);
      // Capped at 100 means so that one draw cannot stall a run.
      const double tail = std::min(-mean * std::log1p(-random_.unit()), 100 * mean);
      latency += static_cast<std::uint64_t>(tail);
      break;
    }
  }
  if (random_.chance(config_.slow)) latency += config_.slow_extra_ms;
  return latency;
}

void Simulator::push(std::unique_ptr<Event> event) {
  event->order = next_order_++;
  queue_.push(event.release());
}

void Simulator::send(NodeId from, NodeId to, std::string bytes) {
  ++stats_.sent;
  stats_.sent_bytes += bytes.size();
  if (to >= endpoints_.size()) return;
  if (random_.chance(config_.loss)) {
    ++stats_.dropped_loss;
    return;
  }
  const std::uint64_t link_seq = ++link_sent_[{from, to}];
  const int copies = random_.chance(config_.duplicate) ? 2 : 1;
  if (copies == 2) ++stats_.duplicated;
  for (int i = 0; i < copies; ++i) {
    if (in_flight_ >= config_.in_flight_max) {
      ++stats_.dropped_overflow;
      continue;
    }
    auto event = std::make_unique<Event>();
    event->time_ms = now_ms_ + draw_latency_ms();
    event->kind = Event::Kind::deliver;
    event->from = from;
    event->to = to;
    event->link_seq = link_seq;
    event->bytes = i + 1 < copies ? bytes : std::move(bytes);
    ++in_flight_;
    push(std::move(event));
  }
}

TimerId Simulator::set_timer(NodeId id, std::uint64_t delay_ms) {
  Endpoint& e = *endpoints_.at(id);
  auto event = std::make_unique<Event>();
  event->time_ms = now_ms_ + delay_ms;
  event->kind = Event::Kind::timer;
  event->to = id;
  event->epoch = e.incarnation;
  event->timer = e.next_timer++;
  const TimerId timer = event->timer;
  push(std::move(event));
  return timer;
}

void Simulator::defer(NodeId id, std::function<void()> f) {
  Endpoint& e = *endpoints_.at(id);
  auto event = std::make_unique<Event>();
  event->time_ms = now_ms_;  // after every event already queued for now: order breaks the tie
  event->kind = Event::Kind::deferred;
  event->to = id;
  event->epoch = e.incarnation;
  event->action = std::move(f);
  push(std::move(event));
}

void Simulator::at(std::uint64_t time_ms, std::function<void()> action) {
  auto event = std::make_unique<Event>();
  event->time_ms = time_ms < now_ms_ ? now_ms_ : time_ms;
  event->kind = Event::Kind::action;
  event->action = std::move(action);
  push(std::move(event));
}

void Simulator::process(Event& event) {
  switch (event.kind) {
    case Event::Kind::deliver: {
      --in_flight_;
      Endpoint& e = *endpoints_[event.to];
      if (blocked(event.from, event.to)) {
        ++stats_.dropped_partition;
        return;
      }
      if (!e.node) {
        ++stats_.dropped_down;
        return;
      }
      std::uint64_t& delivered_max = link_delivered_max_[{event.from, event.to}];
      if (event.link_seq < delivered_max) ++stats_.reordered;
      if (event.link_seq > delivered_max) delivered_max = event.link_seq;
      ++stats_.delivered;
      mix(event.time_ms);
      mix(event.from * 1024 + event.to);
      for (char c : event.bytes) mix(static_cast<unsigned char>(c));
      e.node->on_message(event.from, event.bytes);
      return;
    }
    case Event::Kind::timer: {
      Endpoint& e = *endpoints_[event.to];
      if (!e.node || e.incarnation != event.epoch) return;  // set by a previous life
      ++stats_.timers_fired;
      mix(event.time_ms);
      mix(event.timer);
      e.node->on_timer(event.timer);
      return;
    }
    case Event::Kind::action:
      mix(event.time_ms);
      event.action();
      return;
    case Event::Kind::deferred: {
      Endpoint& e = *endpoints_[event.to];
      if (!e.node || e.incarnation != event.epoch) return;  // its node crashed since
      mix(event.time_ms);
      mix(0xdefe44ed);
      mix(event.to);
      event.action();
      return;
    }
  }
}

void Simulator::run_until(std::uint64_t time_ms) {
  while (!queue_.empty() && queue_.top()->time_ms <= time_ms) {
    std::unique_ptr<Event> event(queue_.top());
    queue_.pop();
    now_ms_ = event->time_ms;
    process(*event);
    if (after_event_) after_event_();
  }
  if (time_ms > now_ms_) now_ms_ = time_ms;
}

}  // namespace calm::protocols::net
