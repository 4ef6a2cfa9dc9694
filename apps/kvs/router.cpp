#include "kvs/router.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "lattices/serialize.hpp"

namespace calm::apps::kvs {
namespace {

/// A command's name as the router compares it (longer than any it looks for) and as its
/// errors quote it: a client's word, so cut first.
std::string name_lower(std::string_view s) { return lower(s.substr(0, 16)); }
std::string name_upper(std::string_view s) { return upper(s.substr(0, 32)); }
/// A key as an error reply quotes it: at most 128 bytes, on one line.
std::string quoted(const std::string& key) {
  std::string out = key.substr(0, 128);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return "'" + out + "'";
}
const char* class_name(Consistency c) {
  return c == Consistency::linearizable ? "linearizable" : "coordination-free";
}

}  // namespace

KeyClasses::KeyClasses(std::string_view list) : text_(list) {
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) patterns_.emplace_back(list.substr(start, comma - start));
    start = comma + 1;
  }
}

Consistency KeyClasses::of(const std::string& key) const {
  for (const std::string& pattern : patterns_) {
    if (glob_match(pattern, key)) return Consistency::linearizable;
  }
  return Consistency::coordination_free;
}

Router::Router(CommandProcessor& local, Coordination* coordination, KeyClasses classes)
    : local_(local), coordination_(coordination), classes_(std::move(classes)) {
  CALM_ASSERT(coordination_ != nullptr || !classes_.any_linearizable(),
              "linearizable keys need the log");
}

std::string Router::coordination_refused(const std::string& command, const std::string& key) const {
  return "ERR " + command + " needs coordination, but key " + quoted(key) +
         " is coordination-free: start calm-kvs with --linearizable PATTERN matching it" +
         (classes_.text().empty() ? std::string(" (no key is linearizable now)")
                                  : " (now: '" + classes_.text() + "')");
}

std::optional<std::optional<Consistency>> Router::class_of(const Request& request,
                                                           const CommandTraits& traits,
                                                           Replies& out) {
  std::optional<Consistency> found;
  const std::string* first = nullptr;
  for (const std::size_t i : traits.keys) {
    const Consistency c = classes_.of(request[i]);
    if (!found) {
      found = c;
      first = &request[i];
    } else if (*found != c) {
      ++counters_.refused;
      ReplyWriter(out.now()).error(
          "ERR a command's keys must all be of one consistency class: key " + quoted(*first) +
          " is " + class_name(*found) + ", key " + quoted(request[i]) + " is " + class_name(c));
      return std::nullopt;
    }
  }
  return found;
}

namespace {

/// Forwards to a connection's replies and remembers where the first reply written at once
/// begins, so that an error reply is counted whichever path wrote it.
class FirstReplyNoted final : public Replies {
 public:
  explicit FirstReplyNoted(Replies& out) : out_(out) {}
  std::string& now() override {
    std::string& text = out_.now();
    if (first_ == nullptr) {
      first_ = &text;
      at_ = text.size();
    }
    return text;
  }
  std::function<void(std::string)> later() override { return out_.later(); }
  const std::string* first() const { return first_; }
  std::size_t at() const { return at_; }

 private:
  Replies& out_;
  const std::string* first_ = nullptr;
  std::size_t at_ = 0;
};

}  // namespace

void Router::execute(const Request& request, const std::shared_ptr<Session>& session,
                     Replies& out) {
  if (request.empty()) return;
  ++counters_.processed;
  FirstReplyNoted noted(out);
  route(request, session, noted);
  if (noted.first() != nullptr) count_error(*noted.first(), noted.at());
}

