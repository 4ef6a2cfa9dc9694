#include "protocols/two_pc/message.hpp"

#include <algorithm>
#include <iterator>
#include <map>

#include "lattices/core.hpp"
#include "protocols/net/frame_codec.hpp"

namespace calm::protocols::two_pc {

namespace {

using net::codec::put_bytes;
using net::codec::put_varint;
using Reader = net::codec::Reader;

// 2: Prepare names participants and acceptors; 3: votes, commits and instance values carry
// refusals
constexpr std::uint8_t format_version = 3;

void put_tx(std::string& out, const TxId& tx) {
  put_varint(out, tx.coordinator);
  put_varint(out, tx.epoch);
  put_varint(out, tx.number);
}
std::uint64_t read_number(Reader& in, const DecodeLimits& limits) {
  const std::uint64_t n = in.varint();
  in.require(n < limits.number_max, "epoch or number above number_max");
  return n;
}
TxId read_tx(Reader& in, const DecodeLimits& limits) {
  TxId tx;
  tx.coordinator = in.varint();
  tx.epoch = read_number(in, limits);
  tx.number = read_number(in, limits);
  return tx;
}
bool read_flag(Reader& in) {
  const std::uint8_t b = in.u8();
  in.require(b <= 1, "a flag that is neither 0 nor 1");
  return b == 1;
}

void put_ballot(std::string& out, const Ballot& b) {
  put_varint(out, b.round);
  put_varint(out, b.node);
}
Ballot read_ballot(Reader& in, const DecodeLimits& limits) {
  Ballot b;
  b.round = read_number(in, limits);
  b.node = in.varint();
  return b;
}
void put_nodes(std::string& out, const std::vector<NodeId>& nodes) {
  put_varint(out, nodes.size());
  for (NodeId n : nodes) put_varint(out, n);
}
std::vector<NodeId> read_nodes(Reader& in, const DecodeLimits& limits) {
  std::vector<NodeId> nodes;
  for (std::uint64_t n = in.count(1, limits.participants_max, "more participants than allowed");
       n > 0; --n) {
    nodes.push_back(in.varint());
  }
  return nodes;
}
void put_values(std::string& out, const std::vector<InstanceValue>& values) {
  put_varint(out, values.size());
  for (const InstanceValue& v : values) {
    put_varint(out, v.participant);
    out.push_back(v.prepared ? 1 : 0);
    put_refusals(out, v.refused);
  }
}
std::vector<InstanceValue> read_values(Reader& in, const DecodeLimits& limits) {
  std::vector<InstanceValue> values;
  for (std::uint64_t n = in.count(3, limits.participants_max, "more instances than allowed"); n > 0;
       --n) {
    InstanceValue v;
    v.participant = in.varint();
    v.prepared = read_flag(in);
    v.refused = read_refusals(in, limits.parts_max);
    in.require(v.prepared || v.refused.empty(), "refusals in an aborted instance");
    values.push_back(std::move(v));
  }
  return values;
}
void put_txs(std::string& out, const std::vector<TxId>& txs) {
  put_varint(out, txs.size());
  for (const TxId& tx : txs) put_tx(out, tx);
}
std::vector<TxId> read_txs(Reader& in, const DecodeLimits& limits) {
  std::vector<TxId> txs;
  for (std::uint64_t n = in.count(3, limits.txs_max, "more transactions than txs_max"); n > 0;
       --n) {
    txs.push_back(read_tx(in, limits));
  }
  return txs;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::uint64_t read_hex(std::string_view digits) {
  std::uint64_t n = 0;
  for (const char c : digits) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (v < 0) throw lattices::DecodeError("two-pc: a transaction key with a non-hex digit");
    n = n << 4 | static_cast<std::uint64_t>(v);
  }
  return n;
}

}  // namespace

void merge_refusals(Refusals& into, const Refusals& more) {
  if (more.empty() || into == more) return;
  if (into.empty()) {
    into = more;
    return;
  }
  Refusals both;
  both.reserve(into.size() + more.size());
  std::set_union(into.begin(), into.end(), more.begin(), more.end(), std::back_inserter(both));
  into = std::move(both);
}

bool includes_refusals(const Refusals& whole, const Refusals& part) {
  return std::includes(whole.begin(), whole.end(), part.begin(), part.end());
}

void put_refusals(std::string& out, const Refusals& refused) {
  put_varint(out, refused.size());
  std::uint64_t next = 0;  // the lowest part the next one may be
  for (const std::uint32_t part : refused) {
    put_varint(out, part - next);
    next = std::uint64_t{part} + 1;
  }
}

Refusals read_refusals(Reader& in, std::uint32_t parts_max) {
  Refusals refused;
  std::uint64_t next = 0;
  for (std::uint64_t n = in.count(1, parts_max, "more refusals than parts_max"); n > 0; --n) {
    const std::uint64_t gap = in.varint();
    in.require(gap < parts_max && next + gap < parts_max, "a refused part above parts_max");
    refused.push_back(static_cast<std::uint32_t>(next + gap));
    next += gap + 1;
  }
  return refused;
}

std::string encode_message(const Message& message) {
  std::string out;
  out.push_back(static_cast<char>(format_version));
  out.push_back(static_cast<char>(message.index() + 1));
  std::visit(Overloaded{
                 [&](const Prepare& m) {
                   put_tx(out, m.tx);
                   put_varint(out, m.epoch);
                   put_varint(out, m.watermark);
                   put_bytes(out, m.payload);
                   put_nodes(out, m.participants);
                   put_nodes(out, m.acceptors);
                 },
                 [&](const Vote& m) {
                   put_tx(out, m.tx);
                   out.push_back(m.yes ? 1 : 0);
                   put_refusals(out, m.refused);
                 },
                 [&](const Decision& m) {
                   put_tx(out, m.tx);
                   out.push_back(m.commit ? 1 : 0);
                   put_varint(out, m.epoch);
                   put_varint(out, m.watermark);
                   put_refusals(out, m.refused);
                 },
                 [&](const Ack& m) { put_tx(out, m.tx); },
                 [&](const Progress& m) {
                   put_varint(out, m.epoch);
                   put_varint(out, m.watermark);
                 },
                 [&](const Accept& m) {
                   put_tx(out, m.tx);
                   put_ballot(out, m.ballot);
                   put_nodes(out, m.participants);
                   put_values(out, m.values);
                 },
                 [&](const Accepted& m) {
                   put_tx(out, m.tx);
                   put_ballot(out, m.ballot);
                   put_values(out, m.values);
                 },
                 [&](const Claim& m) {
                   put_tx(out, m.tx);
                   put_ballot(out, m.ballot);
                   put_nodes(out, m.participants);
                 },
                 [&](const Promise& m) {
                   put_tx(out, m.tx);
                   put_ballot(out, m.ballot);
                   put_varint(out, m.instances.size());
                   for (const InstanceState& i : m.instances) {
                     put_varint(out, i.participant);
                     out.push_back(i.accepted ? 1 : 0);
                     if (i.accepted) {
                       put_ballot(out, i.accepted->ballot);
                       out.push_back(i.accepted->value.prepared ? 1 : 0);
                       put_refusals(out, i.accepted->value.refused);
                     }
                   }
                 },
                 [&](const Refused& m) {
                   put_tx(out, m.tx);
                   put_ballot(out, m.ballot);
                   put_ballot(out, m.promised);
                 },
                 [&](const Learned& m) {
                   put_tx(out, m.tx);
                   out.push_back(m.commit ? 1 : 0);
                   put_refusals(out, m.refused);
                 },
                 [&](const Query& m) { put_txs(out, m.txs); },
                 [&](const Done& m) { put_txs(out, m.txs); },
             },
             message);
  return out;
}

Message decode_message(std::string_view bytes, const DecodeLimits& limits) {
  Reader in(bytes, "two-pc");
  in.require(bytes.size() <= limits.message_bytes_max, "frame larger than message_bytes_max");
  in.require(in.u8() == format_version, "unknown format version");
  const std::uint8_t kind = in.u8();
  Message message;
  switch (kind) {
    case 1: {
      Prepare m;
      m.tx = read_tx(in, limits);
      m.epoch = read_number(in, limits);
      m.watermark = read_number(in, limits);
      m.payload = in.bytes(limits.payload_bytes_max, "payload longer than payload_bytes_max");
      m.participants = read_nodes(in, limits);
      m.acceptors = read_nodes(in, limits);
      message = std::move(m);
      break;
    }
    case 2: {
      Vote m;
      m.tx = read_tx(in, limits);
      m.yes = read_flag(in);
      m.refused = read_refusals(in, limits.parts_max);
      in.require(m.yes || m.refused.empty(), "refusals in a no vote");
      message = std::move(m);
      break;
    }
    case 3: {
      Decision m;
      m.tx = read_tx(in, limits);
      m.commit = read_flag(in);
      m.epoch = read_number(in, limits);
      m.watermark = read_number(in, limits);
      m.refused = read_refusals(in, limits.parts_max);
      in.require(m.commit || m.refused.empty(), "refusals in an abort");
      message = std::move(m);
      break;
    }
    case 4: {
      Ack m;
      m.tx = read_tx(in, limits);
      message = m;
      break;
    }
    case 5: {
      Progress m;
      m.epoch = read_number(in, limits);
      m.watermark = read_number(in, limits);
      message = m;
      break;
    }
    case 6: {
      Accept m;
      m.tx = read_tx(in, limits);
      m.ballot = read_ballot(in, limits);
      m.participants = read_nodes(in, limits);
      m.values = read_values(in, limits);
      message = std::move(m);
      break;
    }
    case 7: {
      Accepted m;
      m.tx = read_tx(in, limits);
      m.ballot = read_ballot(in, limits);
      m.values = read_values(in, limits);
      message = std::move(m);
      break;
    }
    case 8: {
      Claim m;
      m.tx = read_tx(in, limits);
      m.ballot = read_ballot(in, limits);
      m.participants = read_nodes(in, limits);
      message = std::move(m);
      break;
    }
    case 9: {
      Promise m;
      m.tx = read_tx(in, limits);
      m.ballot = read_ballot(in, limits);
      for (std::uint64_t n = in.count(2, limits.participants_max, "more instances than allowed");
           n > 0; --n) {
        InstanceState i;
        i.participant = in.varint();
        if (read_flag(in)) {
          paxos::AcceptedValue<VoteValue> a;
          a.ballot = read_ballot(in, limits);
          a.value.prepared = read_flag(in);
          a.value.refused = read_refusals(in, limits.parts_max);
          in.require(a.value.prepared || a.value.refused.empty(),
                     "refusals in an aborted instance");
          i.accepted = std::move(a);
        }
        m.instances.push_back(std::move(i));
      }
      message = std::move(m);
      break;
    }
    case 10: {
      Refused m;
      m.tx = read_tx(in, limits);
      m.ballot = read_ballot(in, limits);
      m.promised = read_ballot(in, limits);
      message = m;
      break;
    }
    case 11: {
      Learned m;
      m.tx = read_tx(in, limits);
      m.commit = read_flag(in);
      m.refused = read_refusals(in, limits.parts_max);
      in.require(m.commit || m.refused.empty(), "refusals in an abort");
      message = std::move(m);
      break;
    }
    case 12: {
      Query m;
      m.txs = read_txs(in, limits);
      message = std::move(m);
      break;
    }
    case 13: {
      Done m;
      m.txs = read_txs(in, limits);
      message = std::move(m);
      break;
    }
    default:
      throw lattices::DecodeError("two-pc: unknown message kind");
  }
  in.expect_end();
  return message;
}

void bundle_sends(std::vector<host::Outgoing>& sends, const DecodeLimits& limits) {
  if (sends.size() < 2) return;
  // Each peer's messages, in the order made (a peer's order is all that a frame stream keeps).
  std::map<NodeId, std::vector<std::string>> by_peer;
  for (host::Outgoing& o : sends) by_peer[o.to].push_back(std::move(o.bytes));
  sends.clear();
  for (auto& [to, messages] : by_peer) {
    std::size_t i = 0;
    while (i < messages.size()) {
      // As many as fit: the header (version, kind, a count of up to 10 bytes), then each
      // message with its length (up to 10 bytes).
      std::size_t end = i, bytes = 2 + 10;
      while (end < messages.size() && end - i < limits.bundle_messages_max &&
             bytes + 10 + messages[end].size() <= limits.message_bytes_max) {
        bytes += 10 + messages[end].size();
        ++end;
      }
      if (end <= i + 1) {  // alone (or too large to share a frame): sent as itself
        sends.push_back({to, std::move(messages[i])});
        ++i;
        continue;
      }
      std::string out;
      out.reserve(bytes);
      out.push_back(static_cast<char>(format_version));
      out.push_back(static_cast<char>(bundle_kind));
      put_varint(out, end - i);
      for (; i < end; ++i) put_bytes(out, messages[i]);
      sends.push_back({to, std::move(out)});
    }
  }
}

std::vector<std::string_view> unbundle(std::string_view bytes, const DecodeLimits& limits) {
  if (!is_bundle(bytes)) return {bytes};
  Reader in(bytes, "two-pc bundle");
  in.require(bytes.size() <= limits.message_bytes_max, "frame larger than message_bytes_max");
  in.require(in.u8() == format_version, "unknown format version");
  in.u8();
  // Each message takes its length and at least its version and kind: 3 bytes.
  std::uint64_t n =
      in.count(3, limits.bundle_messages_max, "more messages than bundle_messages_max");
  in.require(n >= 2, "a bundle of fewer than two messages");
  std::vector<std::string_view> frames;
  frames.reserve(static_cast<std::size_t>(n));
  for (; n > 0; --n) {
    const std::string_view frame = in.bytes_view(limits.message_bytes_max, "message too large");
    in.require(frame.size() >= 2 && !is_bundle(frame),
               "a bundle inside a bundle, or an empty message");
    frames.push_back(frame);
  }
  in.expect_end();
  return frames;
}

std::string tx_key(const TxId& tx) {
  // Filled in place: a participant makes several of these per transaction.
  static constexpr char hex[] = "0123456789abcdef";
  std::string key(16 * 3 + 2, '.');
  const std::uint64_t parts[] = {tx.coordinator, tx.epoch, tx.number};
  for (std::size_t p = 0; p < 3; ++p) {
    char* digits = key.data() + p * 17;
    for (int i = 0; i < 16; ++i) digits[i] = hex[(parts[p] >> (4 * (15 - i))) & 15];
  }
  return key;
}

TxId parse_tx_key(std::string_view key) {
  if (key.size() != 16 * 3 + 2 || key[16] != '.' || key[33] != '.') {
    throw lattices::DecodeError("two-pc: not a transaction key");
  }
  return {static_cast<NodeId>(read_hex(key.substr(0, 16))), read_hex(key.substr(17, 16)),
          read_hex(key.substr(34, 16))};
}

}  // namespace calm::protocols::two_pc
