#pragma once
/// Multi-Paxos's wire format: one frame per message, hand-written with net/frame_codec.hpp.
///
///   Prepare   phase 1a for every slot from `first_slot` on, at `ballot`
///   Promise   phase 1b: the acceptor's promise of `ballot`, and what it accepted from
///             `first_slot` on, in chunks (`chunk` of `chunks`) of at most
///             `Config::promise_entries_max` entries
///   Accept    phase 2a for one slot, with the leader's commit index (every slot below it is
///             chosen)
///   Accepted  phase 2b
///   Reject    a Prepare or Accept refused: the acceptor has promised `promised`
///   Heartbeat the leader's liveness and commit index; with a read round (not 0), a request
///             to confirm its leadership for the reads of that round
///   HeartbeatAck  the confirmation: the acceptor had promised nothing above `ballot`
///   Learn     asks for the chosen values from `first_slot` on (catch-up)
///   Chosen    chosen values, in slot order (an answer to Learn)
///
/// A slot's value is a batch of commands; an empty batch is a no-op. Layout: u8 version (1),
/// u8 kind, then the fields in the order declared below: ballots as two varints (round,
/// node), slots and counts as varints, commands as (varint client, varint seq, bytes op).
/// Bounds (DecodeLimits): a frame of at most `message_bytes_max`, an op of at most
/// `command_bytes_max`, counts no larger than the bytes left can hold; anything else, or
/// trailing bytes, is a DecodeError.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/net/transport.hpp"
#include "protocols/paxos/single_decree.hpp"

namespace calm::protocols::paxos {

using net::NodeId;

/// A client's command: exactly once per (client, seq) (the state machine keeps each
/// client's last seq); client 0 is reserved.
struct Command {
  std::uint64_t client = 0;
  std::uint64_t seq = 0;
  std::string op;
  friend bool operator==(const Command&, const Command&) = default;
};
using Batch = std::vector<Command>;  // a slot's value; empty: a no-op

struct SlotValue {
  std::uint64_t slot = 0;
  Ballot ballot;  // Promise: the ballot it was accepted at; Chosen: unused (zero)
  Batch value;
  friend bool operator==(const SlotValue&, const SlotValue&) = default;
};

struct Prepare {
  Ballot ballot;
  std::uint64_t first_slot = 0;
  friend bool operator==(const Prepare&, const Prepare&) = default;
};
struct Promise {
  Ballot ballot;
  std::uint64_t first_slot = 0;
  std::uint32_t chunk = 0;
  std::uint32_t chunks = 1;
  /// Slots below it are in the acceptor's snapshot: chosen, and their accepted values
  /// forgotten. A candidate whose commit index is below it cannot lead (it would not learn
  /// those slots' values in phase 1): it catches up first.
  std::uint64_t snapshot_index = 0;
  std::vector<SlotValue> accepted;
  friend bool operator==(const Promise&, const Promise&) = default;
};
struct Accept {
  Ballot ballot;
  std::uint64_t slot = 0;
  std::uint64_t commit = 0;
  Batch value;
  friend bool operator==(const Accept&, const Accept&) = default;
};
struct Accepted {
  Ballot ballot;
  std::uint64_t slot = 0;
  friend bool operator==(const Accepted&, const Accepted&) = default;
};
struct Reject {
  Ballot refused;
  Ballot promised;
  friend bool operator==(const Reject&, const Reject&) = default;
};
struct Heartbeat {
  Ballot ballot;
  std::uint64_t commit = 0;
  std::uint64_t read_round = 0;
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};
struct HeartbeatAck {
  Ballot ballot;
  std::uint64_t read_round = 0;
  friend bool operator==(const HeartbeatAck&, const HeartbeatAck&) = default;
};
/// A request for the chosen slots from `first_slot` on; when the responder's snapshot covers
/// that slot, for the snapshot instead, from `snapshot_offset` of the one at
/// `snapshot_index` (any other index: from the start of the responder's current one).
struct Learn {
  std::uint64_t first_slot = 0;
  std::uint64_t snapshot_index = 0;
  std::uint64_t snapshot_offset = 0;
  friend bool operator==(const Learn&, const Learn&) = default;
};
struct Chosen {
  std::vector<SlotValue> chosen;
  friend bool operator==(const Chosen&, const Chosen&) = default;
};

/// One chunk of a snapshot (an encoded SnapshotState of `total` bytes) covering the slots
/// below `index`.
struct Snapshot {
  std::uint64_t index = 0;
  std::uint64_t total = 0;
  std::uint64_t offset = 0;
  std::string bytes;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

using Message = std::variant<Prepare, Promise, Accept, Accepted, Reject, Heartbeat, Learn, Chosen,
                             HeartbeatAck, Snapshot>;

struct DecodeLimits {
  /// Rounds, slots, commit indexes and read rounds are below it: a member's message cannot
  /// make a replica's next round or slot wrap around.
  std::uint64_t number_max = std::uint64_t{1} << 48;
  std::size_t message_bytes_max = 4 << 20;
  std::size_t command_bytes_max = 64 * 1024;
  std::uint32_t chunks_max = 1 << 16;
  /// A snapshot a peer sends is at most this large; it is assembled only as its chunks come.
  std::uint64_t snapshot_bytes_max = std::uint64_t{1} << 30;
};

/// What a snapshot holds: every slot below `index` applied, the client table, and the state
/// machine's own bytes.
struct SnapshotState {
  struct Client {
    std::uint64_t client = 0;
    std::uint64_t seq = 0;
    std::string result;
    friend bool operator==(const Client&, const Client&) = default;
  };
  std::uint64_t index = 0;
  std::vector<Client> clients;
  std::string machine;
  friend bool operator==(const SnapshotState&, const SnapshotState&) = default;
};
std::string encode_snapshot(const SnapshotState& snapshot);
/// Throws calm::lattices::DecodeError; results are bounded by the whole, and the whole by
/// snapshot_bytes_max.
SnapshotState decode_snapshot(std::string_view bytes, const DecodeLimits& limits);

std::string encode_message(const Message& message);
/// Throws calm::lattices::DecodeError with the reason when the bytes are not a valid frame.
Message decode_message(std::string_view bytes, const DecodeLimits& limits);

/// A batch alone (for the disk), with the same layout as in a frame.
std::string encode_batch(const Batch& batch);
Batch decode_batch(std::string_view bytes, const DecodeLimits& limits);

}  // namespace calm::protocols::paxos
