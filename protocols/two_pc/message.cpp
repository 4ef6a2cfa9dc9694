#include "protocols/two_pc/message.hpp"

#include <lattices/core.hpp>

#include "protocols/net/frame_codec.hpp"

namespace calm::protocols::two_pc {

namespace {

using net::codec::put_bytes;
using net::codec::put_varint;
using Reader = net::codec::Reader;

constexpr std::uint8_t format_version = 1;

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

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void put_hex(std::string& out, std::uint64_t n, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(hex[(n >> (4 * i)) & 15]);
}
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
                 },
                 [&](const Vote& m) {
                   put_tx(out, m.tx);
                   out.push_back(m.yes ? 1 : 0);
                 },
                 [&](const Decision& m) {
                   put_tx(out, m.tx);
                   out.push_back(m.commit ? 1 : 0);
                   put_varint(out, m.epoch);
                   put_varint(out, m.watermark);
                 },
                 [&](const Ack& m) { put_tx(out, m.tx); },
                 [&](const Progress& m) {
                   put_varint(out, m.epoch);
                   put_varint(out, m.watermark);
                 },
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
      message = std::move(m);
      break;
    }
    case 2: {
      Vote m;
      m.tx = read_tx(in, limits);
      m.yes = read_flag(in);
      message = m;
      break;
    }
    case 3: {
      Decision m;
      m.tx = read_tx(in, limits);
      m.commit = read_flag(in);
      m.epoch = read_number(in, limits);
      m.watermark = read_number(in, limits);
      message = m;
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
    default:
      throw lattices::DecodeError("two-pc: unknown message kind");
  }
  in.expect_end();
  return message;
}

std::string tx_key(const TxId& tx) {
  std::string key;
  key.reserve(16 * 3 + 2);
  put_hex(key, tx.coordinator, 16);
  key.push_back('.');
  put_hex(key, tx.epoch, 16);
  key.push_back('.');
  put_hex(key, tx.number, 16);
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