void Router::route(const Request& request, const std::shared_ptr<Session>& session, Replies& out) {
  Session& s = *session;
  // Whether nothing replied since the group's last command (every path below but the
  // grouping one replies, or sends the group off).
  const bool run_open = std::exchange(s.group_run_open, false);
  const bool chained = std::exchange(local_chain_, false);
  const std::string name = name_lower(request[0]);
  const auto refuse_stranger = [&] {
    if (s.in_multi) s.multi_failed = true;
    ReplyWriter(out.now()).error("NOAUTH Authentication required.");
  };
  if (name == "calm.class") {  // which class a key is in
    if (!s.authenticated) return refuse_stranger();
    if (request.size() != 2) {
      return ReplyWriter(out.now()).error("ERR wrong number of arguments for 'calm.class' command");
    }
    return ReplyWriter(out.now()).bulk(class_name(classes_.of(request[1])));
  }
  const CommandTraits traits = CommandProcessor::describe(request);
  if (!traits.known || !traits.arity_ok) {
    if (s.in_multi) s.multi_failed = true;  // as Redis: EXEC will discard the transaction
    if (traits.known) ++command_stats_[traits.index].rejected;
    return local_.execute(request, s, out.now());
  }
  s.last_command = name;  // a known command's name: short, and nothing a client chose
  // As Redis: an unknown command or a wrong arity is told first, then a connection that has
  // not authenticated runs only AUTH, HELLO and QUIT.
  if (!s.authenticated && !traits.stranger_ok) {
    ++command_stats_[traits.index].rejected;
    return refuse_stranger();
  }
  if (s.subscriptions > 0 && s.protocol == Protocol::resp2 && !traits.subscribed_ok) {
    ++command_stats_[traits.index].rejected;
    if (s.in_multi) s.multi_failed = true;
    return ReplyWriter(out.now()).error(
        "ERR Can't execute '" + name +  // a known command's name: short, one line
        "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
        "this context");
  }
  if (traits.transaction || (s.in_multi && name != "quit" && name != "reset")) {
    flush_group(session);  // what came before goes to the log first
    if (traits.transaction) {
      ++command_stats_[traits.index].calls;
      return transaction(request, name, session, out);
    }
    return queue(request, traits, s, out);
  }
  const auto cls = class_of(request, traits, out);
  if (!cls) return;
  if (*cls != Consistency::linearizable) {
    if (traits.coordinated && !traits.keys.empty()) {
      ++counters_.refused;
      ++command_stats_[traits.index].rejected;
      return ReplyWriter(out.now()).error(coordination_refused(name_upper(request[0]), request[1]));
    }
    ++counters_.coordination_free;
    return run_local(request, traits, s, out.now(), chained);
  }
  ++counters_.coordinated;
  ++command_stats_[traits.index].calls;
  if (!s.group.empty() && s.group_protocol != s.protocol) flush_group(session);
  if (s.group.empty()) s.group_protocol = s.protocol;
  s.group.push_back(request);
  if (run_open && !s.group_replies.empty()) {
    ++s.group_replies.back().commands;
  } else {
    s.group_replies.push_back({out.later(), 1});
  }
  s.group_run_open = true;
  s.group_writes = s.group_writes || !traits.read_only;
  for (const std::string& word : request) s.group_bytes += word.size() + 16;
  if (s.group.size() >= group_commands_max || s.group_bytes >= group_bytes_max) {
    flush_group(session);
  }
}

void Router::end_turn(const std::shared_ptr<Session>& session) {
  local_chain_ = false;
  flush_group(session);
}

void Router::run_local(const Request& request, const CommandTraits& traits, Session& session,
                       std::string& out, bool chained) {
  const std::size_t at = out.size();
  const auto start = chained ? local_end_ : std::chrono::steady_clock::now();
  local_.execute(request, session, out);
  local_end_ = std::chrono::steady_clock::now();
  local_chain_ = true;
  CommandStat& stat = command_stats_[traits.index];
  ++stat.calls;
  stat.usec += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(local_end_ - start).count());
  // An error reply counts here as the command's failure; in errorstats once, by execute()
  // (or, inside EXEC's array, by exec()).
  if (at < out.size() && out[at] == '-') ++stat.failed;
}

void Router::count_error(const std::string& out, std::size_t at) {
  if (at >= out.size() || out[at] != '-') return;
  ++counters_.error_replies;
  // The error's first word, as Redis's errorstats names it.
  const std::size_t end = out.find_first_of(" \r", at + 1);
  std::string kind = out.substr(at + 1, std::min<std::size_t>(end, out.size()) - at - 1);
  if (kind.size() > 32) return;  // not a word any error of calm-kvs's starts with
  const auto it = error_stats_.find(kind);
  if (it != error_stats_.end()) {
    ++it->second;
  } else if (error_stats_.size() < error_kinds_max) {
    error_stats_.emplace(std::move(kind), 1);
  }
}

