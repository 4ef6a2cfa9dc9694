#pragma once
/// Ready: what a sans-IO protocol asks its host to do once the inputs of a turn have run, in
/// the manner of etcd raft's Ready. The host performs it in this order, and the order is the
/// protocol's safety:
///   0. `send_first`: messages that depend on nothing this turn writes, sent before the
///      batch so that the peers' work overlaps this node's disk (a Paxos leader's Accepts:
///      its ballot is durable from phase 1, and its own vote counts only once its batch is
///      written); they leave even if the batch then fails;
///   1. `persist`, as one storage batch (storage::Disk::write), synced when `sync` is set (or
///      when the host syncs every batch); with `sync`, every earlier batch is synced too;
///   2. then `send`: nothing leaves before the state it depends on is on disk;
///   3. then `final`: what has become final for the application (a committed command, a reply),
///      handed to the host's application;
///   4. `rejected`: one reason per input the protocol refused, for the host's log and counters.
/// When the batch cannot be written, the host sends nothing more and hands nothing on: it calls
/// the protocol's `rollback` (host.hpp) and the turn's application requests fail.
#include <string>
#include <utility>
#include <vector>

#include "protocols/net/transport.hpp"
#include "protocols/storage/disk.hpp"

namespace calm::protocols::host {

using net::NodeId;

struct Outgoing {
  NodeId to = 0;
  std::string bytes;
};

/// For a protocol that hands the application nothing (anti-entropy: a local write is final as
/// soon as its batch is written, which the host reports itself).
struct NoFinal {};

template <class Final = NoFinal>
struct Ready {
  std::vector<storage::Write> persist;
  /// `persist` and every write before it must be durable against power loss before anything
  /// of `send` or `final` leaves the node.
  bool sync = false;
  std::vector<Outgoing> send;
  std::vector<Final> final;
  std::vector<std::string> rejected;
  std::vector<Outgoing> send_first;

  bool empty() const {
    return persist.empty() && !sync && send.empty() && final.empty() && rejected.empty() &&
           send_first.empty();
  }
};

}  // namespace calm::protocols::host
