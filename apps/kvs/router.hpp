#pragma once
/// Router: where each request of a connection runs, by the consistency class of its keys
/// (docs/kvs.md, "Consistency classes").
///
///   - a key matching a `--linearizable` pattern belongs to the Paxos log: a command on it goes
///     to the log (a write) or is a read-index read (read-only), on this replica or forwarded
///     to the leader (`Coordination`), and its reply comes later;
///   - every other key is coordination-free: its command runs here, now, on the CRDT keyspace
///     (`CommandProcessor`), and a command that needs coordination is refused with an error
///     that names the key's class and how to configure it.
///
/// A command's keys must all be of one class, and so must a transaction's. A connection's
/// linearizable requests take effect in its order: those of one turn go as one log entry (or
/// one read), and each entry, WATCH and EXEC is sent once the connection's previous one is
/// answered. MULTI / EXEC /
/// DISCARD / WATCH / UNWATCH run here: a transaction over linearizable keys is one log entry
/// (atomic, and aborted when a WATCHed key changed); one over coordination-free keys runs at
/// EXEC, all at once, on this replica (no other request runs between its commands, and its
/// writes reach the disk and the peers in one batch).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvs/commands.hpp"
#include "kvs/linear.hpp"

namespace calm::apps::kvs {

/// Which keys are linearizable: Redis glob patterns (KEYS's), any of which matches.
class KeyClasses {
 public:
  KeyClasses() = default;
  /// `list`: patterns separated by commas ("lock:*,id:*"); empty: no linearizable key.
  explicit KeyClasses(std::string_view list);
  Consistency of(const std::string& key) const;
  bool any_linearizable() const { return !patterns_.empty(); }
  /// The patterns as given (CONFIG GET linearizable).
  const std::string& text() const { return text_; }

 private:
  std::vector<std::string> patterns_;
  std::string text_;
};

/// The Paxos log, as the router reaches it (the server's: on this replica or through the
/// leader).
class Coordination {
 public:
  virtual ~Coordination() = default;
  /// Runs `op` through the log (`read` false) or as a read-index read (`read` true: a
  /// read-only command, or WATCH's tokens). `done` is called exactly once, later: with the
  /// machine's result (`ok`), or with an error reply's text (no leader within the timeout,
  /// too large, busy...), after which the outcome of a write is unknown.
  virtual void submit(LinearOp op, bool read,
                      std::function<void(bool ok, std::string result)> done) = 0;
};

/// Where a connection's replies go, in the order of its requests.
class Replies {
 public:
  virtual ~Replies() = default;
  /// A reply ready now: append it here.
  virtual std::string& now() = 0;
  /// A place, in order, for a reply that comes later: call the function once with its bytes
  /// (doing nothing when the connection is gone).
  virtual std::function<void(std::string)> later() = 0;
};

class Router {
 public:
  struct Counters {
    std::uint64_t coordinated = 0;        // commands and transactions sent to the log
    std::uint64_t coordination_free = 0;  // run here on the CRDT keyspace
    std::uint64_t refused = 0;            // a class error: coordination on a free key, mixing
    std::uint64_t processed = 0;          // every request (INFO total_commands_processed)
    std::uint64_t error_replies = 0;      // errors replied at once (not the log's replies)
  };
  /// INFO commandstats, one per command by CommandTraits::index: calls run; their time here (a
  /// linearizable command's wait for the log is not counted); calls refused before running
  /// (arity, class); and calls that replied with an error at once.
  struct CommandStat {
    std::uint64_t calls = 0;
    std::uint64_t usec = 0;
    std::uint64_t rejected = 0;
    std::uint64_t failed = 0;
  };
  /// INFO errorstats counts errors by their first word (ERR, WRONGTYPE, ...), as Redis does, for
  /// at most this many words; past them errors count in `error_replies` only.
  static constexpr std::size_t error_kinds_max = 128;

  /// `coordination` null: there are no linearizable keys (`classes` has no pattern).
  Router(CommandProcessor& local, Coordination* coordination, KeyClasses classes);