void Router::flush_group(const std::shared_ptr<Session>& session) {
  Session& s = *session;
  if (s.group.empty()) return;
  LinearOp op;
  op.kind = s.group.size() == 1 ? LinearOp::Kind::command : LinearOp::Kind::pipeline;
  op.protocol = s.group_protocol;
  op.commands = std::exchange(s.group, {});
  auto replies = std::exchange(s.group_replies, {});
  s.group_run_open = false;
  const std::size_t commands = op.commands.size();
  const bool read = !s.group_writes;
  s.group_writes = false;
  s.group_bytes = 0;
  in_order(session, [this, op = std::move(op), replies = std::move(replies), read,
                     commands](std::function<void()> done) mutable {
    coordination_->submit(std::move(op), read,
                          [replies = std::move(replies), commands, done = std::move(done)](
                              bool ok, std::string result) mutable {
                            answer_runs(replies, commands, ok, std::move(result));
                            done();
                          });
  });
}

void Router::answer_runs(std::vector<Session::ReplyRun>& runs, std::size_t commands, bool ok,
                         std::string result) {
  std::vector<std::string> each;
  if (ok && commands == 1) {
    each.push_back(std::move(result));
  } else if (ok) {
    try {
      each = lattices::from_bytes<std::vector<std::string>>(result);
    } catch (const lattices::DecodeError&) {
      ok = false;
      result = "ERR calm-kvs: the log's replies did not decode";
    }
    if (ok && each.size() != commands) {
      ok = false;
      result = "ERR calm-kvs: the log answered a different number of replies";
    }
  }
  std::string error;
  if (!ok) ReplyWriter(error).error(result);
  std::size_t next = 0;
  for (Session::ReplyRun& run : runs) {
    std::string bytes;
    if (ok && run.commands == 1) {
      bytes = std::move(each[next++]);
    } else {
      for (std::size_t i = 0; i < run.commands; ++i, ++next) bytes += ok ? each[next] : error;
    }
    run.reply(std::move(bytes));
  }
  CALM_ASSERT(next == commands, "a group's runs hold its commands");
}

void Router::in_order(const std::shared_ptr<Session>& session, Step step) {
  ++session->log_requests;
  session->log_steps.push_back(std::move(step));
  if (!session->log_busy) next_step(session);
}

void Router::next_step(const std::shared_ptr<Session>& session) {
  Session& s = *session;
  // A trampoline: a step answered at once (an immediate refusal) asks for the next one from
  // inside the loop, which goes on, rather than recursing once per step.
  if (s.log_stepping) {
    s.log_again = true;
    return;
  }
  s.log_stepping = true;
  do {
    s.log_again = false;
    if (s.log_steps.empty()) {
      s.log_busy = false;
      break;
    }
    s.log_busy = true;
    Step step = std::move(s.log_steps.front());
    s.log_steps.pop_front();
    step([this, session] {
      session->log_busy = false;
      next_step(session);
    });
  } while (s.log_again);
  s.log_stepping = false;
}

void Router::queue(const Request& request, const CommandTraits& traits, Session& s, Replies& out) {
  ReplyWriter reply(out.now());
  const auto cls = class_of(request, traits, out);
  if (!cls) {
    s.multi_failed = true;
    return;
  }
  if (*cls && s.multi_class && *s.multi_class != **cls) {
    ++counters_.refused;
    s.multi_failed = true;
    return reply.error(
        "ERR not queued: a transaction's keys must all be of one consistency "
        "class, and key " +
        quoted(request[traits.keys.front()]) + " is " + class_name(**cls) +
        " while the transaction's are " + class_name(*s.multi_class));
  }
  if (traits.coordinated && *cls == Consistency::coordination_free) {
    ++counters_.refused;
    s.multi_failed = true;
    return reply.error(coordination_refused(name_upper(request[0]), request[1]));
  }
  if (traits.keyspace_wide && s.multi_class == Consistency::linearizable) {
    ++counters_.refused;
    s.multi_failed = true;
    return reply.error("ERR not queued: " + name_upper(request[0]) +
                       " reads the coordination-free keyspace, and the transaction's keys are "
                       "linearizable");
  }
  if (traits.connection_scoped && s.multi_class == Consistency::linearizable) {
    // The log's machine has no connections: a PUBLISH there would reach nobody, and an
    // AUTH's password would be written into the log.
    ++counters_.refused;
    s.multi_failed = true;
    return reply.error("ERR not queued: " + name_upper(request[0]) +
                       " runs on this replica's connections, and the transaction's keys are "
                       "linearizable");
  }
  std::size_t bytes = 0;
  for (const std::string& word : request) bytes += word.size() + 16;
  if (s.queued.size() >= queued_commands_max || s.queued_bytes + bytes > queued_bytes_max) {
    s.multi_failed = true;
    return reply.error("ERR not queued: a transaction holds at most " +
                       std::to_string(queued_commands_max) + " commands and " +
                       std::to_string(queued_bytes_max) + " bytes");
  }
  if (*cls) s.multi_class = **cls;
  if (traits.keyspace_wide || traits.connection_scoped) {
    s.multi_class = Consistency::coordination_free;
  }
  s.queued.push_back(request);
  s.queued_bytes += bytes;
  reply.simple("QUEUED");
}

