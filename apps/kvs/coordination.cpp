#include "kvs/coordination.hpp"

#include <algorithm>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>

#include "lattices/serialize.hpp"

namespace calm::apps::kvs {
namespace {

namespace net = protocols::net;
namespace paxos = protocols::paxos;

/// Client ids: a replica's id in the high bits, the lane in the low 24; two ids of the low
/// range are the replica's reads and its clock entries. Sequence numbers: the boot's epoch in
/// the high 24 bits, a counter in the low 40.
constexpr unsigned lane_bits = 24;
constexpr std::uint64_t read_lane = (std::uint64_t{1} << lane_bits) - 1;
constexpr std::uint64_t clock_lane = read_lane - 1;
constexpr unsigned counter_bits = 40;
/// How long a command waits before it is sent again after "not leader" or "busy", and how
/// long one sent waits for its answer before it is sent again (the leader may have crashed:
/// the client table makes a repeat harmless).
constexpr std::uint64_t retry_ms = 10;
constexpr std::uint64_t resend_ms = 300;
constexpr std::uint64_t tick_ms = 5;

std::uint64_t client_id(std::uint64_t self, std::uint64_t lane) {
  return (self << lane_bits) | lane;
}

/// What the forwarding channel carries.
struct ForwardMessage {
  enum class Type : std::uint8_t { forward = 1, answer = 2 };
  Type type = Type::forward;
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  bool read = false;                    // forward: a read-index read
  std::uint8_t kind = 0;                // answer: paxos::Reply::Kind
  std::optional<std::uint64_t> leader;  // answer, not_leader: the leader it knows
  std::string payload;                  // forward: the op; answer: the result

  template <class Archive>
  void serialize(Archive& ar) {
    ar(type, client, seq, read, kind, leader, payload);
  }
};

}  // namespace

struct LogCoordination::Pending {
  std::string op;  // the encoded LinearOp, unstamped (the leader that submits it stamps it)
  bool read = false;
  std::function<void(bool, std::string)> done;
  std::uint64_t deadline_ms = 0;
  std::uint64_t retry_at_ms = 0;  // not in flight: when to send it again
  std::uint64_t sent_at_ms = 0;
  bool in_flight = false;
  std::optional<std::uint32_t> lane;
};

class LogCoordination::ForwardNode final : public net::Node {
 public:
  ForwardNode(const net::NodeContext& context, LogCoordination& owner)
      : transport_(context.transport), owner_(owner) {}
  void on_start() override { transport_.set_timer(tick_ms); }
  void on_message(net::NodeId from, std::string_view bytes) override {
    owner_.on_forward_message(from, bytes);
  }
  void on_timer(net::TimerId) override {
    owner_.tick();
    transport_.set_timer(tick_ms);
  }
  void send(net::NodeId to, const ForwardMessage& m) { transport_.send(to, lattices::to_bytes(m)); }
  std::uint64_t now_ms() const { return transport_.now_ms(); }

