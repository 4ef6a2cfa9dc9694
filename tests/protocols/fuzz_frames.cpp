// libFuzzer target for the bytes a peer controls: the first byte picks the decoder, the rest
// is its input.
//   0: an anti-entropy frame (decode_message); a frame that decodes re-encodes to exactly its
//      own bytes (the format has one encoding per message) and decodes again to the same
//      message.
//   1: a TCP hello (68 bytes, zero-padded); a hello that decodes re-encodes to its bytes.
//   2: a TCP frame header (4 bytes, zero-padded) against a 64 KiB bound; it re-encodes.
//   3: an AWSet value as a Delta entry carries it (from_bytes); one that decodes round-trips,
//      and is merged, delta'd and decomposed against a small state. Its context may claim
//      billions of dots in a few bytes: this is where a per-dot walk would stall.
//   4: a TCP welcome (92 bytes, zero-padded): one that decodes re-encodes to its bytes, and
//      its proof checks only if it is the acceptor's proof for the transcript it implies.
//   5: a stream of tagged frames after a handshake (wire::FrameReader under a fixed key, a
//      128 KiB frame bound and budget), built from the input: frames of chosen sizes
//      (up to past the bound), one byte flipped or none, raw bytes after. Fed byte by byte
//      (then in odd pieces), whole, or in three pieces, the same frames come out, in order, each
//      one that was sent, and the same error; what it allocates is charged, at most one step beyond
//      what arrived, and given back.
//   6: a Multi-Paxos frame (paxos::decode_message): one that decodes re-encodes to its bytes
//      and decodes again to the same message; then a replica steps it from a peer (a member,
//      so it is acted on) and must neither crash nor throw; a whole snapshot in one chunk
//      is decoded and, when it is one, installed. The bytes also go through
//      decode_snapshot: one that decodes re-encodes to its bytes.
//   7: calm-paxos's client frames (apps/paxos/client_wire.hpp): a request or a reply that
//      decodes re-encodes to its bytes; the key-value machine applies and queries the same
//      bytes as a command without throwing.
//   8: a two-phase commit frame (two_pc::decode_message), or a bundle of them (unbundle): a
//      message that decodes re-encodes to its bytes, and a bundle of such to its own; a
//      coordinator with a transaction under way and a participant holding a bank
//      (apps/two_pc/bank.hpp) step it from a peer and must neither crash nor throw, in plain
//      two-phase commit and in Paxos Commit (acceptors 5 to 7), and so does an acceptor
//      stepping it from a participant, the coordinator and another acceptor; the bank parses
//      the bytes as a payload: a list of moves, or a batch's parts, re-encodes to its bytes.
// Run with -malloc_limit_mb: an allocation sized by a length off the wire is a finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lattices/aw_set.hpp"
#include "lattices/serialize.hpp"
#include "paxos/client_wire.hpp"
#include "paxos/kv_machine.hpp"
#include "protocols/anti_entropy/message.hpp"
#include "protocols/net/tcp_wire.hpp"
#include "protocols/paxos/replica.hpp"
#include "protocols/two_pc/acceptor.hpp"
#include "protocols/two_pc/coordinator.hpp"
#include "protocols/two_pc/participant.hpp"
#include "two_pc/bank.hpp"