namespace {

/// Ends the session's WATCH generation: its tokens go, and answers still coming to it are
/// dropped.
void end_watch_generation(Session& s) {
  s.watches.erase(s.watch_generation);
  ++s.watch_generation;
}

}  // namespace

void Router::transaction(const Request& request, const std::string& name,
                         const std::shared_ptr<Session>& session, Replies& out) {
  Session& s = *session;
  ReplyWriter reply(out.now());
  if (name == "multi") {
    if (s.in_multi) return reply.error("ERR MULTI calls can not be nested");
    s.in_multi = true;
    return reply.simple("OK");
  }
  if (name == "discard") {
    if (!s.in_multi) return reply.error("ERR DISCARD without MULTI");
    s.in_multi = false;
    s.multi_failed = false;
    s.queued.clear();
    s.queued_bytes = 0;
    s.multi_class.reset();
    end_watch_generation(s);  // DISCARD unwatches, as in Redis
    return reply.simple("OK");
  }
  if (name == "reset") {  // as DISCARD, without MULTI too; the processor does the rest
    s.in_multi = false;
    s.multi_failed = false;
    s.queued.clear();
    s.queued_bytes = 0;
    s.multi_class.reset();
    end_watch_generation(s);
    return local_.execute(request, s, out.now());
  }
  if (name == "unwatch") {
    // Inside MULTI it is queued in Redis and does nothing then; here it is answered at once.
    if (s.in_multi) return reply.simple("QUEUED");
    end_watch_generation(s);
    return reply.simple("OK");
  }
  if (name == "watch") {
    if (s.in_multi) return reply.error("ERR WATCH inside MULTI is not allowed");
    return watch(request, session, out);
  }
  // EXEC
  if (!s.in_multi) return reply.error("ERR EXEC without MULTI");
  exec(session, out);
}

void Router::watch(const Request& request, const std::shared_ptr<Session>& session, Replies& out) {
  for (std::size_t i = 1; i < request.size(); ++i) {
    if (classes_.of(request[i]) != Consistency::linearizable) {
      ++counters_.refused;
      return ReplyWriter(out.now()).error(coordination_refused("WATCH", request[i]));
    }
  }
  ++counters_.coordinated;
  LinearOp op;
  op.kind = LinearOp::Kind::watch;
  op.commands.push_back(request);
  const std::uint64_t generation = session->watch_generation;
  session->watches[generation];  // EXEC knows the transaction watches something
  auto reply = out.later();
  in_order(session, [this, session, request, generation, op = std::move(op),
                     reply = std::move(reply)](std::function<void()> done) mutable {
    coordination_->submit(std::move(op), true,
                          [session, request, generation, reply = std::move(reply),
                           done = std::move(done)](bool ok, std::string result) {
                            watched(*session, request, generation, ok, std::move(result), reply);
                            done();
                          });
  });
}

