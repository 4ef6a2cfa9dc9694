#include "kvs/commands.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <random>
#include <set>
#include <span>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "kvs/command_docs.hpp"
#include "lattices/random.hpp"

namespace calm::apps::kvs {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

/// How much of a client's word an error reply echoes, as Redis 7.0 does ("%.128s" of a C
/// string): an 8 MiB command name costs a 128-byte error, not an 8 MiB one.
constexpr std::size_t echo_bytes_max = 128;
/// The word as Redis prints it with %.*s: up to its first NUL, at most `bytes_max` bytes.
std::string_view echoed(std::string_view word, std::size_t bytes_max) {
  word = word.substr(0, std::min(word.find('\0'), bytes_max));
  return word;
}
/// A reply line cannot hold CR or LF, whatever the client sent: Redis makes them spaces.
std::string one_line(std::string text) {
  for (char& ch : text) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return text;
}

/// The largest reply a command builds when its size is set by a count the client gives rather
/// than by the data (SRANDMEMBER with a negative count repeats members): the largest bulk a
/// request may carry. Other replies are bounded by the data they read.
constexpr std::uint64_t reply_bytes_max = 64u << 20;
/// A bulk's framing: "$", up to 20 digits, CR LF, the bytes, CR LF.
constexpr std::uint64_t reply_bulk_overhead_bytes = 25;

/// The outcome of a KeyValue mutator run inside Keyspace::write.
template <class T>
struct Outcome {
  std::optional<T> value;
  std::optional<CommandError> error;
};

}  // namespace