namespace {

using namespace calm::protocols;
using Set = calm::lattices::AWSet<std::uint64_t>;

void check(bool condition) {
  if (!condition) std::abort();
}

void fuzz_message(std::string_view bytes) {
  anti_entropy::DecodeLimits limits;
  limits.message_bytes_max = 4096;
  limits.key_bytes_max = 64;
  limits.chunk_count_max = 1000;
  anti_entropy::Message m;
  try {
    m = anti_entropy::decode_message(bytes, limits);
  } catch (const calm::lattices::DecodeError&) {
    return;
  }
  const std::string again = anti_entropy::encode_message(m);
  check(again == bytes);
  check(anti_entropy::decode_message(again, limits) == m);
}

/// Keeps the last op; snapshots are that op, so a snapshot chunk that completes (total equal
/// to its own bytes) is decoded and installed.
struct Echo {
  std::string last;
  std::string apply(const std::string& op) { return last = op; }
  std::string snapshot() const { return last; }
  void restore(std::string_view bytes) { last = bytes; }
};

void fuzz_paxos(std::string_view bytes) {
  paxos::DecodeLimits limits;
  limits.message_bytes_max = 4096;
  limits.command_bytes_max = 256;
  limits.chunks_max = 16;
  try {
    const paxos::SnapshotState s = paxos::decode_snapshot(bytes, limits);
    check(paxos::encode_snapshot(s) == bytes);
  } catch (const calm::lattices::DecodeError&) {
  }
  paxos::Message m;
  try {
    m = paxos::decode_message(bytes, limits);
  } catch (const calm::lattices::DecodeError&) {
    return;
  }
  const std::string again = paxos::encode_message(m);
  check(again == bytes);
  check(paxos::decode_message(again, limits) == m);
  paxos::Config config;
  config.self = 0;
  config.members = {0, 1, 2};
  config.limits = limits;
  paxos::Replica<Echo> replica(config, Echo{});
  host::Input input;
  input.now_ms = 1000;
  replica.tick(input);
  replica.step(1, bytes, input);
  replica.step(2, bytes, input);
  static_cast<void>(replica.ready());
}

std::string padded(std::string_view bytes, std::size_t n) {
  std::string out(bytes.substr(0, n));
  out.resize(n, '\0');
  return out;
}

void fuzz_hello(std::string_view bytes) {
  const std::string in = padded(bytes, net::wire::hello_bytes);
  const auto hello = net::wire::decode_hello(in);
  if (const auto* h = std::get_if<net::wire::Hello>(&hello)) {
    const auto again = net::wire::encode_hello(*h);
    check(std::string_view(again.data(), again.size()) == in);
  }
}

void fuzz_frame_header(std::string_view bytes) {
  const std::string in = padded(bytes, net::wire::frame_header_bytes);
  const net::wire::FrameHeader header = net::wire::decode_frame_header(in, 64 * 1024);
  check(header.within_bound == (header.payload_bytes <= 64 * 1024));
  const auto again = net::wire::encode_frame_header(header.payload_bytes);
  check(std::string_view(again.data(), again.size()) == in);
}

void fuzz_welcome(std::string_view bytes) {
  const std::string in = padded(bytes, net::wire::welcome_bytes);
  const auto welcome = net::wire::decode_welcome(in);
  const auto* w = std::get_if<net::wire::Welcome>(&welcome);
  if (w == nullptr) return;
  const auto again = net::wire::encode_welcome(*w);
  check(std::string_view(again.data(), again.size()) == in);
  net::wire::Transcript t{7, w->from, 42, w->incarnation, {}, w->nonce};
  const std::string secret(32, 's');
  const bool genuine = w->proof == net::wire::make_proof(secret, net::wire::Role::acceptor, t);
  check(net::wire::check_proof(secret, net::wire::Role::acceptor, t, w->proof) == genuine);
  check(!net::wire::check_proof(secret, net::wire::Role::initiator, t, w->proof) || !genuine);
}

const net::wire::Key fuzz_key = [] {
  net::wire::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i + 1);
  return key;
}();

/// The frames a reader hands over for `bytes` fed in the pieces that `cuts` end (when `cuts`
/// is empty: each of the first 4 KiB alone, then 997 at a time), the error it stopped at, if any;
/// its budget must balance.
struct Read {
  std::vector<std::string> frames;
  std::string error;
  bool operator==(const Read&) const = default;
};
constexpr std::size_t stream_frame_bytes_max = 128 * 1024;
// Room for one frame of the largest size, so that the result cannot depend on how the bytes
// arrived (a frame within one feed is handed over in place and costs nothing).
constexpr std::size_t stream_budget_bytes = stream_frame_bytes_max;
Read read_frames(std::string_view bytes, const std::vector<std::size_t>& cuts) {
  Read out;
  std::size_t charged = 0;
  {
    net::wire::FrameReader reader(fuzz_key, stream_frame_bytes_max,
                                  {[&](std::size_t n) {
                                     if (charged + n > stream_budget_bytes) return false;
                                     charged += n;
                                     return true;
                                   },
                                   [&](std::size_t n) {
                                     check(n <= charged);
                                     charged -= n;
                                   }});
    std::size_t fed = 0, next_cut = 0;
    try {
      while (fed < bytes.size()) {
        // Byte by byte at first, then in odd pieces (each byte alone would be slow).
        std::size_t end = cuts.empty()             ? fed + (fed < 4096 ? 1 : 997)
                          : next_cut < cuts.size() ? cuts[next_cut++]
                                                   : bytes.size();
        end = std::max(fed, std::min(end, bytes.size()));
        reader.feed(bytes.substr(fed, end - fed), [&](std::string_view payload) {
          check(payload.size() <= stream_frame_bytes_max);
          out.frames.emplace_back(payload);
        });
        fed = end;
        check(reader.held_bytes() == charged);
        // At most one step allocated beyond what arrived.
        check(charged <= fed + net::wire::payload_step_bytes);
      }
    } catch (const net::wire::FrameError& e) {
      out.error = e.what();
      check(charged == 0);  // a reader that stopped holds nothing
    }
  }
  check(charged == 0);  // and one destroyed gave everything back
  return out;
}

