#include "kvs/linear.hpp"

#include <algorithm>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <stdexcept>

#include "lattices/serialize.hpp"

namespace calm::apps::kvs {

namespace {
constexpr std::size_t stamp_bytes = 8;
}  // namespace

std::string encode(const LinearOp& op) {
  std::string out(stamp_bytes, '\0');
  stamp(out, op.wall_ms);
  out += lattices::to_bytes(op);
  return out;
}

bool stamp(std::string& encoded, std::uint64_t wall_ms) {
  if (encoded.size() < stamp_bytes) return false;
  for (std::size_t i = 0; i < stamp_bytes; ++i) {
    encoded[i] = static_cast<char>((wall_ms >> (8 * i)) & 0xff);
  }
  return true;
}

LinearOp decode_linear_op(std::string_view bytes) {
  if (bytes.size() < stamp_bytes) throw lattices::DecodeError("calm-kvs: an op without its stamp");
  LinearOp op = lattices::from_bytes<LinearOp>(bytes.substr(stamp_bytes));
  for (std::size_t i = 0; i < stamp_bytes; ++i) {
    op.wall_ms |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  if (op.kind > LinearOp::Kind::pipeline) throw lattices::DecodeError("calm-kvs: unknown op kind");
  if (op.commands.size() > transaction_commands_max) {
    throw lattices::DecodeError("calm-kvs: a transaction of too many commands");
  }
  return op;
}

std::uint64_t watch_token(std::uint64_t version, bool present) {
  return (version << 1) | (present ? 1 : 0);
}

// ---- LinearKeyspace ----

bool LinearKeyspace::expired(const std::string& key) const {
  const auto it = expiries_.find(key);
  // Strictly after, as Redis: stamps are whole ms, so an expiry equal to the clock may still lie
  // up to 1 ms before the holder's s + T (a lock would end early).
  return it != expiries_.end() && it->second < now_ms_;
}

const KeyValue* LinearKeyspace::find(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end() || expired(key)) return nullptr;
  return &it->second;
}

void LinearKeyspace::write(const std::string& key,
                           const std::function<KeyValue(KeyValue&)>& mutate) {
  if (expired(key)) erase(key);  // gone before the write sees it, as Redis expires keys
  KeyValue& v = values_[key];
  mutate(v);  // the delta is not needed: nothing merges it
  touch(key);
  if (type_of(v) == Type::none) emptied_.push_back(key);
}

void LinearKeyspace::for_each(const std::function<void(const std::string&, const KeyValue&)>& f) {
  for (const auto& [key, value] : values_) {
    if (!expired(key) && type_of(value) != Type::none) f(key, value);
  }
}

std::optional<std::uint64_t> LinearKeyspace::expiry_ms(const std::string& key) const {
  if (find(key) == nullptr) return std::nullopt;
  const auto it = expiries_.find(key);
  if (it == expiries_.end()) return std::nullopt;
  return it->second;
}

void LinearKeyspace::set_expiry(const std::string& key, std::optional<std::uint64_t> at_ms) {
  const auto it = expiries_.find(key);
  if (!at_ms && it == expiries_.end()) return;  // no expiry to clear: nothing changes
  if (it != expiries_.end()) {
    by_expiry_.erase({it->second, key});
    expiries_.erase(it);
  }
  if (at_ms) {
    expiries_[key] = *at_ms;
    by_expiry_.insert({*at_ms, key});
  }
  touch(key);
}

void LinearKeyspace::erase(const std::string& key) {
  values_.erase(key);
  versions_.erase(key);
  last_erase_ = op_index_;
  const auto it = expiries_.find(key);
  if (it != expiries_.end()) {
    by_expiry_.erase({it->second, key});
    expiries_.erase(it);
  }
}

void LinearKeyspace::collect() {
  for (const std::string& key : emptied_) {
    const auto it = values_.find(key);
    if (it != values_.end() && type_of(it->second) == Type::none) erase(key);
  }
  emptied_.clear();
  // Expired keys read as gone already; their memory goes here, a few per op, so that an op's
  // work stays bounded.
  constexpr std::size_t expired_per_op_max = 16;
  for (std::size_t freed = 0;
       freed < expired_per_op_max && !by_expiry_.empty() && by_expiry_.begin()->first < now_ms_;
       ++freed) {
    const std::string key = by_expiry_.begin()->second;
    erase(key);
  }
}

std::uint64_t LinearKeyspace::token(const std::string& key) const {
  if (find(key) == nullptr) return watch_token(last_erase_, false);
  const auto it = versions_.find(key);
  return watch_token(it == versions_.end() ? 0 : it->second, true);
}

LinearKeyspace::State LinearKeyspace::take_state() const {
  return State{values_, expiries_, versions_, last_erase_};
}

void LinearKeyspace::replace(State state) {
  values_ = std::move(state.values);
  expiries_ = std::move(state.expiries);
  versions_ = std::move(state.versions);
  last_erase_ = state.last_erase;
  by_expiry_.clear();
  for (const auto& [key, at] : expiries_) by_expiry_.insert({at, key});
  emptied_.clear();
}

// ---- LinearMachine ----

namespace {

/// The writer id of every linearizable value: one writer, the log.
constexpr ReplicaId log_writer = 1;

struct SnapshotData {
  LinearKeyspace::State keyspace;
  std::uint64_t now_ms = 0;
  std::uint64_t ops = 0;
  std::uint64_t clock_wall_ms = 0;
  std::uint32_t clock_logical = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(keyspace, now_ms, ops, clock_wall_ms, clock_logical);
  }
};

std::string error_reply(const std::string& text) { return "-" + text + "\r\n"; }

/// A reply past the bound of one entry's replies is an error instead (alike everywhere).
std::string bounded(std::string reply, std::size_t room) {
  if (reply.size() <= room) return reply;
  return error_reply("ERR calm-kvs: the reply would be " + std::to_string(reply.size()) +
                     " bytes, more than a log entry's replies may hold (" +
                     std::to_string(entry_reply_bytes_max) + ")");
}

/// Runs a pipeline's commands with `run`: their replies, each bounded so that together they
/// stay within the entry's bound, as one encoded vector<string>.
template <class Run>
std::string run_pipeline(const std::vector<Request>& commands, Run run) {
  std::vector<std::string> replies;
  replies.reserve(commands.size());
  std::size_t used = 0;
  for (const Request& request : commands) {
    constexpr std::size_t error_room = 256;
    std::string reply = bounded(run(request), used + error_room < entry_reply_bytes_max
                                                  ? entry_reply_bytes_max - used - error_room
                                                  : 0);
    used += reply.size();
    replies.push_back(std::move(reply));
  }
  return lattices::to_bytes(replies);
}

}  // namespace

