// The anti-entropy wire format: what a frame holds, and every way a bad frame is refused.
#include "protocols/anti_entropy/message.hpp"

#include <gtest/gtest.h>

#include <string>

#include "lattices/core.hpp"

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
  bytes[0] = 1;  // version 1 was cereal's layout
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);
  bytes = encode_message(sample_ack());
  bytes[1] = 9;  // kind
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

/// n as a varint: 7 bits a byte, low first.
std::string varint(std::uint64_t n) {
  std::string out;
  for (; n >= 0x80; n >>= 7) out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  out.push_back(static_cast<char>(n));
  return out;
}

TEST(Message, AbsurdLengthsFailWithoutAllocating) {
  // An entry count and a value length of 2^60: rejected against the frame's size.
  DeltaMessage d;
  std::string bytes = encode_message(d);
  ASSERT_EQ(bytes.back(), '\0');  // the entry count
  bytes.pop_back();
  EXPECT_THROW(decode_message(bytes + varint(std::uint64_t{1} << 60), DecodeLimits{}), DecodeError);

  d.entries = {{"k", "v"}};
  bytes = encode_message(d);
  bytes.resize(bytes.size() - 2);  // the value's length and byte
  EXPECT_THROW(decode_message(bytes + varint(std::uint64_t{1} << 60) + "v", DecodeLimits{}),
               DecodeError);
}

TEST(Message, NonCanonicalKindIsRejected) {
  std::string bytes = encode_message(sample_delta());
  ASSERT_EQ(static_cast<unsigned char>(bytes[1]), 0x81u);  // a Delta of a full state
  bytes[1] = '\x41';                                       // an unknown flag
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);
  bytes = encode_message(sample_ack());
  bytes[1] = '\x82';  // only a Delta has a full state
  EXPECT_THROW(decode_message(bytes, DecodeLimits{}), DecodeError);
}

TEST(Message, AVarintNotInItsShortestFormOrAbove64BitsIsRejected) {
  const std::string bytes = encode_message(sample_ack());
  ASSERT_EQ(bytes[2], '\x07');  // from = 7, one byte
  // 7 with a redundant zero group: the same number, a second encoding.
  EXPECT_THROW(decode_message(bytes.substr(0, 2) + "\x87\x00" + bytes.substr(3), DecodeLimits{}),
               DecodeError);
  // Ten bytes whose last carries more than the 64th bit.
  EXPECT_THROW(
      decode_message(bytes.substr(0, 2) + std::string(9, '\xff') + "\x02" + bytes.substr(3),
                     DecodeLimits{}),
      DecodeError);
  // The largest from, 2^64 - 1, is ten bytes and round-trips.
  AckMessage a = sample_ack();
  a.from = UINT64_MAX;
  EXPECT_EQ(std::get<AckMessage>(decode_message(encode_message(a), DecodeLimits{})), a);
}

TEST(Message, HeadersAreSmall) {
  // What a delta of one small key and its ack cost on top of the value: version 1 spent 120.
  DeltaMessage d;
  d.from = 3;
  d.to = 4;
  d.interval_end = 200;
  d.entries = {{"k", std::string(73, 'v')}};
  EXPECT_EQ(encode_message(d).size() - 73, 20u);
  AckMessage a;
  a.from = 4;
  a.to = 3;
  a.interval_end = 200;
  EXPECT_EQ(encode_message(a).size(), 24u);
}

}  // namespace
}  // namespace calm::protocols::anti_entropy
