#pragma once
/// LogCoordination: calm-kvs's linearizable keys on the replicated Paxos log, as the router
/// reaches them (router.hpp's `Coordination`).
///
/// Every replica runs a Multi-Paxos replica (protocols/paxos/replica.hpp) of `LinearMachine`
/// on the protocol host, on its own channel of the peer connections (net::Channels), and a
/// forwarding node on another. A command submitted here goes to the local replica when it
/// leads, else to the leader it last heard of (Forward), which submits it to its own replica
/// and sends the reply back (Answer). A replica that is told "not leader" tries the leader
/// named, or again a little later, until `timeout_ms` has passed since the submit: then the
/// command fails with "-NOQUORUM", and a write's outcome is unknown (it may still be chosen).
///
/// Exactly once: each command in flight holds a lane, a client id of the log's client table,
/// with a sequence number that grows across restarts (`epoch`, kept on disk, in its high 24
/// bits): a retry carries the same (client, seq) and is applied at most once; a command whose
/// lane moved on (it timed out, and the lane took a later command) is never applied after it.
///
/// Time: the leader stamps each command with its wall clock when it submits it to its replica
/// (LinearOp::wall_ms), so expiry is decided by the leaders' clocks, in log order. When a
/// key's expiry has passed on the leader's clock but not on the log's, the leader appends a
/// clock entry (at most one each `clock_ms`), so that a key that expired is gone for reads
/// within that long even when nothing is written.
///
/// Bounds: at most `lanes` commands of this replica in flight (past them: an error at once),
/// `forwarded_max` commands forwarded to this replica waiting for their replies, and the
/// log's own bounds (DecodeLimits). A forwarding message that does not decode, or comes from
/// outside the membership, is dropped and counted.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kvs/linear.hpp"
#include "kvs/router.hpp"
#include "protocols/host/host.hpp"
#include "protocols/net/channels.hpp"
#include "protocols/paxos/replica.hpp"

namespace calm::apps::kvs {

using LinearReplica = protocols::paxos::Replica<LinearMachine>;
using LogHost = protocols::host::Host<LinearReplica>;

struct CoordinationOptions {
  std::uint64_t self = 1;
  std::vector<std::uint64_t> members;  // every replica, self included
  /// A command not answered within it fails (NOQUORUM): the partitioned replica's answer.
  std::uint64_t timeout_ms = 2000;
  /// Commands of this replica in flight at once.
  std::uint32_t lanes = 4096;
  std::size_t forwarded_max = 65536;
  /// While keys have an expiry, the leader's clock entries come this often.
  std::uint64_t clock_ms = 100;
  /// This boot's number (kept on disk, one more each boot): the high bits of every sequence
  /// number, so that a restarted replica's commands are new to the client table.
  std::uint64_t epoch = 1;
  WriteLimits limits;
  protocols::paxos::Config paxos;  // self, members and seed are set from the above
  /// Wall time in ms since the Unix epoch (the leader's stamp).
  std::function<std::uint64_t()> wall_ms;
  /// The log host's background sync (host.hpp; empty: each flush syncs, blocking the loop).
  std::function<void(std::function<void(const std::string* failure)>)> background_sync;
};

class LogCoordination final : public Coordination {
 public:
  struct Stats {
    std::uint64_t forwarded = 0;          // commands this replica sent to a leader
    std::uint64_t served_for_peers = 0;   // commands peers forwarded here
    std::uint64_t redirects = 0;          // "not leader" answers that sent a command on
    std::uint64_t timeouts = 0;           // commands that failed with NOQUORUM
    std::uint64_t rejected_messages = 0;  // forwarding messages dropped
    std::uint64_t clock_entries = 0;
  };

  /// Epochs (boots of a replica) its sequence numbers have room for.
  static constexpr std::uint64_t epochs_max = std::uint64_t{1} << 24;

  explicit LogCoordination(CoordinationOptions options);
  ~LogCoordination() override;

  /// Makes this boot's nodes on `channels`: the log on `log_tag`, forwarding on `forward_tag`.
  void attach(protocols::net::Channels& channels, std::uint8_t log_tag, std::uint8_t forward_tag);

  void submit(LinearOp op, bool read, std::function<void(bool, std::string)> done) override;

  /// The log's replica (null before the node is made), for INFO.
  const LinearReplica* replica() const;
  const Stats& stats() const { return stats_; }
  std::size_t in_flight() const { return pending_.size(); }

 private:
  class ForwardNode;
  struct Pending;
  using Id = std::pair<std::uint64_t, std::uint64_t>;  // (client, seq)

  void dispatch(const Id& id, Pending& p);
  void on_final(std::vector<protocols::paxos::Reply>& replies);
  void handle(const protocols::paxos::Reply& reply);
  void on_forward_message(std::uint64_t from, std::string_view bytes);
  void tick();
  void finish(std::map<Id, Pending>::iterator it, bool ok, std::string result);
  /// `op` with the wall clock stamped (a leader submitting it).
  std::string stamped(std::string_view op_bytes);
  bool is_member(std::uint64_t id) const;
  std::uint64_t now_ms() const;

  CoordinationOptions options_;
  LogHost* host_ = nullptr;
  ForwardNode* forward_ = nullptr;
  std::map<Id, Pending> pending_;
  std::vector<std::uint32_t> free_lanes_;
  std::uint64_t next_seq_;
  /// Commands peers forwarded here, waiting for the local replica's reply: who sent them, when.
  std::map<Id, std::pair<std::uint64_t, std::uint64_t>> forwarded_;
  std::uint64_t last_clock_ms_ = 0;
  bool clock_in_flight_ = false;
  Stats stats_;
};

}  // namespace calm::apps::kvs
