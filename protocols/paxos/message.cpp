#include "protocols/paxos/message.hpp"

#include <algorithm>

#include "lattices/core.hpp"
#include "protocols/net/frame_codec.hpp"

namespace calm::protocols::paxos {

namespace {

using net::codec::put_bytes;
using net::codec::put_varint;
using Reader = net::codec::Reader;

constexpr std::uint8_t format_version = 2;  // 2: snapshots (Promise, Learn, Snapshot)
/// The fewest bytes a command (three one-byte fields) and a slot value (slot, ballot, count)
/// take: the decoder's bounds on claimed counts.
constexpr std::size_t command_bytes_min = 3;
constexpr std::size_t slot_value_bytes_min = 4;

void put_ballot(std::string& out, const Ballot& b) {
  put_varint(out, b.round);
  put_varint(out, b.node);
}
void put_batch(std::string& out, const Batch& batch) {
  put_varint(out, batch.size());
  for (const Command& c : batch) {
    put_varint(out, c.client);
    put_varint(out, c.seq);
    put_bytes(out, c.op);
  }
}
void put_slot_values(std::string& out, const std::vector<SlotValue>& values) {
  put_varint(out, values.size());
  for (const SlotValue& v : values) {
    put_varint(out, v.slot);
    put_ballot(out, v.ballot);
    put_batch(out, v.value);
  }
}

Ballot read_ballot(Reader& in, const DecodeLimits& limits) {
  Ballot b;
  b.round = in.varint();
  in.require(b.round < limits.number_max, "ballot round above number_max");
  b.node = in.varint();
  return b;
}
std::uint64_t read_number(Reader& in, const DecodeLimits& limits) {
  const std::uint64_t n = in.varint();
  in.require(n < limits.number_max, "slot or index above number_max");
  return n;
}
Batch read_batch(Reader& in, const DecodeLimits& limits) {
  Batch batch;
  const std::uint64_t n = in.count(command_bytes_min, UINT64_MAX, "command count");
  // Reserve no more than a small start: an entry in memory is ten times its fewest bytes.
  batch.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1024)));
  for (std::uint64_t i = 0; i < n; ++i) {
    Command c;
    c.client = in.varint();
    c.seq = in.varint();
    c.op = in.bytes(limits.command_bytes_max, "command longer than command_bytes_max");
    batch.push_back(std::move(c));
  }
  return batch;
}
std::vector<SlotValue> read_slot_values(Reader& in, const DecodeLimits& limits) {
  std::vector<SlotValue> values;
  const std::uint64_t n = in.count(slot_value_bytes_min, UINT64_MAX, "slot count");
  values.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1024)));
  for (std::uint64_t i = 0; i < n; ++i) {
    SlotValue v;
    v.slot = read_number(in, limits);
    v.ballot = read_ballot(in, limits);
    v.value = read_batch(in, limits);
    in.require(values.empty() || values.back().slot < v.slot, "slots not in increasing order");
    values.push_back(std::move(v));
  }
  return values;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

std::string encode_message(const Message& message) {
  std::string out;
  out.push_back(static_cast<char>(format_version));
  out.push_back(static_cast<char>(message.index() + 1));
  std::visit(Overloaded{
                 [&](const Prepare& m) {
                   put_ballot(out, m.ballot);
                   put_varint(out, m.first_slot);
                 },
                 [&](const Promise& m) {
                   put_ballot(out, m.ballot);
                   put_varint(out, m.first_slot);
                   put_varint(out, m.chunk);
                   put_varint(out, m.chunks);
                   put_varint(out, m.snapshot_index);
                   put_slot_values(out, m.accepted);
                 },
                 [&](const Accept& m) {
                   put_ballot(out, m.ballot);
                   put_varint(out, m.slot);
                   put_varint(out, m.commit);
                   put_batch(out, m.value);
                 },
                 [&](const Accepted& m) {
                   put_ballot(out, m.ballot);
                   put_varint(out, m.slot);
                 },
                 [&](const Reject& m) {
                   put_ballot(out, m.refused);
                   put_ballot(out, m.promised);
                 },
                 [&](const Heartbeat& m) {
                   put_ballot(out, m.ballot);
                   put_varint(out, m.commit);
                   put_varint(out, m.read_round);
                 },
                 [&](const Learn& m) {
                   put_varint(out, m.first_slot);
                   put_varint(out, m.snapshot_index);
                   put_varint(out, m.snapshot_offset);
                 },
                 [&](const Chosen& m) { put_slot_values(out, m.chosen); },
                 [&](const HeartbeatAck& m) {
                   put_ballot(out, m.ballot);
                   put_varint(out, m.read_round);
                 },
                 [&](const Snapshot& m) {
                   put_varint(out, m.index);
                   put_varint(out, m.total);
                   put_varint(out, m.offset);
                   put_bytes(out, m.bytes);
                 },
             },
             message);
  return out;
}