bool glob_match(std::string_view p, std::string_view s) {
  // Iterative matching with backtracking to the last '*', as Redis's stringmatchlen does.
  std::size_t pi = 0, si = 0, star = std::string_view::npos, star_s = 0;
  auto class_match = [&](std::size_t& i, char c) {
    // p[i] == '['; on return i is past the closing ']'.
    ++i;
    bool negate = false;
    if (i < p.size() && p[i] == '^') {
      negate = true;
      ++i;
    }
    bool matched = false;
    while (i < p.size() && p[i] != ']') {
      if (p[i] == '\\' && i + 1 < p.size()) {
        matched |= p[i + 1] == c;
        i += 2;
      } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
        char lo = p[i], hi = p[i + 2];
        if (lo > hi) std::swap(lo, hi);
        matched |= c >= lo && c <= hi;
        i += 3;
      } else {
        matched |= p[i] == c;
        ++i;
      }
    }
    if (i < p.size()) ++i;  // the ']'
    return matched != negate;
  };
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      std::size_t next = pi;
      bool ok = false;
      if (p[pi] == '?') {
        ok = true;
        next = pi + 1;
      } else if (p[pi] == '[') {
        ok = class_match(next, s[si]);
      } else if (p[pi] == '\\' && pi + 1 < p.size()) {
        ok = p[pi + 1] == s[si];
        next = pi + 2;
      } else {
        ok = p[pi] == s[si];
        next = pi + 1;
      }
      if (ok) {
        pi = next;
        ++si;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

struct CommandProcessor::Context {
  CommandProcessor& self;
  const Request& args;
  Session& session;
  ReplyWriter out;

  Keyspace& keys() { return self.keyspace_; }
  ReplicaId replica() const { return self.replica_; }
  const ServerFacts& facts() const { return self.facts_; }
  const WriteLimits& limits() const { return self.limits_; }
  lattices::HlcTimestamp now() {
    return self.facts_.wall_ms ? self.clock_.now(self.facts_.wall_ms()) : self.clock_.now();
  }
  /// The wall clock in ms (a linearizable keyspace's: the log's), for expiry.
  std::uint64_t now_ms() const {
    return self.facts_.wall_ms ? self.facts_.wall_ms() : lattices::HybridClock::system_wall_ms();
  }
  bool linearizable() const { return self.mode_ == Consistency::linearizable; }

  const KeyValue* find(const std::string& key) {
    const KeyValue* v = keys().find(key);
    return v && type_of(*v) != Type::none ? v : nullptr;
  }
  /// Runs a KeyValue mutator that may fail: the key changes only when it succeeds.
  template <class T, class F>
  Outcome<T> write(const std::string& key, F&& mutator) {
    Outcome<T> outcome;
    keys().write(key, [&](KeyValue& v) {
      auto result = mutator(v);
      if (auto* e = std::get_if<CommandError>(&result)) {
        outcome.error = *e;
        return KeyValue{};
      }
      auto& [value, delta] = std::get<0>(result);
      outcome.value = value;
      return std::move(delta);
    });
    return outcome;
  }
  /// One write of `key` that applies `op(value, i)` for i = first, first + step, ... below the
  /// argument count; `op` returns (whether it counted, its delta), as set_add and friends do.
  /// Returns how many counted.
  template <class Op>
  std::int64_t write_each(const std::string& key, std::size_t first, std::size_t step, Op op) {
    std::int64_t counted = 0;
    keys().write(key, [&](KeyValue& v) {
      KeyValue delta;
      for (std::size_t i = first; i < args.size(); i += step) {
        auto result = op(v, i);
        // Callers check what can fail before writing; should one still fail, what applied so
        // far is the write, and nothing throws.
        if (std::holds_alternative<CommandError>(result)) break;
        auto [counts, d] = std::get<0>(std::move(result));
        counted += counts;
        if (i == first) {
          delta = std::move(d);  // the common single-member case: no join with bottom
        } else {
          lattices::merge(delta, std::move(d));
        }
      }
      return delta;
    });
    return counted;
  }
  void error(const CommandError& e) { out.error(e.message); }
  /// Whether `context` (null: none) leaves this replica `n` fresh dots; replies when not (only
  /// a forged context can claim a replica's last dot).
  bool has_dots(const lattices::DotContext<ReplicaId>* context, std::size_t n) {
    if (!context || context->max(replica()) <= UINT64_MAX - n) return true;
    error(out_of_dots);
    return false;
  }
  /// Whether a value, member or field (with its value) fits one write; replies when not.
  bool fits(std::size_t bytes) {
    if (bytes <= limits().value_bytes_max) return true;
    out.error("ERR calm-kvs takes values, members and fields up to " +
              std::to_string(limits().value_bytes_max) +
              " bytes (a write must fit one replication message)");
    return false;
  }
  void syntax_error() { out.error("ERR syntax error"); }
  void arity_error() {
    out.error("ERR wrong number of arguments for '" + lower(args[0]) + "' command");
  }
  /// A known subcommand (args[1]) with the wrong number of arguments, as Redis names it.
  void subcommand_arity_error() {
    out.error("ERR wrong number of arguments for '" + lower(args[0]) + "|" + lower(args[1]) +
              "' command");
  }
  void unknown_subcommand() {
    out.error(one_line("ERR unknown subcommand '" + std::string(echoed(args[1], echo_bytes_max)) +
                       "'. Try " + upper(args[0]) + " HELP."));
  }
  /// Parses an integer argument; replies with Redis's error when it is not one.
  std::optional<std::int64_t> integer(const std::string& text) {
    auto n = parse_int64(text);
    if (!n) error(not_an_integer);
    return n;
  }
  /// A set key's members, or nothing (and a WRONGTYPE reply) when it is not a set.
  std::optional<std::vector<std::string>> members(const std::string& key) {
    const KeyValue* v = find(key);
    if (!v) return std::vector<std::string>{};
    if (type_of(*v) != Type::set) {
      error(wrong_type);
      return std::nullopt;
    }
    return v->set->elements();
  }
  /// The key as a `type`, null when absent; false (after a WRONGTYPE reply) for another type.
  bool of_type(const std::string& key, Type type, const KeyValue*& v) {
    v = find(key);
    if (v && type_of(*v) != type) {
      error(wrong_type);
      return false;
    }
    return true;
  }
  bool hash(const std::string& key, const KeyValue*& v) { return of_type(key, Type::hash, v); }
  void bulk_or_null(const std::optional<std::string>& s) {
    if (s) {
      out.bulk(*s);
    } else {
      out.null_bulk();
    }
  }
};

namespace {

using Ctx = CommandProcessor::Context;
using Handler = void (*)(Ctx&);

/// Which arguments a command writes as keys, so that a key too long to replicate is refused
/// before anything changes.
enum class Writes { none, first_key, first_two_keys, alternate_keys /* MSET: k v k v ... */ };
/// Which arguments are keys (CommandTraits::keys).
enum class KeyArgs { none, first, first_two, all, alternate };
/// CommandTraits' flags, for the table.
enum Flag : unsigned {
  read_only = 1,
  coordinated = 2,
  keyspace_wide = 4,
  transaction = 8,
};

struct Command {
  int arity;  // Redis's convention: n exactly n words (name included), -n at least n
  Handler run;
  Writes writes = Writes::none;
  KeyArgs keys = KeyArgs::none;
  unsigned flags = 0;
  std::size_t index = 0;  // its place in command_names() (INFO commandstats)
};

// ---- connection and server ----

void ping(Ctx& c) {
  if (c.args.size() > 2) return c.arity_error();
  if (c.args.size() == 2) return c.out.bulk(c.args[1]);
  c.out.simple("PONG");
}
void echo(Ctx& c) { c.out.bulk(c.args[1]); }
void quit(Ctx& c) {
  c.session.close = true;
  c.out.simple("OK");
}
void select(Ctx& c) {
  const auto n = parse_int64(c.args[1]);
  if (!n) return c.error(not_an_integer);
  if (*n != 0) return c.out.error("ERR DB index is out of range");
  c.out.simple("OK");
}
void hello(Ctx& c) {
  if (c.args.size() >= 2) {
    const auto version = parse_int64(c.args[1]);
    if (!version) return c.out.error("ERR Protocol version is not an integer or out of range");
    if (*version != 2) return c.out.error("NOPROTO unsupported protocol version");
  }
  if (c.args.size() > 2) return c.out.error("ERR calm-kvs accepts HELLO with a version only");
  c.out.array_header(14);
  c.out.bulk("server");
  c.out.bulk("calm-kvs");
  c.out.bulk("version");
  c.out.bulk("0.1.0");
  c.out.bulk("proto");
  c.out.integer(2);
  c.out.bulk("id");
  c.out.integer(static_cast<std::int64_t>(c.replica()));
  c.out.bulk("mode");
  c.out.bulk("standalone");
  c.out.bulk("role");
  c.out.bulk("master");
  c.out.bulk("modules");
  c.out.array_header(0);
}
/// A subcommand's name in lower case, or empty when it is no name calm-kvs knows (longer than
/// any: an 8 MiB word is not copied).
std::string subcommand(const Ctx& c) {
  return c.args[1].size() <= 16 ? lower(c.args[1]) : std::string();
}

void client(Ctx& c) {
  const std::string sub = subcommand(c);
  if ((sub == "setname" && c.args.size() != 3) || (sub == "getname" && c.args.size() != 2)) {
    return c.subcommand_arity_error();
  }
  if (sub == "setname") {
    if (c.args[2].find_first_of(" \n") != std::string::npos) {
      return c.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    c.session.name = c.args[2];
    return c.out.simple("OK");
  }
  if (sub == "getname") {
    if (c.session.name.empty()) return c.out.null_bulk();
    return c.out.bulk(c.session.name);
  }
  c.unknown_subcommand();
}
const Command* lookup(const std::string& word);
/// COMMAND INFO's entry for one command, as Redis 7 shapes it: name, arity, flags, first key,
/// last key, step, ACL categories, tips, key specs, subcommands.
void command_info(ReplyWriter& out, std::string_view name, const Command& command) {
  const CommandDoc* doc = command_doc(name);
  const bool keyed = command.keys != KeyArgs::none || (command.flags & keyspace_wide) != 0;
  const bool reads = (command.flags & read_only) != 0;
  out.array_header(10);
  out.bulk(name);
  out.integer(command.arity);
  out.array_header(keyed ? 1 : 0);
  if (keyed) out.simple(reads ? "readonly" : "write");
  const auto [first, last, step] = [&]() -> std::array<int, 3> {
    switch (command.keys) {
      case KeyArgs::none:
        return {0, 0, 0};
      case KeyArgs::first:
        return {1, 1, 1};
      case KeyArgs::first_two:
        return {1, 2, 1};
      case KeyArgs::all:
        return {1, -1, 1};
      case KeyArgs::alternate:
        return {1, -1, 2};
    }
    return {0, 0, 0};
  }();
  out.integer(first);
  out.integer(last);
  out.integer(step);
  // Redis's ACL categories for the groups that have one of the same name (server commands
  // are in none of calm-kvs's groups).
  const std::string_view group = doc != nullptr ? doc->group : std::string_view("server");
  const std::string category = group == "generic"        ? "@keyspace"
                               : group == "transactions" ? "@transaction"
                               : group == "server"       ? ""
                                                         : "@" + std::string(group);
  out.array_header((keyed ? 1 : 0) + (category.empty() ? 0 : 1));
  if (keyed) out.simple(reads ? "@read" : "@write");
  if (!category.empty()) out.simple(category);
  out.array_header(0);  // tips
  out.array_header(0);  // key specs: first, last and step above say where the keys are
  out.array_header(0);  // subcommands
}
void command(Ctx& c) {
  const std::vector<std::string> names = CommandProcessor::command_names();
  const std::string sub = c.args.size() >= 2 ? subcommand(c) : std::string();
  if (c.args.size() == 1 || sub == "info") {
    // Every command, or those named (nil for a name calm-kvs does not have).
    const bool named = c.args.size() > 2;
    c.out.array_header(named ? c.args.size() - 2 : names.size());
    if (!named) {
      for (const std::string& name : names) command_info(c.out, name, *lookup(name));
      return;
    }
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      const Command* found = lookup(c.args[i]);
      if (found == nullptr) {
        c.out.null_bulk();  // Redis 7.0's nil here
      } else {
        command_info(c.out, lower(c.args[i]), *found);
      }
    }
    return;
  }
  if (sub == "count") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    return c.out.integer(static_cast<std::int64_t>(names.size()));
  }
  if (sub == "list") {
    if (c.args.size() != 2) return c.syntax_error();
    c.out.array_header(names.size());
    for (const std::string& name : names) c.out.bulk(name);
    return;
  }
  if (sub == "docs") {
    // A map (RESP2: name, then its fields) of every command, or of those named that exist.
    std::vector<std::string> wanted;
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      if (lookup(c.args[i]) != nullptr) wanted.push_back(lower(c.args[i]));
    }
    if (c.args.size() == 2) wanted = names;
    c.out.array_header(2 * wanted.size());
    for (const std::string& name : wanted) {
      const CommandDoc* doc = command_doc(name);
      c.out.bulk(name);
      c.out.array_header(doc != nullptr ? 6 : 0);
      if (doc == nullptr) continue;
      c.out.bulk("summary");
      c.out.bulk(doc->summary);
      c.out.bulk("since");
      c.out.bulk(doc->since);
      c.out.bulk("group");
      c.out.bulk(doc->group);
    }
    return;
  }
  if (sub == "getkeys") {
    // Redis's checks, in its order: a command, one with keys, then its arity.
    if (c.args.size() < 4) return c.subcommand_arity_error();
    const Command* inner_command = lookup(c.args[2]);
    if (inner_command == nullptr) return c.out.error("ERR Invalid command specified");
    if (inner_command->keys == KeyArgs::none) {
      return c.out.error("ERR The command has no key arguments");
    }
    const Request inner(c.args.begin() + 2, c.args.end());
    const CommandTraits traits = CommandProcessor::describe(inner);
    if (!traits.arity_ok) {
      return c.out.error("ERR Invalid number of arguments specified for command");
    }
    if (traits.keys.empty()) return c.out.error("ERR Invalid arguments specified for command");
    c.out.array_header(traits.keys.size());
    for (const std::size_t at : traits.keys) c.out.bulk(inner[at]);
    return;
  }
  c.unknown_subcommand();
}
void info(Ctx& c) {
  // Sections as Redis names them; no argument, "default", "all" or "everything" is all of them.
  std::vector<std::pair<std::string, std::string>> sections;
  sections.emplace_back("Server", "redis_version:7.0.0\r\ncalm_kvs_version:0.1.0\r\nreplica_id:" +
                                      std::to_string(c.replica()) + "\r\n");
  if (c.facts().info_sections) {
    for (auto& section : c.facts().info_sections()) {
      auto same = sections.begin();
      while (same != sections.end() && same->first != section.first) ++same;
      if (same != sections.end()) {
        same->second += section.second;
      } else {
        sections.push_back(std::move(section));
      }
    }
  }
  std::size_t keys = 0;
  c.keys().for_each(
      [&](const std::string&, const KeyValue& v) { keys += type_of(v) != Type::none; });
  sections.emplace_back(
      "Keyspace",
      keys == 0 ? std::string() : "db0:keys=" + std::to_string(keys) + ",expires=0,avg_ttl=0\r\n");
  std::set<std::string> wanted;
  for (std::size_t i = 1; i < c.args.size(); ++i) wanted.insert(lower(c.args[i]));
  // As Redis: no argument or "default" is every section but Commandstats; "all" and
  // "everything" add it.
  const bool all = wanted.count("all") || wanted.count("everything");
  const bool every = all || wanted.empty() || wanted.count("default");
  std::string text;
  for (const auto& [title, body] : sections) {
    const bool listed = every && (all || title != "Commandstats");
    if (!listed && !wanted.count(lower(title))) continue;
    if (!text.empty()) text += "\r\n";
    text += "# " + title + "\r\n" + body;
  }
  c.out.bulk(text);
}
void config(Ctx& c) {
  const std::string sub = subcommand(c);
  if (sub == "get") {
    if (c.args.size() < 3) return c.subcommand_arity_error();
    // Every setting that matches any pattern, once, in the order calm-kvs lists them.
    std::vector<const std::pair<std::string, std::string>*> matched;
    for (const auto& setting : c.facts().config) {
      for (std::size_t i = 2; i < c.args.size(); ++i) {
        if (glob_match(lower(c.args[i]), setting.first)) {
          matched.push_back(&setting);
          break;
        }
      }
    }
    c.out.array_header(2 * matched.size());
    for (const auto* setting : matched) {
      c.out.bulk(setting->first);
      c.out.bulk(setting->second);
    }
    return;
  }
  if (sub == "set") {
    if (c.args.size() < 4) return c.subcommand_arity_error();
    return c.out.error(
        "ERR calm-kvs's settings are its command-line options: CONFIG SET is not "
        "supported");
  }
  if (sub == "resetstat") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    return c.out.simple("OK");
  }
  c.unknown_subcommand();
}
/// TIME: the wall clock this replica's writes are stamped with (seconds, microseconds).
void time(Ctx& c) {
  const std::uint64_t ms = c.now_ms();
  c.out.array_header(2);
  c.out.bulk(std::to_string(ms / 1000));
  c.out.bulk(std::to_string(ms % 1000 * 1000));
}
/// ROLE: every replica takes writes, so each is a master with no replicas of its own (its
/// peers are in INFO replication).
void role(Ctx& c) {
  c.out.array_header(3);
  c.out.bulk("master");
  c.out.integer(0);
  c.out.array_header(0);
}
/// LASTSAVE: every write is in the log before its reply, so the data is saved as of now.
void lastsave(Ctx& c) { c.out.integer(static_cast<std::int64_t>(c.now_ms() / 1000)); }
void dbsize(Ctx& c) {
  std::int64_t n = 0;
  c.keys().for_each([&](const std::string&, const KeyValue& v) { n += type_of(v) != Type::none; });
  c.out.integer(n);
}
void flush(Ctx& c) {
  if (c.args.size() > 2) return c.syntax_error();
  if (c.args.size() == 2 && lower(c.args[1]) != "sync" && lower(c.args[1]) != "async") {
    return c.syntax_error();
  }
  std::vector<std::string> present;
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) != Type::none) present.push_back(k);
  });
  // A remove of what this replica observed: a concurrent write elsewhere survives it.
  for (const std::string& k : present) {
    c.keys().write(k, [&](KeyValue& v) { return remove_all(v, c.replica(), c.now()); });
  }
  c.out.simple("OK");
}

