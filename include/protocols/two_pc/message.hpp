#pragma once
/// Two-phase commit's wire format: one frame per message, hand-written with
/// net/frame_codec.hpp.
///
///   Prepare   coordinator -> participant: the transaction's work for this participant, and
///             the request for its vote
///   Vote      participant -> coordinator: yes (prepared: its prepare record is on disk) or
///             no; an in-doubt participant repeats its yes vote as its question. A yes may
///             refuse some of the transaction's parts (batching, below)
///   Decision  coordinator -> participant: commit or abort; a commit carries every part that
///             some participant refused
///   Ack       participant -> coordinator: a commit is on the participant's disk (aborts are
///             not acknowledged: presumed abort)
///   Progress  coordinator -> participant: its epoch and watermark alone, when they moved and
///             nothing else carries them (an idle coordinator), so participants let go of
///             the records the watermark passed
///
/// Paxos Commit adds, when acceptors are configured (F >= 1; docs/two-pc.md):
///
///   Accept    phase 2a of the instances of one transaction (one instance per participant:
///             its vote). At round 0 a participant's own vote, sent by that participant
///             alone; at a higher round a recovery leader's values for every instance
///   Accepted  phase 2b, from an acceptor to the ballot's proposer (the coordinator learns
///             round 0)
///   Claim     phase 1a of every instance of a transaction, by a recovery leader (a
///             coordinator whose votes are late, or a participant left in doubt)
///   Promise   phase 1b: the acceptor promised `ballot`, and what it had accepted
///   Refused   a Claim or Accept below what the acceptor promised (`promised`)
///   Learned   a recovery leader tells the other participants the outcome it learned
///   Query     an acceptor asks whether the transactions it keeps are over for the receiver
///   Done      the answer: those of them that are (none will ever be asked about again)
///
/// Bundles (the batched wire format): a node that bundles its sends (`bundle_sends` in each
/// role's config) puts every message of one turn to one peer into one frame, in the order they
/// were made: u8 version, u8 kind `bundle_kind`, the count, then each message's own frame as
/// bytes. It saves a frame per message (its MAC, header, and the transport's handling of it),
/// none of the protocol's work; each message in it is then taken as if it came alone, so a bad
/// one is rejected and the others are not. Every node takes bundles, whether it sends them or
/// not. A bundle holds 2 to `bundle_messages_max` messages of at least 2 bytes each and fits
/// `message_bytes_max`; a bundle inside a bundle is a DecodeError.
///
/// Parts (batching many requests into one transaction, docs/two-pc.md): the application may
/// number the pieces of work in a transaction's payloads (parts, below `parts_max`). A
/// participant's yes vote names the parts it refuses (its Refusals); the commit carries the
/// union of every participant's, logged with it, and each participant applies exactly the
/// parts outside that union. So a part commits exactly when every participant voted yes and
/// none refused it: two-phase commit per part, with the messages and records shared. An abort
/// refuses every part. Paxos Commit carries the refusals in each instance's value.
///
/// Every message from a coordinator carries its `epoch` (one per boot of the coordinator) and
/// its `watermark`: every transaction of that epoch numbered below it no longer collects votes
/// (it is decided), so a participant that meets a Prepare for one of them, or for an earlier
/// epoch, without knowing it votes no instead of starting it again.
///
/// Layout: u8 version (2), u8 kind, then the fields in the order declared below; numbers as
/// varints, the payload as bytes, a ballot as (round, node), a list as its count then its
/// items, an optional as a flag then the value. Bounds (DecodeLimits): a frame of at most
/// `message_bytes_max`, a payload of at most `payload_bytes_max`, epochs, numbers and rounds
/// below `number_max`, at most `participants_max` participants and `txs_max` transactions in
/// a list, refusals strictly increasing below `parts_max` (encoded as the gaps between them);
/// anything else, or trailing bytes, is a DecodeError.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "lattices/core.hpp"
#include "protocols/host/ready.hpp"
#include "protocols/net/frame_codec.hpp"
#include "protocols/net/transport.hpp"
#include "protocols/paxos/single_decree.hpp"

