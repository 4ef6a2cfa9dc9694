#pragma once
/// The TCP runtime's byte formats and its authentication, as pure functions (what tcp.cpp
/// reads off a socket and writes to it, and what the frame fuzzer feeds). Wire version 2.
///
/// A connection is opened by an initiator (the node that sends on it) to an acceptor (the node
/// that receives). Both hold the cluster secret S. Integers are little-endian.
///
///   hello    initiator -> acceptor, 68 bytes: magic "calm-net", u32 version, u64 initiator
///            id, u64 acceptor id (whom it means to reach), u64 initiator incarnation,
///            32-byte nonce Ni
///   welcome  acceptor -> initiator, 92 bytes: magic "calm-net", u32 version, u64 acceptor id,
///            u64 acceptor incarnation, 32-byte nonce Na, 32-byte proof Pa
///   proof    initiator -> acceptor, 32 bytes: proof Pi
///   frames   initiator -> acceptor: u32 payload length n, n payload bytes, 16-byte tag
///
/// The transcript T (108 bytes) is: magic, u32 version, u64 initiator id, u64 acceptor id, u64
/// initiator incarnation, u64 acceptor incarnation, Ni, Na. Then
///
///   Pa = HMAC-SHA256(S, "calm-net v2 acceptor proof"  || T)
///   Pi = HMAC-SHA256(S, "calm-net v2 initiator proof" || T)
///   K  = HMAC-SHA256(S, "calm-net v2 frame key initiator->acceptor" || T)
///   tag of frame number q (0, 1, ... on this connection) =
///        the first 16 bytes of HMAC-SHA256(K, u64 q || u32 n || payload)
///
/// Each side's nonce is fresh (RAND_bytes), so a proof from another connection never
/// verifies; the role labels keep an acceptor's proof from serving as an initiator's (no
/// reflection); ids, incarnations and version are in T, so a proof is bound to who talks to
/// whom in which life. Frames are bound to the connection by K (derived from both nonces) and
/// to their position by q, which is implicit: an injected, replayed, reordered or spliced
/// frame fails its tag. Tags are truncated to 16 bytes: a forger must guess 2^128 values and
/// a wrong guess closes the connection (a new attempt needs a new authenticated handshake),
/// while 16 bytes per frame are saved; truncation of HMAC to half its output is standard
/// (RFC 2104 section 5).
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/net/transport.hpp"

namespace calm::protocols::net::wire {

inline constexpr std::uint32_t version = 2;
inline constexpr std::size_t nonce_bytes = 32;
inline constexpr std::size_t proof_bytes = 32;
inline constexpr std::size_t tag_bytes = 16;
inline constexpr std::size_t hello_bytes = 8 + 4 + 8 + 8 + 8 + nonce_bytes;
inline constexpr std::size_t welcome_bytes = 8 + 4 + 8 + 8 + nonce_bytes + proof_bytes;
inline constexpr std::size_t transcript_bytes = 8 + 4 + 4 * 8 + 2 * nonce_bytes;
inline constexpr std::size_t frame_header_bytes = 4;
/// Every handshake message starts with the magic and the version.
inline constexpr std::size_t preamble_bytes = 8 + 4;
/// A cluster secret must hold at least this many bytes (256 bits: HMAC-SHA256's strength).
inline constexpr std::size_t secret_bytes_min = 32;
/// A secret file is read up to this size; a longer file is refused, not truncated.
inline constexpr std::size_t secret_bytes_max = 4096;

using Nonce = std::array<unsigned char, nonce_bytes>;
using Proof = std::array<unsigned char, proof_bytes>;
using Tag = std::array<unsigned char, tag_bytes>;
using Key = std::array<unsigned char, 32>;

struct Hello {
  NodeId from = 0;
  NodeId to = 0;
  std::uint64_t incarnation = 0;
  Nonce nonce{};
  friend bool operator==(const Hello&, const Hello&) = default;
};

struct Welcome {
  NodeId from = 0;
  std::uint64_t incarnation = 0;
  Nonce nonce{};
  Proof proof{};
  friend bool operator==(const Welcome&, const Welcome&) = default;
};

/// What both sides know once the hello and welcome are exchanged.
struct Transcript {
  NodeId initiator = 0;
  NodeId acceptor = 0;
  std::uint64_t initiator_incarnation = 0;
  std::uint64_t acceptor_incarnation = 0;
  Nonce initiator_nonce{};
  Nonce acceptor_nonce{};
};

enum class Role { initiator, acceptor };

/// Why a handshake message starting with `bytes` (preamble_bytes long) must be refused (bad
/// magic, another version), or empty.
std::string preamble_error(std::string_view bytes);

std::array<char, hello_bytes> encode_hello(const Hello& hello);
/// The hello, or why the connection must be refused (bad magic, another version). `bytes`
/// must be hello_bytes long.
std::variant<Hello, std::string> decode_hello(std::string_view bytes);
std::array<char, welcome_bytes> encode_welcome(const Welcome& welcome);
/// `bytes` must be welcome_bytes long.
std::variant<Welcome, std::string> decode_welcome(std::string_view bytes);

std::array<char, transcript_bytes> encode_transcript(const Transcript& t);
/// What `role` sends to prove it holds `secret`.
Proof make_proof(std::string_view secret, Role role, const Transcript& t);
/// Whether `proof` is `role`'s proof for `t` (compared in constant time).
bool check_proof(std::string_view secret, Role role, const Transcript& t, const Proof& proof);
/// The key that tags the frames the initiator sends on this connection.
Key frame_key(std::string_view secret, const Transcript& t);

/// HMAC-SHA256 under one connection's frame key, keyed once: each frame's tag restarts it
/// (OpenSSL's key setup costs several times a small frame's tag). A tag covers the frame's
/// number, its length and its payload, which may be given in any number of pieces.
class FrameMac {
 public:
  explicit FrameMac(const Key& key);
  ~FrameMac();
  FrameMac(const FrameMac&) = delete;
  FrameMac& operator=(const FrameMac&) = delete;
  /// Starts frame `sequence`'s tag (abandoning any tag under way).
  void start(std::uint64_t sequence, std::uint32_t payload_bytes);
  void update(std::string_view payload_piece);
  Tag finish();
  /// start, update and finish for a payload in one piece.
  Tag tag(std::uint64_t sequence, std::string_view payload);