Message decode_message(std::string_view bytes, const DecodeLimits& limits) {
  Reader in(bytes, "paxos");
  in.require(bytes.size() <= limits.message_bytes_max, "frame larger than message_bytes_max");
  in.require(in.u8() == format_version, "unknown format version");
  const std::uint8_t kind = in.u8();
  Message message;
  switch (kind) {
    case 1: {
      Prepare m;
      m.ballot = read_ballot(in, limits);
      m.first_slot = read_number(in, limits);
      message = m;
      break;
    }
    case 2: {
      Promise m;
      m.ballot = read_ballot(in, limits);
      m.first_slot = read_number(in, limits);
      m.chunk = in.varint32("chunk out of bounds");
      m.chunks = in.varint32("chunk count out of bounds");
      in.require(m.chunks >= 1 && m.chunks <= limits.chunks_max && m.chunk < m.chunks,
                 "chunk out of bounds");
      m.snapshot_index = read_number(in, limits);
      m.accepted = read_slot_values(in, limits);
      in.require(m.accepted.empty() || m.accepted.front().slot >= m.first_slot,
                 "a promised slot before first_slot");
      message = std::move(m);
      break;
    }
    case 3: {
      Accept m;
      m.ballot = read_ballot(in, limits);
      m.slot = read_number(in, limits);
      m.commit = read_number(in, limits);
      m.value = read_batch(in, limits);
      message = std::move(m);
      break;
    }
    case 4: {
      Accepted m;
      m.ballot = read_ballot(in, limits);
      m.slot = read_number(in, limits);
      message = m;
      break;
    }
    case 5: {
      Reject m;
      m.refused = read_ballot(in, limits);
      m.promised = read_ballot(in, limits);
      message = m;
      break;
    }
    case 6: {
      Heartbeat m;
      m.ballot = read_ballot(in, limits);
      m.commit = read_number(in, limits);
      m.read_round = read_number(in, limits);
      message = m;
      break;
    }
    case 7: {
      Learn m;
      m.first_slot = read_number(in, limits);
      m.snapshot_index = read_number(in, limits);
      m.snapshot_offset = in.varint();
      in.require(m.snapshot_offset <= limits.snapshot_bytes_max, "snapshot offset out of bounds");
      message = m;
      break;
    }
    case 8: {
      Chosen m;
      m.chosen = read_slot_values(in, limits);
      message = std::move(m);
      break;
    }
    case 9: {
      HeartbeatAck m;
      m.ballot = read_ballot(in, limits);
      m.read_round = read_number(in, limits);
      message = m;
      break;
    }
    case 10: {
      Snapshot m;
      m.index = read_number(in, limits);
      m.total = in.varint();
      m.offset = in.varint();
      in.require(m.total >= 1 && m.total <= limits.snapshot_bytes_max,
                 "snapshot size out of bounds");
      in.require(m.offset < m.total, "snapshot chunk out of bounds");
      m.bytes = in.bytes(static_cast<std::size_t>(m.total - m.offset), "snapshot chunk too long");
      in.require(!m.bytes.empty(), "empty snapshot chunk");
      message = std::move(m);
      break;
    }
    default:
      throw lattices::DecodeError("paxos: unknown message kind");
  }
  in.expect_end();
  return message;
}

std::string encode_batch(const Batch& batch) {
  std::string out;
  put_batch(out, batch);
  return out;
}

std::string encode_snapshot(const SnapshotState& snapshot) {
  std::string out;
  put_varint(out, snapshot.index);
  put_varint(out, snapshot.clients.size());
  for (const SnapshotState::Client& c : snapshot.clients) {
    put_varint(out, c.client);
    put_varint(out, c.seq);
    put_bytes(out, c.result);
  }
  put_bytes(out, snapshot.machine);
  return out;
}

SnapshotState decode_snapshot(std::string_view bytes, const DecodeLimits& limits) {
  Reader in(bytes, "paxos snapshot");
  in.require(bytes.size() <= limits.snapshot_bytes_max, "snapshot larger than snapshot_bytes_max");
  SnapshotState s;
  s.index = read_number(in, limits);
  // A client takes at least three bytes: client, seq, an empty result.
  const std::uint64_t clients = in.count(3, bytes.size(), "too many clients");
  // Reserved no further than a small bound: a count is a claim until its entries arrive.
  s.clients.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(clients, 1024)));
  for (std::uint64_t i = 0; i < clients; ++i) {
    SnapshotState::Client c;
    c.client = in.varint();
    c.seq = in.varint();
    c.result = in.bytes(bytes.size(), "result too long");
    in.require(s.clients.empty() || s.clients.back().client < c.client,
               "clients not in increasing order");
    s.clients.push_back(std::move(c));
  }
  s.machine = in.bytes(bytes.size(), "machine state too long");
  in.expect_end();
  return s;
}

Batch decode_batch(std::string_view bytes, const DecodeLimits& limits) {
  Reader in(bytes, "paxos");
  Batch batch = read_batch(in, limits);
  in.expect_end();
  return batch;
}

}  // namespace calm::protocols::paxos