namespace calm::protocols::two_pc {

using net::NodeId;

/// A transaction's id: its coordinator, the coordinator's epoch (bumped and synced at every
/// boot, so a restarted coordinator never reuses an id) and its number within the epoch.
struct TxId {
  NodeId coordinator = 0;
  std::uint64_t epoch = 0;
  std::uint64_t number = 0;
  friend auto operator<=>(const TxId&, const TxId&) = default;
};

/// The parts of a transaction refused (by one participant, or by any: a commit's union),
/// sorted, without duplicates, each below DecodeLimits::parts_max.
using Refusals = std::vector<std::uint32_t>;

/// `into` with every part of `more` added (both sorted, without duplicates).
void merge_refusals(Refusals& into, const Refusals& more);
/// Whether every part of `part` is in `whole` (both sorted, without duplicates).
bool includes_refusals(const Refusals& whole, const Refusals& part);

struct Prepare {
  TxId tx;
  std::uint64_t epoch = 0;
  std::uint64_t watermark = 0;
  std::string payload;
  /// Every participant of the transaction (Paxos Commit's recovery needs them all).
  std::vector<NodeId> participants;
  /// The coordinator's acceptors, sorted (none: plain two-phase commit). A participant whose
  /// own differ votes no: mixing the modes, or two lists whose majorities need not meet,
  /// could decide one transaction both ways.
  std::vector<NodeId> acceptors;
  friend bool operator==(const Prepare&, const Prepare&) = default;
};
struct Vote {
  TxId tx;
  bool yes = false;
  Refusals refused{};  // a yes vote's
  friend bool operator==(const Vote&, const Vote&) = default;
};
struct Decision {
  TxId tx;
  bool commit = false;
  std::uint64_t epoch = 0;
  std::uint64_t watermark = 0;
  Refusals refused{};  // a commit's: every participant's
  friend bool operator==(const Decision&, const Decision&) = default;
};
struct Ack {
  TxId tx;
  friend bool operator==(const Ack&, const Ack&) = default;
};
struct Progress {
  std::uint64_t epoch = 0;
  std::uint64_t watermark = 0;
  friend bool operator==(const Progress&, const Progress&) = default;
};

using paxos::Ballot;

/// What one instance decides: its participant is prepared (voted yes, refusing `refused`), or
/// aborted.
struct VoteValue {
  bool prepared = false;
  Refusals refused{};  // prepared only
  friend bool operator==(const VoteValue&, const VoteValue&) = default;
};
/// One instance's value: participant `participant`'s vote.
struct InstanceValue {
  NodeId participant = 0;
  bool prepared = false;
  Refusals refused{};  // prepared only
  VoteValue value() const { return {prepared, refused}; }
  friend bool operator==(const InstanceValue&, const InstanceValue&) = default;
};
/// What an acceptor had accepted for one instance, in a Promise.
struct InstanceState {
  NodeId participant = 0;
  std::optional<paxos::AcceptedValue<VoteValue>> accepted;
  friend bool operator==(const InstanceState&, const InstanceState&) = default;
};

struct Accept {
  TxId tx;
  Ballot ballot;
  std::vector<NodeId> participants;
  std::vector<InstanceValue> values;
  friend bool operator==(const Accept&, const Accept&) = default;
};
struct Accepted {
  TxId tx;
  Ballot ballot;
  std::vector<InstanceValue> values;
  friend bool operator==(const Accepted&, const Accepted&) = default;
};
struct Claim {
  TxId tx;
  Ballot ballot;
  std::vector<NodeId> participants;
  friend bool operator==(const Claim&, const Claim&) = default;
};
struct Promise {
  TxId tx;
  Ballot ballot;
  std::vector<InstanceState> instances;
  friend bool operator==(const Promise&, const Promise&) = default;
};
struct Refused {
  TxId tx;
  Ballot ballot;
  Ballot promised;
  friend bool operator==(const Refused&, const Refused&) = default;
};
struct Learned {
  TxId tx;
  bool commit = false;
  Refusals refused{};  // a commit's: every participant's
  friend bool operator==(const Learned&, const Learned&) = default;
};
struct Query {
  std::vector<TxId> txs;
  friend bool operator==(const Query&, const Query&) = default;
};
struct Done {
  std::vector<TxId> txs;
  friend bool operator==(const Done&, const Done&) = default;
};

using Message = std::variant<Prepare, Vote, Decision, Ack, Progress, Accept, Accepted, Claim,
                             Promise, Refused, Learned, Query, Done>;

struct DecodeLimits {
  /// Epochs and transaction numbers are below it.
  std::uint64_t number_max = std::uint64_t{1} << 48;
  std::size_t message_bytes_max = 1 << 20;
  std::size_t payload_bytes_max = 512 * 1024;
  /// Participants named in one message.
  std::size_t participants_max = 64;
  /// Transactions in one Query or Done.
  std::size_t txs_max = 4096;
  /// Part numbers are below it.
  std::uint32_t parts_max = 1 << 16;
  /// Messages in one bundle.
  std::size_t bundle_messages_max = 4096;
};

/// A bundle's kind byte (after the version).
inline constexpr std::uint8_t bundle_kind = 14;
/// Whether a frame claims to be a bundle (its kind byte); unbundle says whether it is one.
inline bool is_bundle(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<std::uint8_t>(bytes[1]) == bundle_kind;
}

std::string encode_message(const Message& message);
/// Throws calm::lattices::DecodeError with the reason when the bytes are not a valid frame.
Message decode_message(std::string_view bytes, const DecodeLimits& limits);

/// A peer's frame decoded, or nothing after `reject(reason)` when it is not a valid one.
template <class Reject>
std::optional<Message> decode_or_reject(std::string_view bytes, const DecodeLimits& limits,
                                        Reject&& reject) {
  try {
    return decode_message(bytes, limits);
  } catch (const lattices::DecodeError& e) {
    std::forward<Reject>(reject)(e.what());
    return std::nullopt;
  }
}

/// `sends` with the messages to each peer put into bundles of up to `bundle_messages_max`
/// messages and `message_bytes_max` bytes, each peer's in the order made; a message that
/// shares its bundle with no other (or is too large to) is sent as itself. Every message must
/// be a frame of `encode_message`.
void bundle_sends(std::vector<host::Outgoing>& sends, const DecodeLimits& limits);

/// The frames that `bytes` carries: the messages of a bundle (views into `bytes`), or `bytes`
/// itself. Throws calm::lattices::DecodeError for a bundle that is not a valid one.
std::vector<std::string_view> unbundle(std::string_view bytes, const DecodeLimits& limits);

/// Calls `handle(message)` with each message a peer's frame carries (one, or a bundle's), in
/// order, and `reject(reason)` for each that is not valid (once for a bundle that is not).
template <class Reject, class Handle>
void for_each_message(std::string_view bytes, const DecodeLimits& limits, Reject&& reject,
                      Handle&& handle) {
  if (!is_bundle(bytes)) {  // one message: no list of frames to make
    if (const std::optional<Message> m = decode_or_reject(bytes, limits, reject)) handle(*m);
    return;
  }
  std::vector<std::string_view> frames;
  try {
    frames = unbundle(bytes, limits);
  } catch (const lattices::DecodeError& e) {
    reject(e.what());
    return;
  }
  for (const std::string_view frame : frames) {
    if (const std::optional<Message> m = decode_or_reject(frame, limits, reject)) handle(*m);
  }
}

/// A transaction id as a disk key's suffix: fixed width, so that keys sort as ids do.
std::string tx_key(const TxId& tx);

/// Refusals as bytes (their count, then the gaps between them), and back; read_refusals
/// throws calm::lattices::DecodeError for a list that is not strictly increasing below
/// `parts_max`.
void put_refusals(std::string& out, const Refusals& refused);
Refusals read_refusals(net::codec::Reader& in, std::uint32_t parts_max);
/// Throws calm::lattices::DecodeError when `key` is not one.
TxId parse_tx_key(std::string_view key);

}  // namespace calm::protocols::two_pc
