#pragma once
/// Two-phase commit's wire format: one frame per message, hand-written with
/// net/frame_codec.hpp.
///
///   Prepare   coordinator -> participant: the transaction's work for this participant, and
///             the request for its vote
///   Vote      participant -> coordinator: yes (prepared: its prepare record is on disk) or
///             no; an in-doubt participant repeats its yes vote as its question
///   Decision  coordinator -> participant: commit or abort
///   Ack       participant -> coordinator: a commit is on the participant's disk (aborts are
///             not acknowledged: presumed abort)
///   Progress  coordinator -> participant: its epoch and watermark alone, when they moved and
///             nothing else carries them (an idle coordinator), so participants let go of
///             the records the watermark passed
///
/// Every message from a coordinator carries its `epoch` (one per boot of the coordinator) and
/// its `watermark`: every transaction of that epoch numbered below it no longer collects votes
/// (it is decided), so a participant that meets a Prepare for one of them, or for an earlier
/// epoch, without knowing it votes no instead of starting it again.
///
/// Layout: u8 version (1), u8 kind, then the fields in the order declared below; numbers as
/// varints, the payload as bytes. Bounds (DecodeLimits): a frame of at most
/// `message_bytes_max`, a payload of at most `payload_bytes_max`, epochs and numbers below
/// `number_max`; anything else, or trailing bytes, is a DecodeError.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "protocols/net/transport.hpp"

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

struct Prepare {
  TxId tx;
  std::uint64_t epoch = 0;
  std::uint64_t watermark = 0;
  std::string payload;
  friend bool operator==(const Prepare&, const Prepare&) = default;
};
struct Vote {
  TxId tx;
  bool yes = false;
  friend bool operator==(const Vote&, const Vote&) = default;
};
struct Decision {
  TxId tx;
  bool commit = false;
  std::uint64_t epoch = 0;
  std::uint64_t watermark = 0;
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

using Message = std::variant<Prepare, Vote, Decision, Ack, Progress>;

struct DecodeLimits {
  /// Epochs and transaction numbers are below it.
  std::uint64_t number_max = std::uint64_t{1} << 48;
  std::size_t message_bytes_max = 1 << 20;
  std::size_t payload_bytes_max = 512 * 1024;
};

std::string encode_message(const Message& message);
/// Throws calm::lattices::DecodeError with the reason when the bytes are not a valid frame.
Message decode_message(std::string_view bytes, const DecodeLimits& limits);

/// A transaction id as a disk key's suffix: fixed width, so that keys sort as ids do.
std::string tx_key(const TxId& tx);
/// Throws calm::lattices::DecodeError when `key` is not one.
TxId parse_tx_key(std::string_view key);

}  // namespace calm::protocols::two_pc
