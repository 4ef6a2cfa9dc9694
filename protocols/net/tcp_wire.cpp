#include "protocols/net/tcp_wire.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace calm::protocols::net::wire {
namespace {

constexpr std::array<char, 8> magic{'c', 'a', 'l', 'm', '-', 'n', 'e', 't'};
constexpr std::string_view acceptor_label = "calm-net v2 acceptor proof";
constexpr std::string_view initiator_label = "calm-net v2 initiator proof";
constexpr std::string_view frame_key_label = "calm-net v2 frame key initiator->acceptor";

void put_le(char* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}
std::uint64_t get_le(const char* in, std::size_t bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  }
  return value;
}

std::string check_preamble(const char* in) {
  if (std::memcmp(in, magic.data(), magic.size()) != 0) {
    return "not a calm connection (bad magic)";
  }
  const std::uint64_t v = get_le(in + 8, 4);
  if (v != version) {
    return "wire version " + std::to_string(v) + ", expected " + std::to_string(version);
  }
  return {};
}

/// OpenSSL's HMAC, fetched once (thread-safe: a function-local static).
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw std::runtime_error("OpenSSL has no HMAC");
  return mac;
}

/// A new HMAC-SHA256 context keyed with `key` (which may be empty: no cluster secret).
EVP_MAC_CTX* hmac_start(const unsigned char* key, std::size_t key_bytes) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(hmac_algorithm());
  if (ctx == nullptr) throw std::bad_alloc();
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  // A non-null pointer even for an empty key: OpenSSL takes null as "no key given".
  static const unsigned char no_key = 0;
  if (EVP_MAC_init(ctx, key_bytes == 0 ? &no_key : key, key_bytes, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    throw std::runtime_error("HMAC-SHA256 failed to start");
  }
  return ctx;
}

void hmac_update(EVP_MAC_CTX* ctx, const void* bytes, std::size_t n) {
  if (EVP_MAC_update(ctx, static_cast<const unsigned char*>(bytes), n) != 1) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
}

std::array<unsigned char, 32> hmac_finish(EVP_MAC_CTX* ctx) {
  std::array<unsigned char, 32> out{};
  std::size_t length = 0;
  if (EVP_MAC_final(ctx, out.data(), &length, out.size()) != 1 || length != out.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return out;
}

/// HMAC-SHA256(key, label || message).
std::array<unsigned char, 32> hmac(std::string_view key, std::string_view label,
                                   std::string_view message) {
  EVP_MAC_CTX* ctx = hmac_start(reinterpret_cast<const unsigned char*>(key.data()), key.size());
  try {
    hmac_update(ctx, label.data(), label.size());
    hmac_update(ctx, message.data(), message.size());
    const auto out = hmac_finish(ctx);
    EVP_MAC_CTX_free(ctx);
    return out;
  } catch (...) {
    EVP_MAC_CTX_free(ctx);
    throw;
  }
}

std::string_view view(const std::array<char, transcript_bytes>& a) { return {a.data(), a.size()}; }

}  // namespace

std::string preamble_error(std::string_view bytes) {
  if (bytes.size() != preamble_bytes) throw std::invalid_argument("preamble_error: wrong size");
  return check_preamble(bytes.data());
}

std::array<char, hello_bytes> encode_hello(const Hello& hello) {
  std::array<char, hello_bytes> h{};
  std::memcpy(h.data(), magic.data(), magic.size());
  put_le(h.data() + 8, version, 4);
  put_le(h.data() + 12, hello.from, 8);
  put_le(h.data() + 20, hello.to, 8);
  put_le(h.data() + 28, hello.incarnation, 8);
  std::memcpy(h.data() + 36, hello.nonce.data(), nonce_bytes);
  return h;
}

std::variant<Hello, std::string> decode_hello(std::string_view bytes) {
  if (bytes.size() != hello_bytes) throw std::invalid_argument("decode_hello: wrong size");
  if (std::string why = check_preamble(bytes.data()); !why.empty()) return why;
  Hello h;
  h.from = get_le(bytes.data() + 12, 8);
  h.to = get_le(bytes.data() + 20, 8);
  h.incarnation = get_le(bytes.data() + 28, 8);
  std::memcpy(h.nonce.data(), bytes.data() + 36, nonce_bytes);
  return h;
}

std::array<char, welcome_bytes> encode_welcome(const Welcome& welcome) {
  std::array<char, welcome_bytes> w{};
  std::memcpy(w.data(), magic.data(), magic.size());
  put_le(w.data() + 8, version, 4);
  put_le(w.data() + 12, welcome.from, 8);
  put_le(w.data() + 20, welcome.incarnation, 8);
  std::memcpy(w.data() + 28, welcome.nonce.data(), nonce_bytes);
  std::memcpy(w.data() + 28 + nonce_bytes, welcome.proof.data(), proof_bytes);
  return w;
}