/// The input describes a stream: two cut points, a byte to flip (or none), then frames, each a
/// length byte and a seed for its payload; what is left after the last whole frame spec is
/// appended raw.
void fuzz_frame_stream(std::string_view input) {
  if (input.size() < 5) return;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(input[i]); };
  const std::size_t cut_a = byte(0) * 257u, cut_b = cut_a + byte(1) * 257u;
  const std::size_t flip = byte(2) * 256u + byte(3);  // 65535: none
  std::string stream;
  std::vector<std::string> payloads;
  std::size_t i = 4;
  // At most 16 frames and about 160 KiB in all.
  for (; i + 2 <= input.size() && payloads.size() < 16 && stream.size() < (160u << 10); i += 2) {
    // Mostly short; a length byte from 240 on makes one of 8.5 KB to 136 KB (past the bound).
    const std::size_t length = byte(i) < 240 ? byte(i) : (byte(i) - 239u) * 8500u;
    std::string payload(length, '\0');
    for (std::size_t k = 0; k < payload.size(); ++k) {
      payload[k] = static_cast<char>(byte(i + 1) + k * 7);
    }
    stream += net::wire::encode_frame(fuzz_key, payloads.size(), payload);
    payloads.push_back(std::move(payload));
  }
  stream += input.substr(i);
  if (flip != 65535 && flip < stream.size()) stream[flip] = static_cast<char>(stream[flip] ^ 1);
  // However the bytes arrive, the same frames come out, and the same error.
  const Read whole = read_frames(stream, {});
  check(read_frames(stream, {stream.size()}) == whole);
  check(read_frames(stream, {cut_a, cut_b}) == whole);
  // What came out was authentic: each frame is one that was sent, in order.
  check(whole.frames.size() <= payloads.size() + 1);
  for (std::size_t q = 0; q < whole.frames.size() && q < payloads.size(); ++q) {
    check(whole.frames[q] == payloads[q]);
  }
  if (flip == 65535 || flip >= stream.size()) {
    // Nothing tampered: every frame within the bound arrives, up to the first one past it.
    std::size_t expect = 0;
    while (expect < payloads.size() && payloads[expect].size() <= stream_frame_bytes_max) ++expect;
    check(whole.frames.size() == expect);  // the raw tail cannot forge a tag
  }
}

void fuzz_value(std::string_view bytes) {
  Set value;
  try {
    value = calm::lattices::from_bytes<Set>(bytes);
  } catch (const calm::lattices::DecodeError&) {
    return;
  }
  check(calm::lattices::to_bytes(value) == bytes);
  Set state;
  state.add(1, 10);
  state.add(2, 20);
  state.add(1, 30);
  state.remove(30);
  const Set joined = calm::lattices::join(state, value);
  check(calm::lattices::join(value, state) == joined);
  const Set fresh = calm::lattices::delta(value, state);
  check(calm::lattices::join(state, fresh) == joined);
  check(calm::lattices::join(value, calm::lattices::delta(state, value)) == joined);
  Set rejoined;
  for (const Set& part : calm::lattices::decompose(joined)) rejoined.merge(part);
  check(rejoined == joined);
}

void fuzz_client(std::string_view bytes) {
  namespace wire = calm::paxos_app::wire;
  constexpr std::size_t command_bytes_max = 1024;
  const auto same_frame = [&](const std::string& framed) {
    check(framed.substr(wire::header_bytes) == bytes);
  };
  try {
    const wire::Request r = wire::decode_request(bytes, command_bytes_max);
    check(r.command.size() <= command_bytes_max);
    std::string framed;
    wire::append(framed, r);
    same_frame(framed);
  } catch (const calm::lattices::DecodeError&) {
  }
  try {
    const wire::Reply r = wire::decode_reply(bytes, command_bytes_max);
    std::string framed;
    wire::append(framed, r);
    same_frame(framed);
  } catch (const calm::lattices::DecodeError&) {
  }
  calm::paxos_app::KvMachine machine;
  const std::string command(bytes);
  static_cast<void>(machine.query(command));
  static_cast<void>(machine.apply(command));
}