// ---- keyspace ----

void del(Ctx& c) {
  std::int64_t removed = 0;
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    if (!c.find(c.args[i])) continue;
    c.keys().write(c.args[i], [&](KeyValue& v) { return remove_all(v, c.replica(), c.now()); });
    ++removed;
  }
  c.out.integer(removed);
}
void exists(Ctx& c) {
  std::int64_t n = 0;
  for (std::size_t i = 1; i < c.args.size(); ++i) n += c.find(c.args[i]) != nullptr;
  c.out.integer(n);
}
void type(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  c.out.simple(type_name(v ? type_of(*v) : Type::none));
}
void keys(Ctx& c) {
  std::vector<std::string> matched;
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) != Type::none && glob_match(c.args[1], k)) matched.push_back(k);
  });
  std::sort(matched.begin(), matched.end());  // the keyspace is a hash index: no order of its own
  c.out.array_header(matched.size());
  for (const std::string& k : matched) c.out.bulk(k);
}

/// SCAN's order: keys by a 63-bit hash of their bytes (FNV-1a, then SplitMix64's finalizer to
/// spread it). A key keeps its position whatever else is added or removed, so a scan sees every
/// key present throughout, as SCAN promises; and the keyspace needs no ordered index.
std::uint64_t scan_position(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char ch : key) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return (h ^ (h >> 31)) >> 1;  // a cursor is a non-negative int64
}

/// A call looks at at least 1/scan_passes_max of the keys, so a whole scan takes at most
/// scan_passes_max + n / COUNT calls, each one pass over the keyspace: COUNT is a hint in Redis
/// too ("may return more"), and without this a scan of n keys would cost n^2 / COUNT.
constexpr std::size_t scan_passes_max = 64;

void scan(Ctx& c) {
  // The cursor is the scan position (scan_position) to go on from; 0 starts and ends a scan.
  const auto cursor = parse_int64(c.args[1]);
  if (!cursor || *cursor < 0) return c.out.error("ERR invalid cursor");
  std::string pattern = "*";
  std::int64_t count = 10;
  std::optional<std::string> type_filter;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (i + 1 >= c.args.size()) return c.syntax_error();
    const std::string option = lower(c.args[i]);
    if (option == "match") {
      pattern = c.args[i + 1];
    } else if (option == "count") {
      const auto n = parse_int64(c.args[i + 1]);
      if (!n) return c.error(not_an_integer);
      if (*n < 1) return c.syntax_error();
      count = *n;
    } else if (option == "type") {
      type_filter = lower(c.args[i + 1]);
    } else {
      return c.syntax_error();
    }
  }
  const auto from = static_cast<std::uint64_t>(*cursor);
  // Pass 1: the positions of the keys to look at, the `take` smallest at or after the cursor
  // (a max-heap of at most `take`), and how many keys there are.
  std::size_t live = 0;
  c.keys().for_each(
      [&](const std::string&, const KeyValue& v) { live += type_of(v) != Type::none; });
  const std::size_t take = std::max<std::size_t>(
      static_cast<std::size_t>(std::min<std::int64_t>(count, static_cast<std::int64_t>(live) + 1)),
      live / scan_passes_max);
  std::vector<std::uint64_t> heap;
  heap.reserve(std::min(take, live));
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) == Type::none) return;
    const std::uint64_t at = scan_position(k);
    if (at < from) return;
    if (heap.size() < take) {
      heap.push_back(at);
      std::push_heap(heap.begin(), heap.end());
    } else if (at < heap.front()) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = at;
      std::push_heap(heap.begin(), heap.end());
    }
  });
  // Pass 2: every key up to the last position taken (keys sharing it come together, so that a
  // cursor never falls between them), filtered; and whether any key lies beyond.
  const bool all_taken = heap.size() < take;
  const std::uint64_t last = heap.empty() ? from : heap.front();
  std::vector<std::string> batch;
  bool more = false;
  c.keys().for_each([&](const std::string& k, const KeyValue& v) {
    if (type_of(v) == Type::none) return;
    const std::uint64_t at = scan_position(k);
    if (at < from) return;
    if (!all_taken && at > last) {
      more = true;
      return;
    }
    if (!glob_match(pattern, k)) return;
    if (type_filter && *type_filter != type_name(type_of(v))) return;
    batch.push_back(k);
  });
  std::sort(batch.begin(), batch.end());
  c.out.array_header(2);
  c.out.bulk(more ? std::to_string(last + 1) : "0");
  c.out.array_header(batch.size());
  for (const std::string& k : batch) c.out.bulk(k);
}
/// TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 without the key, -1 without expiry (every
/// coordination-free key); else the time left, or the deadline as Unix time.
void ttl(Ctx& c) {
  if (!c.find(c.args[1])) return c.out.integer(-2);
  const auto at = c.keys().expiry_ms(c.args[1]);
  if (!at) return c.out.integer(-1);
  const std::string& name = c.args[0];
  const bool ms = name[0] == 'p' || name[0] == 'P';  // PTTL, PEXPIRETIME
  const bool absolute = name.size() >= 10;           // [P]EXPIRETIME
  const std::uint64_t now = c.now_ms();
  const std::uint64_t left = absolute ? *at : *at > now ? *at - now : 0;
  // Redis rounds to the nearest second.
  c.out.integer(static_cast<std::int64_t>(ms ? left : (left + 500) / 1000));
}

// ---- strings and counters ----

void get(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (!v) return c.out.null_bulk();
  if (const std::string* s = plain_string_value(*v)) return c.out.bulk(*s);
  if (type_of(*v) != Type::string) return c.error(wrong_type);
  c.bulk_or_null(string_value(*v));
}
/// A coordinated command on a keyspace that has no coordination (the server routes these to
/// the log, so this is for a processor used on its own).
void needs_coordination(Ctx& c, const std::string& what) {
  c.out.error("ERR " + what +
              " needs coordination (its result depends on every replica agreeing on the "
              "current value): only keys calm-kvs runs through its Paxos log take it "
              "(calm-kvs --linearizable PATTERN)");
}
void needs_coordination(Ctx& c) { needs_coordination(c, upper(c.args[0])); }

/// An expiry `n` units from now (or at `n` units, `absolute`), in ms of the keyspace's clock:
/// nothing (after Redis's error) when it is not positive or overflows.
std::optional<std::uint64_t> expiry_at(Ctx& c, std::int64_t n, std::uint64_t unit_ms, bool absolute,
                                       const char* command) {
  const std::uint64_t base = absolute ? 0 : c.now_ms();
  if (n <= 0 || base > UINT64_MAX / 2 ||
      static_cast<std::uint64_t>(n) > (UINT64_MAX / 2 - base) / unit_ms) {
    c.out.error(std::string("ERR invalid expire time in '") + command + "' command");
    return std::nullopt;
  }
  return base + static_cast<std::uint64_t>(n) * unit_ms;
}