struct LinearMachine::Impl {
  explicit Impl(WriteLimits limits)
      : processor(keyspace, log_writer, facts(), limits, Consistency::linearizable) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ServerFacts facts() {
    ServerFacts f;
    f.wall_ms = [this] { return now_ms; };
    return f;
  }

  std::string run(const Request& request, Protocol protocol) {
    std::string out;
    Session session;  // fresh: the log's commands keep no connection state but the protocol
    session.protocol = protocol;
    try {
      processor.execute(request, session, out);
    } catch (const std::overflow_error&) {
      // The hybrid clock at its very end (a log entry's wall clock at UINT64_MAX): every
      // replica gets here alike, so an error reply keeps them the same.
      out = error_reply("ERR calm-kvs: the log's clock cannot advance");
    }
    keyspace.collect();
    return out;
  }

  LinearKeyspace keyspace;
  std::uint64_t now_ms = 0;
  std::uint64_t ops = 0;
  CommandProcessor processor;
};

LinearMachine::LinearMachine(WriteLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
LinearMachine::LinearMachine(LinearMachine&&) noexcept = default;
LinearMachine& LinearMachine::operator=(LinearMachine&&) noexcept = default;
LinearMachine::~LinearMachine() = default;

std::string LinearMachine::apply(const std::string& bytes) {
  Impl& m = *impl_;
  ++m.ops;
  LinearOp op;
  try {
    op = decode_linear_op(bytes);
  } catch (const lattices::DecodeError& e) {
    return error_reply(std::string("ERR calm-kvs: a log entry that does not decode: ") + e.what());
  }
  m.now_ms = std::max(m.now_ms, op.wall_ms);  // the log's clock never goes back
  m.keyspace.begin(m.now_ms, m.ops);
  m.keyspace.collect();
  switch (op.kind) {
    case LinearOp::Kind::command:
      if (op.commands.size() != 1) return error_reply("ERR calm-kvs: a command op of one command");
      return bounded(m.run(op.commands.front(), op.protocol), entry_reply_bytes_max);
    case LinearOp::Kind::pipeline:
      return run_pipeline(op.commands,
                          [&m, &op](const Request& r) { return m.run(r, op.protocol); });
    case LinearOp::Kind::transaction: {
      for (const auto& [key, token] : op.watched) {
        if (m.keyspace.token(key) != token) {  // a watched key changed
          std::string aborted;
          ReplyWriter(aborted, op.protocol).null_array();
          return aborted;
        }
      }
      std::string out = "*" + std::to_string(op.commands.size()) + "\r\n";
      bool over = false;
      for (const Request& request : op.commands) {
        // Every command runs: the entry is atomic.
        const std::string reply = m.run(request, op.protocol);
        over = over || out.size() + reply.size() > entry_reply_bytes_max;
        if (!over) out += reply;
      }
      if (over) {
        return error_reply("ERR calm-kvs: the transaction ran, but its replies exceed " +
                           std::to_string(entry_reply_bytes_max) +
                           " bytes (one log entry's bound): read large values on their own");
      }
      return out;
    }
    case LinearOp::Kind::clock:
      return "+OK\r\n";
    case LinearOp::Kind::watch:
      break;
  }
  return error_reply("ERR calm-kvs: WATCH is a read, not a log entry");
}

std::string LinearMachine::query(const std::string& bytes) const {
  Impl& m = *impl_;  // a read changes nothing: only read-only commands run here
  LinearOp op;
  try {
    op = decode_linear_op(bytes);
  } catch (const lattices::DecodeError& e) {
    return error_reply(std::string("ERR calm-kvs: a read that does not decode: ") + e.what());
  }
  const auto read = [&m, &op](const Request& request) {
    if (!CommandProcessor::describe(request).read_only) {
      return error_reply("ERR calm-kvs: only a read-only command is a read");
    }
    std::string out;
    Session scratch;
    scratch.protocol = op.protocol;
    m.processor.execute(request, scratch, out);
    return out;
  };
  if (op.kind == LinearOp::Kind::pipeline) return run_pipeline(op.commands, read);
  if (op.commands.size() != 1) return error_reply("ERR calm-kvs: a read of one command");
  const Request& request = op.commands.front();
  if (op.kind == LinearOp::Kind::watch) {
    std::vector<std::uint64_t> tokens;
    for (std::size_t i = 1; i < request.size(); ++i) tokens.push_back(m.keyspace.token(request[i]));
    return lattices::to_bytes(tokens);
  }
  if (op.kind != LinearOp::Kind::command) {
    return error_reply("ERR calm-kvs: only a read-only command is a read");
  }
  return bounded(read(request), entry_reply_bytes_max);
}

std::string LinearMachine::snapshot() const {
  const Impl& m = *impl_;
  SnapshotData data;
  data.keyspace = m.keyspace.take_state();
  data.now_ms = m.now_ms;
  data.ops = m.ops;
  data.clock_wall_ms = m.processor.clock().wall_ms;
  data.clock_logical = m.processor.clock().logical;
  return lattices::to_bytes(data);
}

void LinearMachine::restore(std::string_view bytes) {
  auto data = lattices::from_bytes<SnapshotData>(bytes);  // throws, and nothing changed
  if (data.clock_wall_ms == UINT64_MAX && data.clock_logical == UINT32_MAX) {
    // Its clock has no successor: the first write after it would throw.
    throw lattices::DecodeError("calm-kvs: a snapshot whose clock cannot advance");
  }
  auto fresh = std::make_unique<Impl>(impl_->processor.limits());
  fresh->now_ms = data.now_ms;
  fresh->ops = data.ops;
  fresh->keyspace.replace(std::move(data.keyspace));
  fresh->keyspace.begin(data.now_ms, data.ops);
  fresh->processor.observe({data.clock_wall_ms, data.clock_logical});
  impl_ = std::move(fresh);
}

std::uint64_t LinearMachine::now_ms() const { return impl_->now_ms; }
std::uint64_t LinearMachine::ops_applied() const { return impl_->ops; }
bool LinearMachine::has_expiring_keys() const { return impl_->keyspace.has_expiring_keys(); }
std::optional<std::uint64_t> LinearMachine::next_expiry_ms() const {
  return impl_->keyspace.next_expiry_ms();
}
std::size_t LinearMachine::keys() const { return impl_->keyspace.size(); }

}  // namespace calm::apps::kvs