  /// Runs one request of the connection whose state is `session` (kept alive by the pointer
  /// until a later reply needs it). Linearizable commands wait for `end_turn`.
  void execute(const Request& request, const std::shared_ptr<Session>& session, Replies& out);
  /// After the requests of a turn: the connection's linearizable commands go to the log as one
  /// entry (one read when all are reads), in order behind its earlier log requests.
  void end_turn(const std::shared_ptr<Session>& session);

  const KeyClasses& classes() const { return classes_; }
  const Counters& counters() const { return counters_; }
  const std::vector<CommandStat>& command_stats() const { return command_stats_; }
  const std::map<std::string, std::uint64_t>& error_stats() const { return error_stats_; }
  /// CONFIG RESETSTAT: commandstats, errorstats, and the requests and errors counted.
  void reset_stats() {
    for (CommandStat& stat : command_stats_) stat = {};
    error_stats_.clear();
    counters_.processed = counters_.error_replies = 0;
  }

  /// Bounds of one transaction's queue (Redis has none but the client's buffer).
  static constexpr std::size_t queued_commands_max = transaction_commands_max;
  static constexpr std::size_t queued_bytes_max = 8u << 20;
  /// A turn's group of linearizable commands is sent early past these (one log entry each).
  static constexpr std::size_t group_commands_max = 1024;
  static constexpr std::size_t group_bytes_max = 256u << 10;

 private:
  /// The class of the request's keys; nothing (after an error reply) when they mix.
  std::optional<std::optional<Consistency>> class_of(const Request& request,
                                                     const CommandTraits& traits, Replies& out);
  void transaction(const Request& request, const std::string& name,
                   const std::shared_ptr<Session>& session, Replies& out);
  void queue(const Request& request, const CommandTraits& traits, Session& session, Replies& out);
  void exec(const std::shared_ptr<Session>& session, Replies& out);
  void watch(const Request& request, const std::shared_ptr<Session>& session, Replies& out);
  /// WATCH's answer: the tokens into its generation (unless it ended), and its reply.
  static void watched(Session& s, const Request& request, std::uint64_t generation, bool ok,
                      std::string result, const std::function<void(std::string)>& reply);
  void flush_group(const std::shared_ptr<Session>& session);
  /// A group's answer (`result`: the log's replies, one per command, or an error's text when
  /// not `ok`), each run's replies together.
  static void answer_runs(std::vector<Session::ReplyRun>& runs, std::size_t commands, bool ok,
                          std::string result);
  using Step = std::function<void(std::function<void()> done)>;
  /// Runs `step` once the connection's earlier log requests are answered; the step calls
  /// `done` when its own is.
  void in_order(const std::shared_ptr<Session>& session, Step step);
  void next_step(const std::shared_ptr<Session>& session);
  /// The error for a command that needs coordination on a coordination-free key.
  std::string coordination_refused(const std::string& command, const std::string& key) const;

  CommandProcessor& local_;
  Coordination* coordination_;
  KeyClasses classes_;
  /// execute()'s work, on replies that note where the first one written at once begins.
  void route(const Request& request, const std::shared_ptr<Session>& session, Replies& out);
  /// Runs a request here, timing it and counting an error reply as its failure. `chained`:
  /// the request came right after a local one of the same turn, whose end starts its time.
  void run_local(const Request& request, const CommandTraits& traits, Session& session,
                 std::string& out, bool chained);
  /// Counts the error reply that starts at `at` in `out`, if the reply there is one.
  void count_error(const std::string& out, std::size_t at);

  /// Commandstats' clock: within a run of local commands of one turn, a command's time runs
  /// from the end of the one before (so it includes reading and routing it), which reads the
  /// clock once per command instead of twice (2% of a pipelined LPUSH's CPU).
  bool local_chain_ = false;
  std::chrono::steady_clock::time_point local_end_{};

  Counters counters_;
  std::vector<CommandStat> command_stats_ =
      std::vector<CommandStat>(CommandProcessor::command_names().size());
  std::map<std::string, std::uint64_t> error_stats_;
};

}  // namespace calm::apps::kvs
