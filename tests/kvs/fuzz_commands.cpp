// libFuzzer target: command dispatch. The input is decoded into commands (a name from
// CommandProcessor::command_names(), arguments drawn from keys, integers at the edges of
// int64, option words and raw bytes) run at two replicas whose keys are merged into each other
// on demand, so that concurrent states (counters past int64, concurrent writes of one field)
// are reached; or into raw RESP bytes for the parser. Nothing may throw out of a command, and
// every reply must be one well-formed RESP reply; the memory limits of the CTest run
// (-malloc_limit_mb, -rss_limit_mb) catch a command that allocates beyond its data.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kvs/commands.hpp"
#include "memory_keyspace.hpp"

namespace {

using namespace calm::apps::kvs;

/// Reads the fuzz input a byte at a time; zeros once it is used up.
struct Input {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;
  bool done() const { return at >= size; }
  std::uint8_t byte() { return at < size ? data[at++] : 0; }
  std::string bytes(std::size_t n) {
    n = std::min(n, size - std::min(at, size));
    std::string out(reinterpret_cast<const char*>(data + at), n);
    at += n;
    return out;
  }
};

const char* const keys[] = {"k", "h", "s", "n"};
const char* const integers[] = {"0",
                                "1",
                                "-1",
                                "2",
                                "3",  // HELLO 3: the replies of every command in RESP3
                                "10",
                                "9223372036854775807",
                                "-9223372036854775808",
                                "-9223372036854775807",
                                "9223372036854775808",
                                "4294967296",
                                "-4294967296",
                                "1000000000000",
                                "-1000000000000",
                                "4611686018427387904",
                                "-4611686018427387904",
                                "007",
                                "-0",
                                "+1",
                                " 1",
                                "1e3"};
const char* const words[] = {"f",
                             "g",
                             "m",
                             "COUNT",
                             "MATCH",
                             "TYPE",
                             "hash",
                             "set",
                             "string",
                             "*",
                             "?",
                             "[a-z]",
                             "NX",
                             "XX",
                             "GET",
                             "EX",
                             "SETNAME",
                             "GETNAME",
                             "GET",
                             "SET",
                             "DOCS",
                             "all",
                             "sync",
                             "x y",
                             "LEFT",
                             "RIGHT",
                             "BEFORE",
                             "AFTER",
                             "RANK",
                             "MAXLEN",
                             "list",
                             "BIT",
                             "BYTE",
                             "LEN",
                             "IDX",
                             "LIMIT",
                             "DB",
                             "REPLACE",
                             "WITHVALUES",
                             "MINMATCHLEN",
                             "WITHMATCHLEN",
                             "BYSCORE",
                             "BYLEX",
                             "REV",
                             "WITHSCORES",
                             "INCR",
                             "CH",
                             "GT",
                             "LT",
                             "-inf",
                             "+inf",
                             "(1",
                             "[a",
                             "(",
                             "-",
                             "+",
                             "1.5",
                             "inf",
                             "nan",
                             "1e400"};

/// Whether `reply` is one RESP2 or RESP3 reply, whole: a line for + - : , ( # _, a bulk (also
/// a verbatim string or a blob error), or an array, set, push or map of them.
bool well_formed(std::string_view reply, std::size_t& at) {
  if (at >= reply.size()) return false;
  const char type = reply[at];
  const std::size_t end = reply.find("\r\n", at);
  if (end == std::string_view::npos) return false;
  const std::string_view line = reply.substr(at + 1, end - at - 1);
  at = end + 2;
  if (type == ',' && line.empty()) return false;
  if (type == '+' || type == '-' || type == ',') {
    return line.find_first_of("\r\n") == std::string_view::npos;
  }
  if (type == '_') return line.empty();
  if (type == '#') return line == "t" || line == "f";
  if (type == '(') return !line.empty() && line.find_first_not_of("-0123456789") == line.npos;
  const auto n = parse_int64(line);
  if (!n) return false;
  if (type == ':') return true;
  if (type == '$' || type == '=' || type == '!') {
    if (*n == -1) return type == '$';
    if (*n < 0 || reply.size() - at < static_cast<std::uint64_t>(*n) + 2) return false;
    if (type == '=' && (*n < 4 || reply[at + 3] != ':')) return false;  // "txt:" and the text
    at += static_cast<std::size_t>(*n);
    if (reply.substr(at, 2) != "\r\n") return false;
    at += 2;
    return true;
  }
  if (type == '*' || type == '~' || type == '>' || type == '%') {
    if (*n == -1) return type == '*';
    if (*n < 0) return false;
    const std::int64_t items = type == '%' ? 2 * *n : *n;
    for (std::int64_t i = 0; i < items; ++i) {
      if (!well_formed(reply, at)) return false;
    }
    return true;
  }
  return false;
}

void check_reply(const std::string& reply) {
  std::size_t at = 0;
  if (!well_formed(reply, at) || at != reply.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> names = CommandProcessor::command_names();
  Input in{data, size};
  MemoryKeyspace spaces[2];
  for (auto& space : spaces) space.keep_deltas = false;
  // Small write limits, so that the fuzzer reaches them.
  const WriteLimits limits{.key_bytes_max = 64, .value_bytes_max = 256};
  CommandProcessor processors[2] = {{spaces[0], 1, {}, limits}, {spaces[1], 2, {}, limits}};
  Session sessions[2];
  RespLimits resp;
  resp.bulk_bytes_max = 1024;
  resp.request_bytes_max = 2048;
  resp.array_items_max = 64;
  resp.line_bytes_max = 256;
  RequestParser parser(resp);
  constexpr int commands_max = 256;  // bounds one input's time
  for (int n = 0; n < commands_max && !in.done(); ++n) {
    const std::uint8_t op = in.byte();
    const int side = (op >> 4) & 1;
    std::string reply;
    if ((op & 15) == 15) {
      // Gossip: a key's value joined both ways, as anti-entropy would.
      const std::string key = keys[in.byte() % 4];
      const KeyValue* a = spaces[0].find(key);
      const KeyValue* b = spaces[1].find(key);
      const KeyValue joined = a && b ? calm::lattices::join(*a, *b) : a ? *a : b ? *b : KeyValue{};
      spaces[0].values[key] = joined;
      spaces[1].values[key] = joined;
      continue;
    }
    if ((op & 15) == 14) {
      // Raw RESP, parsed and run as the server would.
      parser.feed(in.bytes(in.byte()));
      Request request;
      while (parser.next(request)) {
        processors[side].execute(request, sessions[side], reply);
        check_reply(reply);
        reply.clear();
      }
      continue;
    }
    Request request{names[in.byte() % names.size()]};
    const int argc = in.byte() % 8;
    for (int i = 0; i < argc; ++i) {
      const std::uint8_t kind = in.byte();
      switch (kind % 4) {
        case 0:
          request.emplace_back(keys[(kind >> 2) % 4]);
          break;
        case 1:
          request.emplace_back(integers[(kind >> 2) % (sizeof integers / sizeof *integers)]);
          break;
        case 2:
          request.emplace_back(words[(kind >> 2) % (sizeof words / sizeof *words)]);
          break;
        default:
          request.push_back(in.bytes(in.byte() % 48));
          break;
      }
    }
    processors[side].execute(request, sessions[side], reply);
    check_reply(reply);
  }
  return 0;
}