void set(Ctx& c) {
  bool nx = false, xx = false, get = false, keep_ttl = false;
  std::optional<std::uint64_t> expire;
  std::string coordinated;  // the first option that needs coordination
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string option = upper(c.args[i]);
    if (coordinated.empty() && option != "EX" && option != "PX" && option != "EXAT" &&
        option != "PXAT" && option != "KEEPTTL" && option != "NX" && option != "XX" &&
        option != "GET") {
      return c.syntax_error();
    }
    if (coordinated.empty()) coordinated = option;
    if (option == "NX" && !xx) {
      nx = true;
    } else if (option == "XX" && !nx) {
      xx = true;
    } else if (option == "GET") {
      get = true;
    } else if (option == "KEEPTTL" && !expire) {
      keep_ttl = true;
    } else if ((option == "EX" || option == "PX" || option == "EXAT" || option == "PXAT") &&
               !expire && !keep_ttl && i + 1 < c.args.size()) {
      const auto n = parse_int64(c.args[++i]);
      if (!n) return c.error(not_an_integer);
      if (!c.linearizable()) break;  // refused below, before anything is read
      const std::uint64_t unit = option == "EX" || option == "EXAT" ? 1000 : 1;
      expire = expiry_at(c, *n, unit, option.size() == 4, "set");
      if (!expire) return;
    } else {
      return c.syntax_error();
    }
  }
  if (!coordinated.empty() && !c.linearizable()) return needs_coordination(c, "SET " + coordinated);
  if (!c.fits(c.args[2].size())) return;
  const std::string& key = c.args[1];
  std::optional<std::string> old;
  const KeyValue* v = c.find(key);
  if (get && v) {
    if (type_of(*v) != Type::string) return c.error(wrong_type);
    old = string_value(*v);
  }
  const auto reply = [&] {
    if (get) return c.bulk_or_null(old);
    c.out.simple("OK");
  };
  if ((nx && v) || (xx && !v)) {
    if (get) return c.bulk_or_null(old);
    return c.out.null_bulk();
  }
  c.keys().write(key,
                 [&](KeyValue& kv) { return set_string(kv, c.replica(), c.args[2], c.now()); });
  if (c.linearizable() && !keep_ttl) c.keys().set_expiry(key, expire);  // SET clears a TTL
  reply();
}
void mget(Ctx& c) {
  c.out.array_header(c.args.size() - 1);
  for (std::size_t i = 1; i < c.args.size(); ++i) {
    const KeyValue* v = c.find(c.args[i]);
    c.bulk_or_null(v ? string_value(*v) : std::nullopt);  // not a string: nil, as in Redis
  }
}
void mset(Ctx& c) {
  if (c.args.size() % 2 == 0) return c.arity_error();
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (!c.fits(c.args[i].size())) return;
  }
  for (std::size_t i = 1; i < c.args.size(); i += 2) {
    c.keys().write(c.args[i],
                   [&](KeyValue& v) { return set_string(v, c.replica(), c.args[i + 1], c.now()); });
    if (c.linearizable()) c.keys().set_expiry(c.args[i], std::nullopt);  // as SET: no TTL
  }
  c.out.simple("OK");
}
void strlen_(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::string) return c.error(wrong_type);
  const auto s = v ? string_value(*v) : std::nullopt;
  c.out.integer(s ? static_cast<std::int64_t>(s->size()) : 0);
}
void append(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::string) return c.error(wrong_type);
  std::string value = v ? string_value(*v).value_or("") : "";
  value += c.args[2];
  if (!c.fits(value.size())) return;
  const auto length = static_cast<std::int64_t>(value.size());
  c.keys().write(c.args[1], [&](KeyValue& kv) {
    return set_string(kv, c.replica(), std::move(value), c.now());
  });
  c.out.integer(length);
}
void getrange(Ctx& c) {
  const auto start = parse_int64(c.args[2]), end = parse_int64(c.args[3]);
  if (!start || !end) return c.error(not_an_integer);
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::string) return c.error(wrong_type);
  const std::string s = v ? string_value(*v).value_or("") : "";
  const auto n = static_cast<std::int64_t>(s.size());
  std::int64_t from = *start < 0 ? std::max<std::int64_t>(n + *start, 0) : *start;
  // Redis 7.0's rule: a negative end past the front means the first byte, not nothing.
  std::int64_t to = *end < 0 ? std::max<std::int64_t>(n + *end, 0) : std::min(*end, n - 1);
  if (*start < 0 && *end < 0 && *start > *end) return c.out.bulk("");
  if (n == 0 || from > to || from >= n) return c.out.bulk("");
  c.out.bulk(s.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from + 1)));
}
void incr_by(Ctx& c, std::int64_t n) {
  if (n == 0 && c.find(c.args[1]) == nullptr) {
    // As Redis, INCRBY 0 makes a missing key "0"; a counter of nothing cannot, so it is a
    // write of the register (which a concurrent INCR elsewhere still adds to).
    c.keys().write(c.args[1],
                   [&](KeyValue& kv) { return set_string(kv, c.replica(), "0", c.now()); });
    return c.out.integer(0);
  }
  auto outcome =
      c.write<std::int64_t>(c.args[1], [&](KeyValue& v) { return increment(v, c.replica(), n); });
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}
void incr(Ctx& c) { incr_by(c, 1); }
void decr(Ctx& c) { incr_by(c, -1); }
void incrby(Ctx& c) {
  if (const auto n = c.integer(c.args[2])) incr_by(c, *n);
}
void decrby(Ctx& c) {
  const auto n = c.integer(c.args[2]);
  if (!n) return;
  if (*n == INT64_MIN) return c.out.error("ERR decrement would overflow");
  incr_by(c, -*n);
}

// ---- sets ----

void sadd(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::set) return c.error(wrong_type);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    if (!c.fits(c.args[i].size())) return;
  }
  const KeyValue* unpublished = c.keys().unpublished(c.args[1]);
  // A pipeline re-adding members it has just added writes nothing: skip even the write.
  const bool noop = v && std::all_of(c.args.begin() + 2, c.args.end(), [&](const std::string& m) {
                      return set_add_is_noop(*v, m, unpublished);
                    });
  if (noop) return c.out.integer(0);
  // The stored value, even one that reads as no key: its context names the dots taken.
  const KeyValue* stored = c.keys().find(c.args[1]);
  if (!c.has_dots(stored ? &stored->set->context() : nullptr, c.args.size() - 2)) return;
  c.out.integer(c.write_each(c.args[1], 2, 1, [&](KeyValue& kv, std::size_t i) {
    return set_add(kv, c.replica(), c.args[i], unpublished);
  }));
}
void srem(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::set) return c.error(wrong_type);
  if (!v) return c.out.integer(0);
  c.out.integer(c.write_each(
      c.args[1], 2, 1, [&](KeyValue& kv, std::size_t i) { return set_remove(kv, c.args[i]); }));
}
void smembers(Ctx& c) {
  const auto members = c.members(c.args[1]);
  if (!members) return;
  c.out.array_header(members->size());
  for (const std::string& m : *members) c.out.bulk(m);
}
void sismember(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::set) return c.error(wrong_type);
  c.out.integer(v && v->set->contains(c.args[2]) ? 1 : 0);
}
void smismember(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::set) return c.error(wrong_type);
  c.out.array_header(c.args.size() - 2);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    c.out.integer(v && v->set->contains(c.args[i]) ? 1 : 0);
  }
}
void scard(Ctx& c) {
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::set) return c.error(wrong_type);
  c.out.integer(v ? static_cast<std::int64_t>(v->set->size()) : 0);
}
void srandmember(Ctx& c) {
  if (c.args.size() > 3) return c.syntax_error();
  const auto members = c.members(c.args[1]);
  if (!members) return;
  static thread_local SplitMix64 rng(entropy_seed());
  if (c.args.size() == 2) {
    if (members->empty()) return c.out.null_bulk();
    return c.out.bulk((*members)[rng.below(members->size())]);
  }
  const auto count = c.integer(c.args[2]);
  if (!count) return;
  if (*count == INT64_MIN) {  // Redis takes counts whose magnitude is an int64
    return c.out.error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
  }
  if (members->empty() || *count == 0) return c.out.array_header(0);
  if (*count < 0) {  // may repeat, exactly |count| members
    const auto n = static_cast<std::uint64_t>(-*count);
    // The reply's size is the count's alone: refuse one past the bound before building it.
    std::size_t longest = 0;
    for (const std::string& m : *members) longest = std::max(longest, m.size());
    const std::uint64_t per_member = longest + reply_bulk_overhead_bytes;
    if (n > reply_bytes_max / per_member) {
      return c.out.error("ERR calm-kvs replies with at most " + std::to_string(reply_bytes_max) +
                         " bytes: the count is too large");
    }
    c.out.array_header(n);
    for (std::uint64_t i = 0; i < n; ++i) c.out.bulk((*members)[rng.below(members->size())]);
    return;
  }
  std::vector<std::string> picked = *members;
  ::calm::shuffle(picked.begin(), picked.end(), rng);
  picked.resize(std::min<std::size_t>(picked.size(), static_cast<std::size_t>(*count)));
  c.out.array_header(picked.size());
  for (const std::string& m : picked) c.out.bulk(m);
}