void Router::watched(Session& s, const Request& request, std::uint64_t generation, bool ok,
                     std::string result, const std::function<void(std::string)>& reply) {
  std::vector<std::uint64_t> tokens;
  if (ok) {
    try {
      tokens = lattices::from_bytes<std::vector<std::uint64_t>>(result);
    } catch (const lattices::DecodeError&) {
      ok = false;
      result = "ERR calm-kvs: WATCH's answer did not decode";
    }
  }
  if (ok && tokens.size() != request.size() - 1) {
    ok = false;
    result = "ERR calm-kvs: WATCH's answer is short";
  }
  std::string bytes;
  if (ok) {
    ReplyWriter(bytes).simple("OK");
  } else {
    ReplyWriter(bytes).error(result);
  }
  reply(std::move(bytes));
  const auto it = s.watches.find(generation);
  if (it == s.watches.end()) return;  // UNWATCH or DISCARD came first
  Session::Watches& w = it->second;
  if (!ok) {
    w.failed = true;  // EXEC aborts: safe, as if the key had changed
    return;
  }
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& key = request[i + 1];
    // A key watched twice keeps its first token, as in Redis.
    const bool known = std::any_of(w.tokens.begin(), w.tokens.end(),
                                   [&](const auto& t) { return t.first == key; });
    if (!known) w.tokens.emplace_back(key, tokens[i]);
  }
}

void Router::exec(const std::shared_ptr<Session>& session, Replies& out) {
  Session& s = *session;
  std::vector<Request> queued = std::exchange(s.queued, {});
  const bool failed = s.multi_failed;
  const std::optional<Consistency> cls = s.multi_class;
  s.in_multi = false;
  s.multi_failed = false;
  s.queued_bytes = 0;
  s.multi_class.reset();
  // EXEC ends the generation: a WATCH after it is the next transaction's.
  const std::uint64_t generation = s.watch_generation++;
  const bool watching = s.watches.count(generation) != 0;
  if (failed) {
    s.watches.erase(generation);
    return ReplyWriter(out.now()).error(
        "EXECABORT Transaction discarded because of previous errors.");
  }
  if (cls == Consistency::coordination_free && watching) {
    ++counters_.refused;
    s.watches.erase(generation);
    return ReplyWriter(out.now()).error(
        "EXECABORT Transaction discarded: it WATCHes linearizable keys and writes "
        "coordination-free ones (a transaction's keys must all be of one class)");
  }
  if (cls != Consistency::linearizable && !watching) {
    // Coordination-free (or keyless): every command now, nothing else between them.
    ++counters_.coordination_free;
    std::string& reply = out.now();
    const std::size_t from = reply.size();
    ReplyWriter(reply).array_header(queued.size());
    std::string scratch;  // past the bound, replies go here and are dropped
    bool chained = false;
    for (const Request& request : queued) {
      // Every command runs (the transaction is all or nothing) whatever its reply's size.
      const bool over = reply.size() - from > reply_bytes_max;
      std::string& to = over ? scratch : reply;
      // Each queued command counts as Redis counts it: a call, and its error if any.
      const std::size_t at = to.size();
      run_local(request, CommandProcessor::describe(request), s, to, chained);
      chained = true;
      count_error(to, at);
      scratch.clear();
    }
    if (reply.size() - from > reply_bytes_max) {
      reply.resize(from);
      ReplyWriter(reply).error("ERR calm-kvs: the transaction ran, but its replies exceed " +
                               std::to_string(reply_bytes_max) +
                               " bytes: read large values on their own");
    }
    return;
  }
  ++counters_.coordinated;
  auto reply = out.later();
  // In order: the connection's WATCHes before it are answered by the time it runs.
  in_order(session, [this, session, generation, queued = std::move(queued),
                     protocol = s.protocol,  // EXEC's: a HELLO behind it may run first
                     reply = std::move(reply)](std::function<void()> done) mutable {
    LinearOp op;
    op.kind = LinearOp::Kind::transaction;
    op.protocol = protocol;
    op.commands = std::move(queued);
    const auto it = session->watches.find(generation);
    if (it != session->watches.end()) {
      const bool watch_failed = it->second.failed;
      op.watched = std::move(it->second.tokens);
      session->watches.erase(it);
      if (watch_failed) {
        std::string aborted;
        ReplyWriter(aborted, op.protocol).null_array();
        reply(std::move(aborted));
        return done();
      }
    }
    coordination_->submit(
        std::move(op), false,
        [reply = std::move(reply), done = std::move(done)](bool ok, std::string result) {
          if (ok) {
            reply(std::move(result));
          } else {
            std::string error;
            ReplyWriter(error).error(result);
            reply(std::move(error));
          }
          done();
        });
  });
}

}  // namespace calm::apps::kvs