void fuzz_two_pc(std::string_view bytes) {
  namespace tpc = calm::protocols::two_pc;
  if (const auto moves = calm::apps::bank::parse_moves(bytes)) {
    check(calm::apps::bank::move_payload(*moves) == bytes);
  }
  if (const auto parts = calm::apps::bank::parse_parts(bytes, 1 << 16)) {
    check(calm::apps::bank::parts_payload(*parts) == bytes);
  }
  tpc::DecodeLimits limits;
  limits.message_bytes_max = 4096;
  limits.payload_bytes_max = 1024;
  // A message, or a bundle of them: each message that decodes re-encodes to its bytes, and a
  // bundle whose messages all do is what bundling them again makes (when one frame holds it).
  std::vector<std::string_view> frames;
  try {
    frames = tpc::unbundle(bytes, limits);
  } catch (const calm::lattices::DecodeError&) {
    return;
  }
  bool all_decode = true;
  std::vector<calm::protocols::host::Outgoing> again;
  for (const std::string_view frame : frames) {
    try {
      const tpc::Message m = tpc::decode_message(frame, limits);
      const std::string bytes_again = tpc::encode_message(m);
      check(bytes_again == frame);
      check(tpc::decode_message(bytes_again, limits) == m);
      again.push_back({1, bytes_again});
    } catch (const calm::lattices::DecodeError&) {
      all_decode = false;
    }
  }
  if (frames.size() == 1 && !all_decode) return;
  if (all_decode) {
    tpc::bundle_sends(again, limits);
    check(again.size() != 1 || again.front().bytes == bytes);
  }
  host::Input input;
  input.now_ms = 1000;
  for (const bool paxos_commit : {false, true}) {
    const std::vector<calm::protocols::net::NodeId> acceptors =
        paxos_commit ? std::vector<calm::protocols::net::NodeId>{5, 6, 7}
                     : std::vector<calm::protocols::net::NodeId>{};
    tpc::CoordinatorConfig cc;
    cc.self = 0;
    cc.limits = limits;
    cc.collecting_max = 4;
    cc.window_max = 16;
    cc.acceptors = acceptors;
    tpc::Coordinator coordinator(cc);
    static_cast<void>(coordinator.begin({{1, "a 1"}, {2, "b -1"}}));
    coordinator.step(1, bytes, input);
    coordinator.step(5, bytes, input);
    input.now_ms += 1000;  // past the vote timeout: a recovery ballot, if Paxos Commit
    coordinator.tick(input);
    coordinator.step(6, bytes, input);
    static_cast<void>(coordinator.ready());
    tpc::ParticipantConfig pc;
    pc.self = 1;
    pc.limits = limits;
    pc.window_max = 16;
    pc.acceptors = acceptors;
    tpc::Participant<calm::apps::bank::Bank> participant(pc, calm::apps::bank::Bank{});
    participant.step(0, bytes, input);
    participant.step(2, bytes, input);
    participant.step(5, bytes, input);
    input.now_ms += 2000;  // past recovery_ms
    participant.tick(input);
    participant.step(6, bytes, input);
    static_cast<void>(participant.ready());
    check(participant.in_doubt() + participant.waiting_for_app() + participant.finished_records() <=
          2);
  }
  tpc::AcceptorConfig ac;
  ac.self = 5;
  ac.limits = limits;
  ac.records_max = 2;
  tpc::Acceptor acceptor(ac);
  acceptor.step(1, bytes, input);
  acceptor.step(0, bytes, input);
  acceptor.step(6, bytes, input);
  input.now_ms += 1000;
  acceptor.tick(input);
  static_cast<void>(acceptor.ready());
  check(acceptor.records() <= 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      fuzz_message(rest);
      break;
    case 1:
      fuzz_hello(rest);
      break;
    case 2:
      fuzz_frame_header(rest);
      break;
    case 3:
      fuzz_value(rest);
      break;
    case 4:
      fuzz_welcome(rest);
      break;
    case 5:
      fuzz_frame_stream(rest);
      break;
    case 6:
      fuzz_paxos(rest);
      break;
    case 7:
      fuzz_client(rest);
      break;
    default:
      fuzz_two_pc(rest);
      break;
  }
  return 0;
}