std::variant<Welcome, std::string> decode_welcome(std::string_view bytes) {
  if (bytes.size() != welcome_bytes) throw std::invalid_argument("decode_welcome: wrong size");
  if (std::string why = check_preamble(bytes.data()); !why.empty()) return why;
  Welcome w;
  w.from = get_le(bytes.data() + 12, 8);
  w.incarnation = get_le(bytes.data() + 20, 8);
  std::memcpy(w.nonce.data(), bytes.data() + 28, nonce_bytes);
  std::memcpy(w.proof.data(), bytes.data() + 28 + nonce_bytes, proof_bytes);
  return w;
}

std::array<char, transcript_bytes> encode_transcript(const Transcript& t) {
  std::array<char, transcript_bytes> out{};
  std::memcpy(out.data(), magic.data(), magic.size());
  put_le(out.data() + 8, version, 4);
  put_le(out.data() + 12, t.initiator, 8);
  put_le(out.data() + 20, t.acceptor, 8);
  put_le(out.data() + 28, t.initiator_incarnation, 8);
  put_le(out.data() + 36, t.acceptor_incarnation, 8);
  std::memcpy(out.data() + 44, t.initiator_nonce.data(), nonce_bytes);
  std::memcpy(out.data() + 44 + nonce_bytes, t.acceptor_nonce.data(), nonce_bytes);
  return out;
}

Proof make_proof(std::string_view secret, Role role, const Transcript& t) {
  const auto transcript = encode_transcript(t);
  return hmac(secret, role == Role::acceptor ? acceptor_label : initiator_label, view(transcript));
}

bool check_proof(std::string_view secret, Role role, const Transcript& t, const Proof& proof) {
  const Proof expected = make_proof(secret, role, t);
  return CRYPTO_memcmp(expected.data(), proof.data(), proof_bytes) == 0;
}

Key frame_key(std::string_view secret, const Transcript& t) {
  const auto transcript = encode_transcript(t);
  return hmac(secret, frame_key_label, view(transcript));
}

FrameMac::FrameMac(const Key& key) : ctx_(hmac_start(key.data(), key.size())) {}

FrameMac::~FrameMac() { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(ctx_)); }

void FrameMac::start(std::uint64_t sequence, std::uint32_t payload_bytes) {
  // A null key restarts the context under the key it was given.
  if (EVP_MAC_init(static_cast<EVP_MAC_CTX*>(ctx_), nullptr, 0, nullptr) != 1) {
    throw std::runtime_error("HMAC-SHA256 failed to restart");
  }
  std::array<char, 12> prefix{};
  put_le(prefix.data(), sequence, 8);
  put_le(prefix.data() + 8, payload_bytes, 4);
  hmac_update(static_cast<EVP_MAC_CTX*>(ctx_), prefix.data(), prefix.size());
}

void FrameMac::update(std::string_view piece) {
  hmac_update(static_cast<EVP_MAC_CTX*>(ctx_), piece.data(), piece.size());
}

Tag FrameMac::finish() {
  const auto full = hmac_finish(static_cast<EVP_MAC_CTX*>(ctx_));
  Tag tag{};
  std::memcpy(tag.data(), full.data(), tag_bytes);
  return tag;
}

Tag FrameMac::tag(std::uint64_t sequence, std::string_view payload) {
  assert(payload.size() <= UINT32_MAX);
  start(sequence, static_cast<std::uint32_t>(payload.size()));
  update(payload);
  return finish();
}

Tag frame_tag(const Key& key, std::uint64_t sequence, std::string_view payload) {
  return FrameMac(key).tag(sequence, payload);
}

bool tags_equal(const Tag& a, const Tag& b) {
  return CRYPTO_memcmp(a.data(), b.data(), tag_bytes) == 0;
}

std::string encode_frame(const Key& key, std::uint64_t sequence, std::string_view payload) {
  if (payload.size() > UINT32_MAX) throw std::length_error("encode_frame: payload above 4 GiB");
  const auto header = encode_frame_header(static_cast<std::uint32_t>(payload.size()));
  const Tag tag = frame_tag(key, sequence, payload);
  std::string frame;
  frame.reserve(header.size() + payload.size() + tag.size());
  frame.append(header.data(), header.size());
  frame.append(payload);
  frame.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return frame;
}

std::array<char, frame_header_bytes> encode_frame_header(std::uint32_t payload_bytes) {
  std::array<char, frame_header_bytes> h{};
  put_le(h.data(), payload_bytes, 4);
  return h;
}

FrameHeader decode_frame_header(std::string_view bytes, std::size_t frame_bytes_max) {
  if (bytes.size() != frame_header_bytes) {
    throw std::invalid_argument("decode_frame_header: not 4 bytes");
  }
  const auto n = static_cast<std::uint32_t>(get_le(bytes.data(), 4));
  return {n, n <= frame_bytes_max};
}

