// The anti-entropy wire format: what a frame holds, and every way a bad frame is refused.
#include "protocols/anti_entropy/message.hpp"

#include <gtest/gtest.h>

#include <lattices/core.hpp>
#include <string>

namespace calm::protocols::anti_entropy {
namespace {

using lattices::DecodeError;

DeltaMessage sample_delta() {
  DeltaMessage d;
  d.from = 3;
  d.to = 7;
  d.incarnation = 0xabcdef;
  d.interval_end = 42;
  d.chunk_index = 1;
  d.chunk_count = 3;
  d.full_state = true;
  d.entries = {{"cart", "\x01value"}, {"", ""}};
  return d;
}

AckMessage sample_ack() {
  AckMessage a;
  a.from = 7;
  a.to = 3;
  a.incarnation = 9;
  a.acked_incarnation = 0xabcdef;
  a.interval_end = 42;
  a.chunk_index = 2;
  a.chunk_count = 3;
  return a;
}

TEST(Message, DeltaRoundTrips) {
  const Message m = sample_delta();
  EXPECT_EQ(decode_message(encode_message(m), DecodeLimits{}), m);
}

TEST(Message, AckRoundTrips) {
  const Message m = sample_ack();
  EXPECT_EQ(decode_message(encode_message(m), DecodeLimits{}), m);
}

TEST(Message, HeaderFitsTheStatedBound) {
  DeltaMessage empty;
  EXPECT_LE(encode_message(empty).size(), delta_header_bytes_max);
  DeltaMessage one;
  one.entries = {{"k", "v"}};
  EXPECT_LE(encode_message(one).size(), delta_header_bytes_max + 2 + entry_overhead_bytes);
}

TEST(Message, EveryTruncationIsRejected) {
  const std::string bytes = encode_message(sample_delta());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(decode_message(bytes.substr(0, n), DecodeLimits{}), DecodeError) << n;
  }
}

TEST(Message, TrailingBytesAreRejected) {
  EXPECT_THROW(decode_message(encode_message(sample_ack()) + "x", DecodeLimits{}), DecodeError);
}

TEST(Message, GarbageIsRejected) {
  EXPECT_THROW(decode_message("hello, world", DecodeLimits{}), DecodeError);
  EXPECT_THROW(decode_message(std::string(100, '\xff'), DecodeLimits{}), DecodeError);
  EXPECT_THROW(decode_message(std::string(100, '\x01'), DecodeLimits{}), DecodeError);
}

TEST(Message, UnknownVersionOrKindIsRejected) {
  std::string bytes = encode_message(sample_ack());
  bytes[1] = 2;  // version
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);
  bytes = encode_message(sample_ack());
  bytes[2] = 9;  // kind
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);
}

TEST(Message, FrameAboveTheSizeBoundIsRejected) {
  DeltaMessage d = sample_delta();
  d.entries = {{"k", std::string(2000, 'x')}};
  DecodeLimits limits;
  limits.message_bytes_max = 1024;
  EXPECT_THROW(decode_message(encode_message(d), limits), DecodeError);
  limits.message_bytes_max = 4096;
  EXPECT_NO_THROW(decode_message(encode_message(d), limits));
}

TEST(Message, KeyAboveItsBoundIsRejected) {
  DeltaMessage d = sample_delta();
  d.entries = {{std::string(100, 'k'), "v"}};
  DecodeLimits limits;
  limits.key_bytes_max = 99;
  EXPECT_THROW(decode_message(encode_message(d), limits), DecodeError);
}

TEST(Message, ChunkIndexOutsideTheCountIsRejected) {
  DeltaMessage d = sample_delta();
  d.chunk_index = 3;
  d.chunk_count = 3;
  EXPECT_THROW(decode_message(encode_message(d), DecodeLimits{}), DecodeError);
  d.chunk_index = 0;
  d.chunk_count = 0;
  EXPECT_THROW(decode_message(encode_message(d), DecodeLimits{}), DecodeError);
  AckMessage a = sample_ack();
  a.chunk_index = 5;
  EXPECT_THROW(decode_message(encode_message(a), DecodeLimits{}), DecodeError);
}

TEST(Message, AbsurdLengthsFailWithoutAllocating) {
  // An entry count and a value length of 2^60: rejected against the frame's size.
  DeltaMessage d;
  std::string bytes = encode_message(d);
  const std::size_t count_at = bytes.size() - 8;
  bytes[count_at + 7] = 0x10;
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);

  d.entries = {{"k", "v"}};
  bytes = encode_message(d);
  const std::size_t value_length_at = bytes.size() - 1 - 8;
  bytes[value_length_at + 7] = 0x10;
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);
}

TEST(Message, NonCanonicalFlagIsRejected) {
  DeltaMessage d = sample_delta();
  std::string bytes = encode_message(d);
  // full_state is the byte after the chunk count: header (1) + version, kind (2) +
  // from, to, incarnation, interval_end (32) + index, count (8).
  bytes[1 + 2 + 32 + 8] = 2;
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);
}

}  // namespace
}  // namespace calm::protocols::anti_entropy