enum class SetOp { inter, uni, diff };
/// SINTER, SUNION, SDIFF over args[first..]; nothing after a WRONGTYPE reply.
std::optional<std::vector<std::string>> combine(Ctx& c, SetOp op, std::size_t first) {
  std::optional<std::set<std::string>> result;
  for (std::size_t i = first; i < c.args.size(); ++i) {
    auto members = c.members(c.args[i]);
    if (!members) return std::nullopt;
    std::set<std::string> these(members->begin(), members->end());
    if (!result) {
      result = std::move(these);
      continue;
    }
    std::set<std::string> next;
    if (op == SetOp::inter) {
      std::set_intersection(result->begin(), result->end(), these.begin(), these.end(),
                            std::inserter(next, next.end()));
    } else if (op == SetOp::uni) {
      std::set_union(result->begin(), result->end(), these.begin(), these.end(),
                     std::inserter(next, next.end()));
    } else {
      std::set_difference(result->begin(), result->end(), these.begin(), these.end(),
                          std::inserter(next, next.end()));
    }
    *result = std::move(next);
  }
  return std::vector<std::string>(result->begin(), result->end());
}
template <SetOp op>
void set_read(Ctx& c) {
  const auto members = combine(c, op, 1);
  if (!members) return;
  c.out.array_header(members->size());
  for (const std::string& m : *members) c.out.bulk(m);
}
template <SetOp op>
void set_store(Ctx& c) {
  const auto members = combine(c, op, 2);
  if (!members) return;
  const KeyValue* destination = c.keys().find(c.args[1]);
  if (!c.has_dots(destination ? &destination->set->context() : nullptr, members->size())) return;
  // The destination becomes exactly this set, whatever it held (as this replica saw it).
  // Adding cannot fail after remove_all while the clock is ahead of every string timestamp
  // merged here (the server observes each one); should it fail, nothing is written.
  const auto stored = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& v) -> std::variant<std::pair<std::int64_t, KeyValue>, CommandError> {
        KeyValue scratch = v;
        KeyValue delta = remove_all(scratch, c.replica(), c.now());
        for (const std::string& m : *members) {
          auto added = set_add(scratch, c.replica(), m);
          if (auto* e = std::get_if<CommandError>(&added)) return *e;
          lattices::merge(delta, std::get<0>(std::move(added)).second);
        }
        v = std::move(scratch);
        return std::pair{static_cast<std::int64_t>(members->size()), std::move(delta)};
      });
  if (stored.error) return c.error(*stored.error);
  // As Redis, the stored set replaces the destination whole, and with it any TTL.
  if (c.linearizable()) c.keys().set_expiry(c.args[1], std::nullopt);
  c.out.integer(*stored.value);
}

// ---- hashes ----

void hset_fields(Ctx& c, bool count_new) {
  if (c.args.size() % 2 != 0) return c.arity_error();
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    if (!c.fits(c.args[i].size() + c.args[i + 1].size())) return;
  }
  // One write that applies every field and builds one delta: linear in the fields (a delta
  // per field joined into the command's would copy the growing delta each time).
  const std::span<const std::string> pairs(c.args.data() + 2, c.args.size() - 2);
  const auto added = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_set_fields(kv, c.replica(), pairs); });
  if (added.error) return c.error(*added.error);
  if (count_new) return c.out.integer(*added.value);
  c.out.simple("OK");
}
void hset(Ctx& c) { hset_fields(c, true); }
void hmset(Ctx& c) { hset_fields(c, false); }
/// A field's value: the greatest of its concurrent writes (there is one after quiet), plus its
/// counter.
std::optional<std::string> field_of(const KeyValue* v, const std::string& field) {
  if (!v) return std::nullopt;
  return hash_field(*v, field);
}
std::vector<std::string> fields_of(const KeyValue* v) {
  return v ? hash_fields(*v) : std::vector<std::string>{};
}
void hget(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  c.bulk_or_null(field_of(v, c.args[2]));
}
void hmget(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  c.out.array_header(c.args.size() - 2);
  for (std::size_t i = 2; i < c.args.size(); ++i) c.bulk_or_null(field_of(v, c.args[i]));
}
void hdel(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  if (!v) return c.out.integer(0);
  const std::span<const std::string> fields(c.args.data() + 2, c.args.size() - 2);
  const auto removed = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_remove_fields(kv, fields); });
  if (removed.error) return c.error(*removed.error);
  c.out.integer(*removed.value);
}
void hexists(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  c.out.integer(v && hash_contains(*v, c.args[2]) ? 1 : 0);
}
void hgetall(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  const std::vector<std::string> fields = fields_of(v);
  c.out.array_header(2 * fields.size());
  for (const std::string& f : fields) {
    c.out.bulk(f);
    c.bulk_or_null(field_of(v, f));
  }
}
void hkeys(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  const std::vector<std::string> fields = fields_of(v);
  c.out.array_header(fields.size());
  for (const std::string& f : fields) c.out.bulk(f);
}
void hvals(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  const std::vector<std::string> fields = fields_of(v);
  c.out.array_header(fields.size());
  for (const std::string& f : fields) c.bulk_or_null(field_of(v, f));
}
void hlen(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  c.out.integer(static_cast<std::int64_t>(fields_of(v).size()));
}
void hstrlen(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  const auto value = field_of(v, c.args[2]);
  c.out.integer(value ? static_cast<std::int64_t>(value->size()) : 0);
}

void hincrby(Ctx& c) {
  const auto n = c.integer(c.args[3]);
  if (!n) return;
  if (!c.fits(c.args[2].size())) return;
  if (*n == 0) {
    const KeyValue* v = nullptr;
    if (!c.hash(c.args[1], v)) return;  // WRONGTYPE, replied
    if (!v || !hash_contains(*v, c.args[2])) {
      // As Redis, HINCRBY 0 makes a missing field "0": a write of the field's register.
      const std::array<std::string, 2> pair{c.args[2], "0"};
      const auto added = c.write<std::int64_t>(
          c.args[1], [&](KeyValue& kv) { return hash_set_fields(kv, c.replica(), pair); });
      if (added.error) return c.error(*added.error);
      return c.out.integer(0);
    }
  }
  auto outcome = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_increment(kv, c.replica(), c.args[2], *n); });
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}

// ---- commands that need coordination (a linearizable keyspace's) ----