FrameReader::FrameReader(const Key& key, std::size_t frame_bytes_max, FrameBudget budget)
    : mac_(key), max_(frame_bytes_max), budget_(std::move(budget)) {}
FrameReader::~FrameReader() { release(); }

void FrameReader::release() {
  pieces_ = {};  // frees the capacity too
  if (held_ != 0 && budget_.refund) budget_.refund(held_);
  held_ = received_ = room_ = 0;
}

std::optional<std::string_view> FrameReader::next(std::string_view& bytes) {
  if (spent_) throw std::logic_error("FrameReader: fed after it stopped on an error");
  const auto fail = [&](FrameError::Kind kind, std::uint64_t number, const std::string& what) {
    spent_ = true;
    release();
    return FrameError(kind, number, what);
  };
  if (header_have_ < frame_header_bytes) {
    const std::size_t n = std::min(frame_header_bytes - header_have_, bytes.size());
    std::memcpy(header_.data() + header_have_, bytes.data(), n);
    header_have_ += n;
    bytes.remove_prefix(n);
    if (header_have_ < frame_header_bytes) return std::nullopt;
    const FrameHeader header =
        decode_frame_header(std::string_view(header_.data(), header_.size()), max_);
    if (!header.within_bound) {
      throw fail(
          FrameError::Kind::too_large, header.payload_bytes,
          "a frame of " + std::to_string(header.payload_bytes) + " bytes, above frame_bytes_max");
    }
    payload_bytes_ = header.payload_bytes;
    // The rest of the frame within these bytes: checked and handed over in place.
    if (bytes.size() >= std::size_t{payload_bytes_} + tag_bytes) {
      const std::string_view payload = bytes.substr(0, payload_bytes_);
      std::memcpy(tag_.data(), bytes.data() + payload_bytes_, tag_bytes);
      if (!tags_equal(mac_.tag(sequence_, payload), tag_)) {
        throw fail(FrameError::Kind::bad_tag, sequence_,
                   "frame " + std::to_string(sequence_) + " fails its tag");
      }
      bytes.remove_prefix(payload_bytes_ + tag_bytes);
      ++sequence_;
      header_have_ = 0;
      return payload;
    }
    mac_.start(sequence_, payload_bytes_);
  }
  // The frame spans feeds: its payload kept as it arrives, its tag when it has come.
  while (received_ < payload_bytes_ && !bytes.empty()) {
    if (room_ == 0) {
      const std::size_t step =
          std::min<std::size_t>(payload_step_bytes, payload_bytes_ - received_);
      if (budget_.charge && !budget_.charge(step)) {
        throw fail(FrameError::Kind::over_budget, step,
                   "a step of " + std::to_string(step) + " bytes above the budget");
      }
      held_ += step;
      pieces_.emplace_back();
      pieces_.back().reserve(step);
      room_ = step;
    }
    const std::size_t n = std::min(room_, bytes.size());
    pieces_.back().append(bytes.data(), n);
    mac_.update(bytes.substr(0, n));
    room_ -= n;
    received_ += n;
    bytes.remove_prefix(n);
  }
  if (received_ < payload_bytes_) return std::nullopt;
  const std::size_t n = std::min(tag_bytes - tag_have_, bytes.size());
  std::memcpy(tag_.data() + tag_have_, bytes.data(), n);
  tag_have_ += n;
  bytes.remove_prefix(n);
  if (tag_have_ < tag_bytes) return std::nullopt;
  if (!tags_equal(mac_.finish(), tag_)) {
    throw fail(FrameError::Kind::bad_tag, sequence_,
               "frame " + std::to_string(sequence_) + " fails its tag");
  }
  // One piece is handed over as it is; several are joined (a transient copy of one frame).
  if (pieces_.size() == 1) {
    joined_ = std::move(pieces_.front());
  } else {
    joined_.clear();
    joined_.reserve(payload_bytes_);
    for (const std::string& piece : pieces_) joined_ += piece;
  }
  release();
  tag_have_ = header_have_ = 0;
  ++sequence_;
  return std::string_view(joined_);
}

std::string read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the cluster secret file " + path);
  std::string secret(secret_bytes_max + 1, '\0');
  in.read(secret.data(), static_cast<std::streamsize>(secret.size()));
  if (in.bad()) throw std::runtime_error("cannot read the cluster secret file " + path);
  secret.resize(static_cast<std::size_t>(in.gcount()));
  if (secret.size() > secret_bytes_max) {
    throw std::runtime_error("the cluster secret file " + path + " holds more than " +
                             std::to_string(secret_bytes_max) + " bytes");
  }
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.size() < secret_bytes_min) {
    throw std::runtime_error("the cluster secret in " + path + " has " +
                             std::to_string(secret.size()) + " bytes; at least " +
                             std::to_string(secret_bytes_min) + " are needed (e.g. " +
                             "head -c 32 /dev/urandom | base64 > " + path + ")");
  }
  return secret;
}

}  // namespace calm::protocols::net::wire