 private:
  net::Transport& transport_;
  LogCoordination& owner_;
};

LogCoordination::LogCoordination(CoordinationOptions options)
    : options_(std::move(options)), next_seq_(options_.epoch << counter_bits) {
  CALM_ASSERT(options_.self < (std::uint64_t{1} << (64 - lane_bits)),
              "a replica id of linearizable keys fits 40 bits");
  static_assert(epochs_max == std::uint64_t{1} << (64 - counter_bits));
  CALM_ASSERT(options_.epoch < epochs_max, "epochs fit 24 bits (the server checks at start)");
  CALM_ASSERT(options_.lanes > 0 && options_.lanes < clock_lane, "lanes fit their bits");
  free_lanes_.reserve(options_.lanes);
  for (std::uint32_t lane = options_.lanes; lane > 0; --lane) free_lanes_.push_back(lane - 1);
  options_.paxos.self = options_.self;
  options_.paxos.members = options_.members;
}

LogCoordination::~LogCoordination() = default;

void LogCoordination::attach(net::Channels& channels, std::uint8_t log_tag,
                             std::uint8_t forward_tag) {
  // A restart makes new nodes: what was in flight for the old ones fails now (and a submit
  // its callbacks make meanwhile is refused: the old nodes are gone).
  host_ = nullptr;
  forward_ = nullptr;
  for (auto it = pending_.begin(); it != pending_.end();) {
    finish(it++, false, "NOQUORUM the replica restarted its log: the outcome is unknown");
  }
  forwarded_.clear();
  auto host = std::make_unique<LogHost>(
      channels.context_for(log_tag), LinearReplica(options_.paxos, LinearMachine(options_.limits)));
  LogHost::Application app;
  app.on_final = [this](std::vector<paxos::Reply>& replies) { on_final(replies); };
  app.background_sync = options_.background_sync;
  host->set_application(std::move(app));
  host_ = host.get();
  channels.attach(log_tag, std::move(host));
  auto forward = std::make_unique<ForwardNode>(channels.context_for(forward_tag), *this);
  forward_ = forward.get();
  channels.attach(forward_tag, std::move(forward));
}

const LinearReplica* LogCoordination::replica() const {
  return host_ == nullptr ? nullptr : &host_->protocol();
}

std::uint64_t LogCoordination::now_ms() const { return forward_->now_ms(); }

bool LogCoordination::is_member(std::uint64_t id) const {
  return std::find(options_.members.begin(), options_.members.end(), id) != options_.members.end();
}

std::string LogCoordination::stamped(std::string_view op_bytes) {
  std::string op(op_bytes);
  // One too short to stamp goes as it is: the machine answers it with an error, everywhere.
  stamp(op, options_.wall_ms ? options_.wall_ms() : 0);
  return op;
}

void LogCoordination::submit(LinearOp op, bool read, std::function<void(bool, std::string)> done) {
  if (host_ == nullptr) return done(false, "NOQUORUM the log is not running yet");
  const std::uint64_t counter = next_seq_ & ((std::uint64_t{1} << counter_bits) - 1);
  if (counter + 1 >= (std::uint64_t{1} << counter_bits)) {
    return done(false, "ERR this replica's log sequence numbers ran out: restart it");
  }
  std::uint64_t client = client_id(options_.self, read ? read_lane : clock_lane);
  std::optional<std::uint32_t> lane;
  if (!read && op.kind != LinearOp::Kind::clock) {
    if (free_lanes_.empty()) {
      return done(false, "BUSY " + std::to_string(options_.lanes) +
                             " linearizable commands of this replica are in flight: try again");
    }
    lane = free_lanes_.back();
    free_lanes_.pop_back();
    client = client_id(options_.self, *lane);
  }
  const Id id{client, next_seq_++};
  Pending& p = pending_[id];
  p.op = encode(op);
  p.read = read;
  p.done = std::move(done);
  p.deadline_ms = now_ms() + options_.timeout_ms;
  p.lane = lane;
  dispatch(id, p);
}

void LogCoordination::dispatch(const Id& id, Pending& p) {
  LinearReplica& replica = host_->protocol();
  p.sent_at_ms = now_ms();
  p.in_flight = true;
  if (replica.is_leader()) {
    std::string op = p.read ? p.op : stamped(p.op);
    const bool read = p.read;
    host_->apply([&](LinearReplica& r) {
      if (read) {
        r.read(id.first, id.second, std::move(op));
      } else {
        r.submit(id.first, id.second, std::move(op));
      }
    });
    return;
  }
  const std::optional<std::uint64_t> leader = replica.leader();
  if (leader && *leader != options_.self) {
    ForwardMessage m;
    m.type = ForwardMessage::Type::forward;
    m.client = id.first;
    m.seq = id.second;
    m.read = p.read;
    m.payload = p.op;
    forward_->send(*leader, m);
    ++stats_.forwarded;
    return;
  }
  p.in_flight = false;  // no leader known: again in a moment
  p.retry_at_ms = now_ms() + retry_ms;
}

void LogCoordination::finish(std::map<Id, Pending>::iterator it, bool ok, std::string result) {
  auto done = std::move(it->second.done);
  if (it->second.lane) free_lanes_.push_back(*it->second.lane);
  if (it->first.first == client_id(options_.self, clock_lane)) clock_in_flight_ = false;
  pending_.erase(it);
  if (done) done(ok, std::move(result));
}

void LogCoordination::on_final(std::vector<paxos::Reply>& replies) {
  for (paxos::Reply& reply : replies) {
    const auto peer = forwarded_.find({reply.client, reply.seq});
    if (peer != forwarded_.end()) {
      ForwardMessage m;
      m.type = ForwardMessage::Type::answer;
      m.client = reply.client;
      m.seq = reply.seq;
      m.kind = static_cast<std::uint8_t>(reply.kind);
      m.leader = reply.leader;
      m.payload = std::move(reply.result);
      forward_->send(peer->second.first, m);
      forwarded_.erase(peer);
      continue;
    }
    handle(reply);
  }
}

void LogCoordination::handle(const paxos::Reply& reply) {
  const auto it = pending_.find({reply.client, reply.seq});
  if (it == pending_.end()) return;  // answered already, or timed out
  Pending& p = it->second;
  switch (reply.kind) {
    case paxos::Reply::Kind::applied:
      return finish(it, true, reply.result);
    case paxos::Reply::Kind::too_large:
      return finish(it, false,
                    "ERR the command is too large for the log (at most " +
                        std::to_string(options_.paxos.limits.command_bytes_max) + " bytes)");
    case paxos::Reply::Kind::not_leader:
      ++stats_.redirects;
      [[fallthrough]];
    case paxos::Reply::Kind::busy:
      p.in_flight = false;
      p.retry_at_ms = now_ms() + retry_ms;
      return;
  }
}

void LogCoordination::on_forward_message(std::uint64_t from, std::string_view bytes) {
  if (!is_member(from) || from == options_.self || host_ == nullptr) {
    ++stats_.rejected_messages;
    return;
  }
  ForwardMessage m;
  try {
    m = lattices::from_bytes<ForwardMessage>(bytes);
  } catch (const lattices::DecodeError&) {
    ++stats_.rejected_messages;
    return;
  }
  if (m.type == ForwardMessage::Type::answer) {
    if (m.kind > static_cast<std::uint8_t>(paxos::Reply::Kind::too_large)) {
      ++stats_.rejected_messages;
      return;
    }
    paxos::Reply reply{m.client, m.seq, static_cast<paxos::Reply::Kind>(m.kind),
                       std::move(m.payload), m.leader};
    return handle(reply);
  }
  const std::uint64_t lane = m.client & read_lane;
  if (m.type != ForwardMessage::Type::forward || (m.client >> lane_bits) != from ||
      (lane >= options_.lanes && lane != read_lane && lane != clock_lane)) {
    // A peer forwards its own commands only, on its lanes (as many as this replica's: every
    // replica has the same), so the log's client table holds at most members x (lanes + 2).
    ++stats_.rejected_messages;
    return;
  }
  const Id id{m.client, m.seq};
  if (forwarded_.size() >= options_.forwarded_max && forwarded_.find(id) == forwarded_.end()) {
    ForwardMessage busy;
    busy.type = ForwardMessage::Type::answer;
    busy.client = m.client;
    busy.seq = m.seq;
    busy.kind = static_cast<std::uint8_t>(paxos::Reply::Kind::busy);
    forward_->send(from, busy);
    return;
  }
  ++stats_.served_for_peers;
  forwarded_[id] = {from, now_ms()};
  std::string op = m.read ? std::move(m.payload) : stamped(m.payload);
  host_->apply([&](LinearReplica& r) {
    if (m.read) {
      r.read(id.first, id.second, std::move(op));
    } else {
      r.submit(id.first, id.second, std::move(op));
    }
  });
}

void LogCoordination::tick() {
  const std::uint64_t now = now_ms();
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    if (now >= p.deadline_ms) {
      ++stats_.timeouts;
      finish(it++, false,
             "NOQUORUM no leader with a majority answered within " +
                 std::to_string(options_.timeout_ms) +
                 " ms: linearizable keys need a majority of replicas (the outcome is unknown); "
                 "coordination-free keys are still served");
      continue;
    }
    if ((!p.in_flight && now >= p.retry_at_ms) ||
        (p.in_flight && now - p.sent_at_ms >= resend_ms)) {
      dispatch(it->first, p);
    }
    ++it;
  }
  // Forwarded commands whose reply never came (the replica restarted its log since).
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    it = now - it->second.second > 4 * options_.timeout_ms ? forwarded_.erase(it) : std::next(it);
  }
  // A clock entry when a key's expiry has passed on the leader's clock and not yet on the
  // log's (nothing is written meanwhile): reads then see it gone within clock_ms.
  const LinearReplica& replica = host_->protocol();
  const auto next_expiry = replica.machine().next_expiry_ms();
  if (replica.is_leader() && next_expiry && options_.wall_ms && *next_expiry < options_.wall_ms() &&
      *next_expiry >= replica.machine().now_ms() && !clock_in_flight_ &&
      now - last_clock_ms_ >= options_.clock_ms) {
    last_clock_ms_ = now;
    clock_in_flight_ = true;
    ++stats_.clock_entries;
    LinearOp op;
    op.kind = LinearOp::Kind::clock;
    submit(std::move(op), false, {});
  }
}

}  // namespace calm::apps::kvs