void setnx(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (!c.fits(c.args[2].size())) return;
  if (c.find(c.args[1])) return c.out.integer(0);
  c.keys().write(c.args[1],
                 [&](KeyValue& kv) { return set_string(kv, c.replica(), c.args[2], c.now()); });
  c.keys().set_expiry(c.args[1], std::nullopt);
  c.out.integer(1);
}
void getset(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (!c.fits(c.args[2].size())) return;
  const KeyValue* v = c.find(c.args[1]);
  if (v && type_of(*v) != Type::string) return c.error(wrong_type);
  const std::optional<std::string> old = v ? string_value(*v) : std::nullopt;
  c.keys().write(c.args[1],
                 [&](KeyValue& kv) { return set_string(kv, c.replica(), c.args[2], c.now()); });
  c.keys().set_expiry(c.args[1], std::nullopt);
  c.bulk_or_null(old);
}
void getdel(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  const KeyValue* v = c.find(c.args[1]);
  if (!v) return c.out.null_bulk();
  if (type_of(*v) != Type::string) return c.error(wrong_type);
  const std::optional<std::string> old = string_value(*v);
  c.keys().write(c.args[1], [&](KeyValue& kv) { return remove_all(kv, c.replica(), c.now()); });
  c.bulk_or_null(old);
}
/// SPOP's choice: the same on every replica (seeded by the key and the log's clock, which
/// every replica applies alike), as a state machine's must be.
std::uint64_t deterministic_seed(Ctx& c, const std::string& key) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char ch : key) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ull;
  const lattices::HlcTimestamp t = c.self.clock();
  return h ^ (t.wall_ms * 0x9e3779b97f4a7c15ull) ^ t.logical;
}
void spop(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (c.args.size() > 3) return c.syntax_error();
  std::optional<std::int64_t> count;
  if (c.args.size() == 3) {
    count = parse_int64(c.args[2]);
    if (!count || *count < 0) return c.out.error("ERR value is out of range, must be positive");
  }
  auto members = c.members(c.args[1]);
  if (!members) return;
  if (members->empty()) return count ? c.out.array_header(0) : c.out.null_bulk();
  if (count && *count == 0) return c.out.array_header(0);  // changes nothing
  // Not SplitMix64 (lattices/random.hpp), which the rest of calm draws from: which members
  // SPOP takes is part of the replicated log's meaning, and a replica replaying its log after
  // an upgrade must take what the others took. Changing it needs a versioned log entry.
  std::mt19937_64 rng(deterministic_seed(c, c.args[1]));
  std::shuffle(members->begin(), members->end(), rng);
  const std::size_t n =
      count ? std::min<std::size_t>(members->size(), static_cast<std::size_t>(*count)) : 1;
  members->resize(n);
  c.keys().write(c.args[1], [&](KeyValue& kv) {
    KeyValue delta;
    for (const std::string& m : *members) {
      auto removed = set_remove(kv, m);
      if (auto* d = std::get_if<0>(&removed)) lattices::merge(delta, std::move(d->second));
    }
    return delta;
  });
  if (!count) return c.out.bulk(members->front());
  c.out.array_header(n);
  for (const std::string& m : *members) c.out.bulk(m);
}
void smove(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  const std::string &from = c.args[1], &to = c.args[2], &member = c.args[3];
  const KeyValue* source = c.find(from);
  const KeyValue* destination = c.find(to);
  if (!source) return c.out.integer(0);  // before the types, as Redis
  if (type_of(*source) != Type::set || (destination && type_of(*destination) != Type::set)) {
    return c.error(wrong_type);
  }
  if (!c.fits(member.size())) return;
  if (!source->set->contains(member)) return c.out.integer(0);
  if (from == to) return c.out.integer(1);
  const KeyValue* stored = c.keys().find(to);
  if (!c.has_dots(stored ? &stored->set->context() : nullptr, 1)) return;
  c.write_each(from, 3, 1, [&](KeyValue& kv, std::size_t i) { return set_remove(kv, c.args[i]); });
  c.write_each(to, 3, 1,
               [&](KeyValue& kv, std::size_t i) { return set_add(kv, c.replica(), c.args[i]); });
  c.out.integer(1);
}
/// RENAME and RENAMENX: the value and its expiry move; false after a reply when they cannot.
bool rename_key(Ctx& c, bool only_if_free) {
  const std::string &from = c.args[1], &to = c.args[2];
  const KeyValue* v = c.find(from);
  if (!v) {
    c.out.error("ERR no such key");
    return false;
  }
  if (only_if_free && c.find(to)) {
    c.out.integer(0);
    return false;
  }
  if (from == to) return true;
  KeyValue moved = *v;
  const auto expiry = c.keys().expiry_ms(from);
  // A linearizable keyspace applies commands one at a time and replicates none of these
  // deltas: the values are replaced whole.
  c.keys().write(to, [&](KeyValue& kv) {
    kv = std::move(moved);
    return KeyValue{};
  });
  c.keys().set_expiry(to, expiry);
  c.keys().write(from, [](KeyValue& kv) {
    kv = KeyValue{};
    return KeyValue{};
  });
  return true;
}
void rename(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (rename_key(c, false)) c.out.simple("OK");
}
void renamenx(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (rename_key(c, true)) c.out.integer(1);
}
void hsetnx(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  const KeyValue* v = nullptr;
  if (!c.hash(c.args[1], v)) return;
  if (!c.fits(c.args[2].size() + c.args[3].size())) return;
  if (v && hash_contains(*v, c.args[2])) return c.out.integer(0);
  const std::span<const std::string> pair(c.args.data() + 2, 2);
  const auto added = c.write<std::int64_t>(
      c.args[1], [&](KeyValue& kv) { return hash_set_fields(kv, c.replica(), pair); });
  if (added.error) return c.error(*added.error);
  c.out.integer(1);
}
/// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with Redis 7's NX, XX, GT, LT.
void expire_generic(Ctx& c, std::uint64_t unit_ms, bool absolute) {
  if (!c.linearizable()) {
    return c.out.error("ERR " + upper(c.args[0]) +
                       ": expiry needs coordination (every replica must agree on when a key "
                       "goes): only keys calm-kvs runs through its Paxos log take it "
                       "(calm-kvs --linearizable PATTERN)");
  }
  // Redis's order: the options' errors, then the time's.
  bool nx = false, xx = false, gt = false, lt = false;
  for (std::size_t i = 3; i < c.args.size(); ++i) {
    const std::string option = upper(c.args[i]);
    if (option == "NX") {
      nx = true;
    } else if (option == "XX") {
      xx = true;
    } else if (option == "GT") {
      gt = true;
    } else if (option == "LT") {
      lt = true;
    } else {
      return c.out.error("ERR Unsupported option " +
                         one_line(std::string(echoed(c.args[i], echo_bytes_max))));
    }
  }
  if (nx && (xx || gt || lt)) {
    return c.out.error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return c.out.error("ERR GT and LT options at the same time are not compatible");
  const auto n = c.integer(c.args[2]);
  if (!n) return;
  const std::string name = lower(c.args[0]);
  // A time in the past (any n <= 0) deletes the key, as in Redis; only overflow is an error,
  // in seconds below as above.
  if (unit_ms == 1000 && *n < INT64_MIN / 1000) {
    return c.out.error("ERR invalid expire time in '" + name + "' command");
  }
  std::uint64_t at = 0;
  if (*n > 0) {
    const auto computed = expiry_at(c, *n, unit_ms, absolute, name.c_str());
    if (!computed) return;
    at = *computed;
  }
  if (!c.find(c.args[1])) return c.out.integer(0);
  const auto current = c.keys().expiry_ms(c.args[1]);
  if ((nx && current) || (xx && !current) || (gt && (!current || at <= *current)) ||
      (lt && current && at >= *current)) {
    return c.out.integer(0);
  }
  if (at <= c.now_ms()) {
    c.keys().write(c.args[1], [&](KeyValue& kv) { return remove_all(kv, c.replica(), c.now()); });
  } else {
    c.keys().set_expiry(c.args[1], at);
  }
  c.out.integer(1);
}
void expire(Ctx& c) { expire_generic(c, 1000, false); }
void pexpire(Ctx& c) { expire_generic(c, 1, false); }
void expireat(Ctx& c) { expire_generic(c, 1000, true); }
void pexpireat(Ctx& c) { expire_generic(c, 1, true); }
void persist(Ctx& c) {
  if (!c.linearizable()) return needs_coordination(c);
  if (!c.find(c.args[1]) || !c.keys().expiry_ms(c.args[1])) return c.out.integer(0);
  c.keys().set_expiry(c.args[1], std::nullopt);
  c.out.integer(1);
}

// ---- lists ----

/// Redis's list positions: a negative index counts from the end.
std::int64_t from_end(std::int64_t index, std::size_t size) {
  return index < 0 ? index + static_cast<std::int64_t>(size) : index;
}
/// LRANGE's and LTRIM's [start, stop] on a list of `size`, as Redis clamps it: [first, end) by
/// position, empty when nothing is inside.
std::pair<std::size_t, std::size_t> clamp_range(std::int64_t start, std::int64_t stop,
                                                std::size_t size) {
  start = std::max<std::int64_t>(from_end(start, size), 0);
  stop = from_end(stop, size);
  const auto n = static_cast<std::int64_t>(size);
  if (start > stop || start >= n) return {0, 0};
  return {static_cast<std::size_t>(start), static_cast<std::size_t>(std::min(stop, n - 1)) + 1};
}
/// One write of a list key that inserts `values` (in list order) at the front or the back:
/// the new length, or an error that changed nothing.
Outcome<std::int64_t> push_values(Ctx& c, const std::string& key, bool front,
                                  std::vector<std::string> values) {
  return c.write<std::int64_t>(
      key, [&](KeyValue& kv) -> std::variant<std::pair<std::int64_t, KeyValue>, CommandError> {
        const std::size_t pos = front ? 0 : kv.list->size();
        auto inserted = list_insert(kv, c.replica(), pos, std::move(values));
        if (auto* e = std::get_if<CommandError>(&inserted)) return *e;
        return std::pair{static_cast<std::int64_t>(kv.list->size()),
                         std::move(std::get<KeyValue>(inserted))};
      });
}
/// LPUSH, RPUSH, LPUSHX and RPUSHX: the values as one run, so a pipeline of pushes by one
/// client stays one piece of the list.
void push(Ctx& c, bool front, bool only_if_present) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (only_if_present && !v) return c.out.integer(0);
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    if (!c.fits(c.args[i].size())) return;
  }
  std::vector<std::string> values(c.args.begin() + 2, c.args.end());
  if (front) std::reverse(values.begin(), values.end());  // LPUSH a b c reads c b a
  const auto outcome = push_values(c, c.args[1], front, std::move(values));
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}
void lpush(Ctx& c) { push(c, true, false); }
void rpush(Ctx& c) { push(c, false, false); }
void lpushx(Ctx& c) { push(c, true, true); }
void rpushx(Ctx& c) { push(c, false, true); }

/// Takes up to `n` elements off the front or the back of a list key (present, a list); returns
/// them in the order they came off.
std::vector<std::string> take(Ctx& c, const std::string& key, bool front, std::size_t n) {
  const KeyValue* v = c.find(key);
  const std::size_t size = v->list->size();
  n = std::min(n, size);
  const std::size_t first = front ? 0 : size - n;
  std::vector<std::string> taken = list_range(*v, first, first + n);
  if (!front) std::reverse(taken.begin(), taken.end());
  c.keys().write(key, [&](KeyValue& kv) { return list_erase(kv, first, n); });
  return taken;
}
/// LPOP and RPOP, with Redis's replies: a bulk without a count, an array with one.
void pop(Ctx& c, bool front) {
  if (c.args.size() > 3) return c.arity_error();
  std::optional<std::int64_t> count;
  if (c.args.size() == 3) {
    count = parse_int64(c.args[2]);
    if (!count || *count < 0) return c.out.error("ERR value is out of range, must be positive");
  }
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return count ? c.out.null_array() : c.out.null_bulk();
  const std::vector<std::string> taken =
      take(c, c.args[1], front, count ? static_cast<std::size_t>(*count) : 1);
  if (!count) return c.out.bulk(taken.front());
  c.out.array_header(taken.size());
  for (const std::string& x : taken) c.out.bulk(x);
}
void lpop(Ctx& c) { pop(c, true); }
void rpop(Ctx& c) { pop(c, false); }