 private:
  void* ctx_;  // an OpenSSL EVP_MAC_CTX, kept out of this header
};
/// A one-off tag (FrameMac keys a context for it).
Tag frame_tag(const Key& key, std::uint64_t sequence, std::string_view payload);
/// Constant-time comparison (CRYPTO_memcmp).
bool tags_equal(const Tag& a, const Tag& b);
/// A whole frame as the initiator sends it: header, payload, tag.
std::string encode_frame(const Key& key, std::uint64_t sequence, std::string_view payload);

std::array<char, frame_header_bytes> encode_frame_header(std::uint32_t payload_bytes);
struct FrameHeader {
  std::uint32_t payload_bytes = 0;
  /// Whether payload_bytes is within the reader's frame_bytes_max; a frame above it is
  /// refused at its header, before anything is allocated.
  bool within_bound = false;
};
/// `bytes` must be frame_header_bytes long.
FrameHeader decode_frame_header(std::string_view bytes, std::size_t frame_bytes_max);

/// Why a FrameReader stopped: the connection is then closed.
struct FrameError : std::runtime_error {
  enum class Kind { too_large, bad_tag, over_budget };
  FrameError(Kind k, std::uint64_t n, const std::string& what)
      : std::runtime_error(what), kind(k), number(n) {}
  Kind kind;
  /// too_large: the length the header claims; bad_tag: the frame's number; over_budget: the
  /// bytes refused.
  std::uint64_t number;
};

/// An incomplete frame's payload is kept in steps of at most this many bytes, each allocated
/// (and charged) when the first byte for it arrives.
inline constexpr std::size_t payload_step_bytes = 64 * 1024;

/// Where a FrameReader accounts what it allocates for incomplete frames: `charge(n)` before it
/// allocates n bytes (false refuses them: the reader throws FrameError over_budget), `refund(n)`
/// when it frees them. Either may be empty.
struct FrameBudget {
  std::function<bool(std::size_t)> charge;
  std::function<void(std::size_t)> refund;
};

/// Reads the frames of a byte stream that follows a completed handshake: what TcpRuntime's
/// incoming connections run, and what the fuzzer drives. `feed` takes bytes as they arrive
/// and hands every whole, authentic frame among them to `on_frame` at once, in order (a frame
/// that lies wholly within one `feed` is handed over in place, not copied). Of a frame not yet
/// complete it keeps its payload so far in steps of payload_step_bytes, each allocated and
/// charged to the budget as the first byte for it arrives (`held_bytes`: at most one step
/// beyond what arrived), its header and tag in fixed arrays. A header above `frame_bytes_max`
/// throws FrameError before anything is allocated for that frame; a tag that does not check
/// throws before the frame is handed over; so does a step the budget refuses. The reader is
/// then spent: feeding it again throws std::logic_error.
class FrameReader {
 public:
  FrameReader(const Key& key, std::size_t frame_bytes_max, FrameBudget budget = {});
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  template <class OnFrame>
  void feed(std::string_view bytes, OnFrame&& on_frame) {
    while (!bytes.empty()) {
      if (const auto whole = next(bytes)) {
        on_frame(*whole);
        if (!joined_.empty()) std::string().swap(joined_);  // held no longer than the call
      }
    }
  }
  /// Bytes allocated (and charged) for the incomplete frame's payload.
  std::size_t held_bytes() const { return held_; }
  /// Whether a frame has begun (any byte of it received) and is not complete.
  bool mid_frame() const { return header_have_ > 0; }
  std::uint64_t frames_read() const { return sequence_; }

 private:
  /// Consumes what it can from the front of `bytes`; a whole frame when one completes.
  std::optional<std::string_view> next(std::string_view& bytes);
  /// Frees the incomplete frame's pieces and gives their bytes back to the budget.
  void release();

  FrameMac mac_;
  std::size_t max_;
  FrameBudget budget_;
  bool spent_ = false;
  std::uint64_t sequence_ = 0;
  std::array<char, frame_header_bytes> header_{};
  std::size_t header_have_ = 0;
  std::uint32_t payload_bytes_ = 0;
  std::vector<std::string> pieces_;  // the incomplete frame's payload, one step each
  std::size_t held_ = 0;             // the steps allocated
  std::size_t received_ = 0;         // the payload bytes in them
  std::size_t room_ = 0;             // left in the last step
  Tag tag_{};
  std::size_t tag_have_ = 0;
  std::string joined_;  // a payload that spanned feeds, joined to hand over
};

/// Reads a cluster secret from `path`: its bytes, one trailing newline ("\n" or "\r\n")
/// removed. Throws std::runtime_error if the file cannot be read, holds fewer than
/// secret_bytes_min bytes, or more than secret_bytes_max.
std::string read_secret_file(const std::string& path);

}  // namespace calm::protocols::net::wire