void llen(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  c.out.integer(v ? static_cast<std::int64_t>(v->list->size()) : 0);
}
/// LRANGE's and LTRIM's arguments: the list (null when absent) and [first, end) by position;
/// nothing, after the reply, when they are not integers or the key is of another type.
struct ListRange {
  const KeyValue* list = nullptr;
  std::size_t first = 0, end = 0;
};
std::optional<ListRange> range_arguments(Ctx& c) {
  const auto start = c.integer(c.args[2]);
  if (!start) return std::nullopt;
  const auto stop = c.integer(c.args[3]);
  if (!stop) return std::nullopt;
  ListRange r;
  if (!c.of_type(c.args[1], Type::list, r.list)) return std::nullopt;
  if (r.list) std::tie(r.first, r.end) = clamp_range(*start, *stop, r.list->list->size());
  return r;
}
void lrange(Ctx& c) {
  const auto r = range_arguments(c);
  if (!r) return;
  c.out.array_header(r->end - r->first);
  if (r->list) {
    r->list->list->for_each(r->first, r->end, [&](const std::string& x) { c.out.bulk(x); });
  }
}
void lindex(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.null_bulk();  // before the index, as Redis
  const auto index = c.integer(c.args[2]);
  if (!index) return;
  const std::int64_t at = from_end(*index, v->list->size());
  if (at < 0 || at >= static_cast<std::int64_t>(v->list->size())) return c.out.null_bulk();
  c.out.bulk(v->list->at(static_cast<std::size_t>(at)));
}
void lset(Ctx& c) {
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.error("ERR no such key");
  const auto index = c.integer(c.args[2]);
  if (!index) return;
  const std::int64_t at = from_end(*index, v->list->size());
  if (at < 0 || at >= static_cast<std::int64_t>(v->list->size())) {
    return c.out.error("ERR index out of range");
  }
  if (!c.fits(c.args[3].size())) return;
  const auto pos = static_cast<std::size_t>(at);
  // The element goes and a new one takes its place: a concurrent LSET of the same index at
  // another replica leaves both values (docs/kvs.md).
  const auto outcome = c.write<bool>(
      c.args[1], [&](KeyValue& kv) -> std::variant<std::pair<bool, KeyValue>, CommandError> {
        auto inserted = list_insert(kv, c.replica(), pos + 1, {c.args[3]});
        if (auto* e = std::get_if<CommandError>(&inserted)) return *e;
        KeyValue delta = std::move(std::get<KeyValue>(inserted));
        lattices::merge(delta, list_erase(kv, pos, 1));
        return std::pair{true, std::move(delta)};
      });
  if (outcome.error) return c.error(*outcome.error);
  c.out.simple("OK");
}
void linsert(Ctx& c) {
  const std::string where = upper(c.args[2]);
  if (where != "BEFORE" && where != "AFTER") return c.syntax_error();
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.integer(0);
  std::size_t index = 0;
  bool found = false;
  v->list->for_each([&](const std::string& x) {
    if (found) return;
    if (x == c.args[3]) {
      found = true;
    } else {
      ++index;
    }
  });
  if (!found) return c.out.integer(-1);
  if (!c.fits(c.args[4].size())) return;
  const auto outcome = c.write<std::int64_t>(
      c.args[1],
      [&](KeyValue& kv) -> std::variant<std::pair<std::int64_t, KeyValue>, CommandError> {
        auto inserted =
            list_insert(kv, c.replica(), where == "BEFORE" ? index : index + 1, {c.args[4]});
        if (auto* e = std::get_if<CommandError>(&inserted)) return *e;
        return std::pair{static_cast<std::int64_t>(kv.list->size()),
                         std::move(std::get<KeyValue>(inserted))};
      });
  if (outcome.error) return c.error(*outcome.error);
  c.out.integer(*outcome.value);
}
void lrem(Ctx& c) {
  const auto count = c.integer(c.args[2]);
  if (!count) return;
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  if (!v) return c.out.integer(0);
  std::vector<std::size_t> matches;
  std::size_t i = 0;
  v->list->for_each([&](const std::string& x) {
    if (x == c.args[3]) matches.push_back(i);
    ++i;
  });
  // |count| matches from the head (count > 0) or the tail (count < 0), or all of them.
  const std::uint64_t limit = *count == 0  ? matches.size()
                              : *count > 0 ? static_cast<std::uint64_t>(*count)
                                           : std::uint64_t{0} - static_cast<std::uint64_t>(*count);
  if (matches.size() > limit) {
    if (*count > 0) {
      matches.resize(limit);
    } else {
      matches.erase(matches.begin(), matches.end() - static_cast<std::ptrdiff_t>(limit));
    }
  }
  if (matches.empty()) return c.out.integer(0);
  c.keys().write(c.args[1], [&](KeyValue& kv) { return list_erase_each(kv, matches); });
  c.out.integer(static_cast<std::int64_t>(matches.size()));
}
void ltrim(Ctx& c) {
  const auto r = range_arguments(c);
  if (!r) return;
  if (r->list) {
    const std::size_t size = r->list->list->size();
    if (r->first > 0 || r->end < size) {
      c.keys().write(c.args[1], [&](KeyValue& kv) {
        KeyValue delta = list_erase(kv, r->end, size - r->end);
        lattices::merge(delta, list_erase(kv, 0, r->first));
        return delta;
      });
    }
  }
  c.out.simple("OK");
}
/// LPOS key element [RANK rank] [COUNT count] [MAXLEN len].
void lpos(Ctx& c) {
  std::int64_t rank = 1, maxlen = 0;
  std::optional<std::int64_t> count;
  for (std::size_t i = 3; i < c.args.size(); i += 2) {
    const std::string option = upper(c.args[i]);
    if (i + 1 >= c.args.size() || (option != "RANK" && option != "COUNT" && option != "MAXLEN")) {
      return c.syntax_error();
    }
    // Redis answers a COUNT or MAXLEN that is no integer with its "can't be negative" text.
    const auto n = option == "RANK" ? c.integer(c.args[i + 1]) : parse_int64(c.args[i + 1]);
    if (!n && option == "RANK") return;
    if (option == "RANK") {
      if (*n == INT64_MIN) {  // Redis 7.2's answer (7.0 negates it, overflowing)
        return c.out.error(
            "ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
      }
      if (*n == 0) {
        return c.out.error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
      rank = *n;
    } else if (option == "COUNT") {
      if (!n || *n < 0) return c.out.error("ERR COUNT can't be negative");
      count = *n;
    } else {
      if (!n || *n < 0) return c.out.error("ERR MAXLEN can't be negative");
      maxlen = *n;
    }
  }
  const KeyValue* v = nullptr;
  if (!c.of_type(c.args[1], Type::list, v)) return;
  std::vector<std::int64_t> found;
  if (v) {
    // Only the MAXLEN elements a search may look at are copied, from the end it starts at.
    const std::size_t size = v->list->size();
    const std::size_t window =
        maxlen == 0 ? size : std::min<std::size_t>(size, static_cast<std::uint64_t>(maxlen));
    const bool forward = rank > 0;
    const std::size_t base = forward ? 0 : size - window;
    const std::vector<std::string> seen = list_range(*v, base, base + window);
    const auto n = static_cast<std::int64_t>(size);
    std::int64_t skip = (forward ? rank : -rank) - 1;
    const std::uint64_t wanted = !count        ? 1
                                 : *count == 0 ? UINT64_MAX
                                               : static_cast<std::uint64_t>(*count);
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(window) && found.size() < wanted; ++k) {
      const std::int64_t at = forward ? k : n - 1 - k;
      if (seen[static_cast<std::size_t>(at) - base] != c.args[2]) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      found.push_back(at);
    }
  }
  if (!count) return found.empty() ? c.out.null_bulk() : c.out.integer(found.front());
  c.out.array_header(found.size());
  for (const std::int64_t at : found) c.out.integer(at);
}
/// LMOVE and RPOPLPUSH: an element off one end of `from` onto one end of `to`. On a
/// coordination-free key two replicas may move the same element concurrently: it is then
/// pushed twice (at least once, as the POPs).
void move_element(Ctx& c, bool from_front, bool to_front) {
  const std::string &from = c.args[1], &to = c.args[2];
  const KeyValue* source = nullptr;
  if (!c.of_type(from, Type::list, source)) return;
  if (!source) return c.out.null_bulk();
  const KeyValue* destination = nullptr;
  if (!c.of_type(to, Type::list, destination)) return;
  std::string value = take(c, from, from_front, 1).front();
  const auto outcome = push_values(c, to, to_front, {value});
  if (outcome.error) return c.error(*outcome.error);
  c.out.bulk(value);
}
void lmove(Ctx& c) {
  const std::string from = upper(c.args[3]), to = upper(c.args[4]);
  const auto side = [](const std::string& w) { return w == "LEFT" || w == "RIGHT"; };
  if (!side(from) || !side(to)) return c.syntax_error();
  move_element(c, from == "LEFT", to == "LEFT");
}
void rpoplpush(Ctx& c) { move_element(c, false, true); }

/// MULTI, EXEC, DISCARD, WATCH and UNWATCH are the server's (router.hpp): they decide which
/// keys' class a transaction is in. A processor used on its own runs none.
void transaction_command(Ctx& c) {
  c.out.error("ERR " + upper(c.args[0]) + " is handled by calm-kvs's server, not here");
}

/// The table with each command's `index`: its place among the names in order.
std::unordered_map<std::string_view, Command> with_indexes(
    std::unordered_map<std::string_view, Command> commands) {
  std::vector<std::string_view> names;
  for (const auto& entry : commands) names.push_back(entry.first);
  std::sort(names.begin(), names.end());
  for (std::size_t i = 0; i < names.size(); ++i) commands.at(names[i]).index = i;
  return commands;
}

// Names as string literals: the lookup needs no allocation.
const std::unordered_map<std::string_view, Command>& table() {
  constexpr Writes key = Writes::first_key;
  constexpr Writes none = Writes::none;
  constexpr KeyArgs first = KeyArgs::first, all = KeyArgs::all, two = KeyArgs::first_two;
  constexpr unsigned r = read_only, co = coordinated, wide = keyspace_wide, tx = transaction;
  static const std::unordered_map<std::string_view, Command> commands = with_indexes({
      {"ping", {-1, ping, none, KeyArgs::none, r}},
      {"echo", {2, echo, none, KeyArgs::none, r}},
      {"quit", {-1, quit, none, KeyArgs::none, r}},
      {"select", {2, select, none, KeyArgs::none, r}},
      {"hello", {-1, hello, none, KeyArgs::none, r}},
      {"client", {-2, client, none, KeyArgs::none, r}},
      {"command", {-1, command, none, KeyArgs::none, r}},
      {"info", {-1, info, none, KeyArgs::none, r}},
      {"config", {-2, config, none, KeyArgs::none, r}},
      {"time", {1, time, none, KeyArgs::none, r}},
      {"role", {1, role, none, KeyArgs::none, r}},
      {"lastsave", {1, lastsave, none, KeyArgs::none, r}},
      {"dbsize", {1, dbsize, none, KeyArgs::none, r | wide}},
      {"flushdb", {-1, flush, none, KeyArgs::none, wide}},
      {"flushall", {-1, flush, none, KeyArgs::none, wide}},
      {"del", {-2, del, none, all}},
      {"unlink", {-2, del, none, all}},
      {"exists", {-2, exists, none, all, r}},
      {"type", {2, type, none, first, r}},
      {"keys", {2, keys, none, KeyArgs::none, r | wide}},
      {"scan", {-2, scan, none, KeyArgs::none, r | wide}},
      {"ttl", {2, ttl, none, first, r}},
      {"pttl", {2, ttl, none, first, r}},
      {"expiretime", {2, ttl, none, first, r}},
      {"pexpiretime", {2, ttl, none, first, r}},
      {"get", {2, get, none, first, r}},
      {"set", {-3, set, key, first}},
      {"mget", {-2, mget, none, all, r}},
      {"mset", {-3, mset, Writes::alternate_keys, KeyArgs::alternate}},
      {"strlen", {2, strlen_, none, first, r}},
      {"append", {3, append, key, first}},
      {"getrange", {4, getrange, none, first, r}},
      {"incr", {2, incr, key, first}},
      {"decr", {2, decr, key, first}},
      {"incrby", {3, incrby, key, first}},
      {"decrby", {3, decrby, key, first}},
      {"sadd", {-3, sadd, key, first}},
      {"srem", {-3, srem, key, first}},
      {"smembers", {2, smembers, none, first, r}},
      {"sismember", {3, sismember, none, first, r}},
      {"smismember", {-3, smismember, none, first, r}},
      {"scard", {2, scard, none, first, r}},
      {"srandmember", {-2, srandmember, none, first, r}},
      {"sinter", {-2, set_read<SetOp::inter>, none, all, r}},
      {"sunion", {-2, set_read<SetOp::uni>, none, all, r}},
      {"sdiff", {-2, set_read<SetOp::diff>, none, all, r}},
      {"sinterstore", {-3, set_store<SetOp::inter>, key, all}},
      {"sunionstore", {-3, set_store<SetOp::uni>, key, all}},
      {"sdiffstore", {-3, set_store<SetOp::diff>, key, all}},
      {"hset", {-4, hset, key, first}},
      {"hmset", {-4, hmset, key, first}},
      {"hget", {3, hget, none, first, r}},
      {"hmget", {-3, hmget, none, first, r}},
      {"hdel", {-3, hdel, key, first}},
      {"hexists", {3, hexists, none, first, r}},
      {"hgetall", {2, hgetall, none, first, r}},
      {"hkeys", {2, hkeys, none, first, r}},
      {"hvals", {2, hvals, none, first, r}},
      {"hlen", {2, hlen, none, first, r}},
      {"hstrlen", {3, hstrlen, none, first, r}},
      {"hincrby", {4, hincrby, key, first}},
      {"lpush", {-3, lpush, key, first}},
      {"rpush", {-3, rpush, key, first}},
      {"lpushx", {-3, lpushx, key, first}},
      {"rpushx", {-3, rpushx, key, first}},
      {"lpop", {-2, lpop, key, first}},
      {"rpop", {-2, rpop, key, first}},
      {"llen", {2, llen, none, first, r}},
      {"lrange", {4, lrange, none, first, r}},
      {"lindex", {3, lindex, none, first, r}},
      {"lpos", {-3, lpos, none, first, r}},
      {"lset", {4, lset, key, first}},
      {"linsert", {5, linsert, key, first}},
      {"lrem", {4, lrem, key, first}},
      {"ltrim", {4, ltrim, key, first}},
      {"lmove", {5, lmove, Writes::first_two_keys, two}},
      {"rpoplpush", {3, rpoplpush, Writes::first_two_keys, two}},
      {"setnx", {3, setnx, key, first, co}},
      {"getset", {3, getset, key, first, co}},
      {"getdel", {2, getdel, none, first, co}},
      {"spop", {-2, spop, none, first, co}},
      {"smove", {4, smove, Writes::first_two_keys, two, co}},
      {"rename", {3, rename, Writes::first_two_keys, two, co}},
      {"renamenx", {3, renamenx, Writes::first_two_keys, two, co}},
      {"hsetnx", {4, hsetnx, key, first, co}},
      {"expire", {-3, expire, none, first, co}},
      {"pexpire", {-3, pexpire, none, first, co}},
      {"expireat", {-3, expireat, none, first, co}},
      {"pexpireat", {-3, pexpireat, none, first, co}},
      {"persist", {2, persist, none, first, co}},
      {"multi", {1, transaction_command, none, KeyArgs::none, tx}},
      {"exec", {1, transaction_command, none, KeyArgs::none, tx}},
      {"discard", {1, transaction_command, none, KeyArgs::none, tx}},
      {"watch", {-2, transaction_command, none, all, tx | r}},
      {"unwatch", {1, transaction_command, none, KeyArgs::none, tx | r}},
  });
  return commands;
}

/// The command's entry, or null when calm-kvs has none (looked up in lower case, without
/// copying a name longer than any).
const Command* lookup(const std::string& word) {
  std::array<char, 16> name{};
  if (word.size() > name.size()) return nullptr;
  for (std::size_t i = 0; i < word.size(); ++i) {
    name[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(word[i])));
  }
  const auto it = table().find(std::string_view(name.data(), word.size()));
  return it == table().end() ? nullptr : &it->second;
}

bool arity_fits(const Command& command, std::size_t size) {
  const auto words = static_cast<int>(std::min<std::size_t>(size, 1 << 30));
  return command.arity > 0 ? words == command.arity : words >= -command.arity;
}

}  // namespace

std::vector<std::string> CommandProcessor::command_names() {
  std::vector<std::string> names;
  for (const auto& [name, command] : table()) names.emplace_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

CommandTraits CommandProcessor::describe(const Request& request) {
  CommandTraits traits;
  if (request.empty()) return traits;
  const Command* command = lookup(request[0]);
  if (command == nullptr) return traits;
  traits.known = true;
  traits.index = command->index;
  traits.arity_ok = arity_fits(*command, request.size());
  traits.read_only = (command->flags & read_only) != 0;
  traits.coordinated = (command->flags & coordinated) != 0;
  traits.keyspace_wide = (command->flags & keyspace_wide) != 0;
  traits.transaction = (command->flags & transaction) != 0;
  if (!traits.arity_ok) return traits;
  if (command->run == set) {
    // SET with any option (NX, XX, GET, an expiry) depends on the key's current value or sets
    // an expiry: coordinated. A plain SET is a register write.
    traits.coordinated = request.size() > 3;
  }
  switch (command->keys) {
    case KeyArgs::none:
      break;
    case KeyArgs::first:
      traits.keys.push_back(1);
      break;
    case KeyArgs::first_two:
      traits.keys = {1, 2};
      break;
    case KeyArgs::all:
      for (std::size_t i = 1; i < request.size(); ++i) traits.keys.push_back(i);
      break;
    case KeyArgs::alternate:
      for (std::size_t i = 1; i < request.size(); i += 2) traits.keys.push_back(i);
      break;
  }
  return traits;
}

void CommandProcessor::execute(const Request& request, Session& session, std::string& reply) {
  Context c{*this, request, session, ReplyWriter(reply)};
  if (request.empty()) return;
  const std::string& word = request[0];
  const Command* command = lookup(word);
  if (command == nullptr) {
    // Redis's words and cuts: the name's first 128 bytes, then arguments until their echo
    // reaches 128 bytes, the last one cut to fit.
    std::string args;
    for (std::size_t i = 1; i < request.size() && args.size() < echo_bytes_max; ++i) {
      args += '\'';
      args += echoed(request[i], echo_bytes_max - args.size() + 1);
      args += "' ";
    }
    return c.out.error(one_line("ERR unknown command '" +
                                std::string(echoed(word, echo_bytes_max)) +
                                "', with args beginning with: " + args));
  }
  if (!arity_fits(*command, request.size())) return c.arity_error();
  if (command->writes != Writes::none) {
    const std::size_t step = command->writes == Writes::alternate_keys   ? 2
                             : command->writes == Writes::first_two_keys ? 1
                                                                         : request.size();
    const std::size_t end = command->writes == Writes::first_two_keys ? 3 : request.size();
    for (std::size_t i = 1; i < end; i += step) {
      if (request[i].size() > limits_.key_bytes_max) {
        return c.out.error("ERR calm-kvs takes keys up to " +
                           std::to_string(limits_.key_bytes_max) +
                           " bytes (a write must fit one replication message)");
      }
    }
  }
  command->run(c);
}

}  // namespace calm::apps::kvs
