// Connection and server commands: PING ECHO QUIT SELECT AUTH HELLO CLIENT INFO CONFIG TIME ROLE
// LASTSAVE DBSIZE FLUSHDB FLUSHALL. COMMAND, which describes the table, is in commands.cpp.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvs/commands/handlers.hpp"
#include "lattices/serialize.hpp"

namespace calm::apps::kvs::handlers {

void ping(Ctx& c) {
  if (c.args.size() > 2) return c.arity_error();
  if (c.session.subscriptions > 0 && !c.out.resp3()) {  // RESP2's subscribed state: an array
    c.out.array_header(2);
    c.out.bulk("pong");
    return c.out.bulk(c.args.size() == 2 ? std::string_view(c.args[1]) : std::string_view());
  }
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
namespace {

/// Whether `given` is the server's password, in time that does not depend on where they first
/// differ: both are hashed, and the digests compared with CRYPTO_memcmp.
bool password_matches(std::string_view given, const std::string& password) {
  const auto digest = [](std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int n = 0;
    if (EVP_Digest(text.data(), text.size(), out.data(), &n, EVP_sha256(), nullptr) != 1) {
      n = 0;  // cannot hash: the digests stay zero, and `ok` below refuses
    }
    return std::pair{out, n};
  };
  const auto [a, a_bytes] = digest(given);
  const auto [b, b_bytes] = digest(password);
  const bool ok = a_bytes == 32 && b_bytes == 32;
  return CRYPTO_memcmp(a.data(), b.data(), 32) == 0 && ok;
}

constexpr std::string_view wrong_pass =
    "WRONGPASS invalid username-password pair or user is disabled.";

/// AUTH's and HELLO AUTH's check, as Redis's default user: with no password, any password
/// of the user "default" is taken; with one, it must match. Replies WRONGPASS when not.
bool authenticate(Ctx& c, std::string_view user, std::string_view given) {
  if (user == "default" &&
      (c.facts().password.empty() || password_matches(given, c.facts().password))) {
    c.session.authenticated = true;
    return true;
  }
  c.out.error(wrong_pass);
  return false;
}

/// The longest client name calm-kvs takes (Redis has no bound): CLIENT LIST and CLIENT INFO
/// print a client's name, so a name's length sets theirs.
constexpr std::size_t client_name_bytes_max = 1024;

/// Whether `name` can be a client name: calm-kvs's bound, then Redis's rule (no spaces,
/// newlines or other characters outside '!'-'~'); false after the error reply when not.
bool client_name_ok(Ctx& c, std::string_view name) {
  if (name.size() > client_name_bytes_max) {
    c.out.error("ERR calm-kvs takes client names of up to " +
                std::to_string(client_name_bytes_max) + " bytes");
    return false;
  }
  if (!std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '!' && ch <= '~'; })) {
    c.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return false;
  }
  return true;
}

}  // namespace

void auth(Ctx& c) {
  if (c.args.size() > 3) return c.syntax_error();
  if (c.args.size() == 2 && c.facts().password.empty()) {
    return c.out.error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
  }
  const std::string_view user = c.args.size() == 3 ? std::string_view(c.args[1]) : "default";
  if (authenticate(c, user, c.args.back())) c.out.simple("OK");
}

/// HELLO [protover [AUTH user pass] [SETNAME name]]: switches the connection to RESP2 or RESP3
/// and answers (in the new protocol) what this server is.
void hello(Ctx& c) {
  // Without a version, the connection keeps its protocol (and HELLO reports it), as in Redis.
  std::int64_t version = static_cast<std::int64_t>(c.session.protocol);
  if (c.args.size() >= 2) {
    const auto asked = parse_int64(c.args[1]);
    if (!asked) return c.out.error("ERR Protocol version is not an integer or out of range");
    if (*asked != 2 && *asked != 3) return c.out.error("NOPROTO unsupported protocol version");
    version = *asked;
  }
  std::optional<std::size_t> auth_at, name_at;  // where AUTH's user and SETNAME's name are
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    const std::size_t more = c.args.size() - 1 - i;
    const std::string option = c.args[i].size() <= 8 ? lower(c.args[i]) : std::string();
    if (option == "auth" && more >= 2) {
      auth_at = i + 1;
      i += 2;
    } else if (option == "setname" && more >= 1) {
      // Checked here, before AUTH logs in, in Redis's order.
      if (!client_name_ok(c, c.args[i + 1])) return;
      name_at = i + 1;
      i += 1;
    } else {
      return c.out.error(one_line("ERR Syntax error in HELLO option '" +
                                  std::string(echoed(c.args[i], echo_bytes_max)) + "'"));
    }
  }
  if (auth_at && !authenticate(c, c.args[*auth_at], c.args[*auth_at + 1])) return;
  if (!c.session.authenticated) {
    return c.out.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time");
  }
  if (name_at) c.session.name = c.args[*name_at];
  c.session.protocol = version == 3 ? Protocol::resp3 : Protocol::resp2;
  c.out.set_protocol(c.session.protocol);  // HELLO's reply is the new protocol's already
  c.out.map_header(7);
  c.out.bulk("server");
  c.out.bulk("calm-kvs");
  c.out.bulk("version");
  c.out.bulk("7.0.0");  // the Redis it answers as (INFO: redis_version), for clients that check
  c.out.bulk("proto");
  c.out.integer(version);
  c.out.bulk("id");
  c.out.integer(static_cast<std::int64_t>(c.session.id));
  c.out.bulk("mode");
  c.out.bulk("standalone");
  c.out.bulk("role");
  c.out.bulk("master");
  c.out.bulk("modules");
  c.out.array_header(0);
}

namespace {

/// CLIENT LIST's and CLIENT KILL's TYPE: the type `name` names, or nothing when Redis knows
/// no such type.
std::optional<ClientType> client_type(const std::string& name) {
  const std::string type = name.size() <= 8 ? lower(name) : std::string();
  if (type == "normal") return ClientType::normal;
  if (type == "pubsub") return ClientType::pubsub;
  if (type == "master" || type == "slave" || type == "replica") return ClientType::none;
  return std::nullopt;
}

void client_list(Ctx& c) {
  const auto& list = c.facts().client_list;
  if (c.args.size() == 2) return c.out.verbatim(list ? list(nullptr, std::nullopt) : "");
  const std::string option = c.args[2].size() <= 4 ? lower(c.args[2]) : std::string();
  if (c.args.size() == 4 && option == "type") {
    const auto type = client_type(c.args[3]);
    if (!type) {
      return c.out.error(one_line("ERR Unknown client type '" +
                                  std::string(echoed(c.args[3], echo_bytes_max)) + "'"));
    }
    if (*type == ClientType::none || !list) return c.out.verbatim("");
    return c.out.verbatim(list(nullptr, type));
  }
  if (c.args.size() > 3 && option == "id") {
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 3; i < c.args.size(); ++i) {
      const auto id = parse_int64(c.args[i]);
      if (!id) return c.out.error("ERR Invalid client ID");
      if (*id > 0) ids.push_back(static_cast<std::uint64_t>(*id));  // none has another id
    }
    return c.out.verbatim(list ? list(&ids, std::nullopt) : "");
  }
  c.syntax_error();
}

void client_kill(Ctx& c) {
  ClientKillFilter filter;
  if (c.args.size() == 3) {  // the old form, CLIENT KILL ip:port: it may kill itself
    filter.addr = c.args[2];
    filter.skip_me = false;
    const std::size_t killed =
        c.facts().kill_clients ? c.facts().kill_clients(filter, c.session.id) : 0;
    if (killed == 0) return c.out.error("ERR No such client");
    return c.out.simple("OK");
  }
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    const bool more = i + 1 < c.args.size();
    const std::string option = c.args[i].size() <= 8 ? lower(c.args[i]) : std::string();
    if (!more) return c.syntax_error();
    const std::string& value = c.args[i + 1];
    if (option == "id") {
      const auto id = parse_int64(value);
      if (!id || *id < 1) return c.out.error("ERR client-id should be greater than 0");
      filter.id = static_cast<std::uint64_t>(*id);
    } else if (option == "type") {
      filter.type = client_type(value);
      if (!filter.type) {
        return c.out.error(one_line("ERR Unknown client type '" +
                                    std::string(echoed(value, echo_bytes_max)) + "'"));
      }
    } else if (option == "addr") {
      filter.addr = value;
    } else if (option == "laddr") {
      filter.laddr = value;
    } else if (option == "user") {
      if (value != "default") {  // the only user, as in Redis without ACLs
        return c.out.error(
            one_line("ERR No such user '" + std::string(echoed(value, echo_bytes_max)) + "'"));
      }
    } else if (option == "skipme") {
      const std::string yes_no = value.size() <= 3 ? lower(value) : std::string();
      if (yes_no != "yes" && yes_no != "no") return c.syntax_error();
      filter.skip_me = yes_no == "yes";
    } else {
      return c.syntax_error();
    }
  }
  const std::size_t killed =
      c.facts().kill_clients ? c.facts().kill_clients(filter, c.session.id) : 0;
  c.out.integer(static_cast<std::int64_t>(killed));
}

}  // namespace

/// CLIENT ID, INFO, LIST, KILL, SETNAME, GETNAME and NO-EVICT, as Redis 7.0 answers them.
/// Every connection is of the user "default" and speaks RESP2. NO-EVICT is a no-op: calm-kvs
/// closes no client for memory but one past its own bounds (docs/kvs.md, "Bounds on clients"),
/// which no flag lifts.
void client(Ctx& c) {
  const std::string sub = c.subcommand();
  const bool exact_two = sub == "getname" || sub == "id" || sub == "info";
  if ((sub == "setname" && c.args.size() != 3) || (exact_two && c.args.size() != 2) ||
      (sub == "kill" && c.args.size() < 3) || (sub == "no-evict" && c.args.size() != 3)) {
    return c.subcommand_arity_error();
  }
  if (sub == "setname") {
    if (!client_name_ok(c, c.args[2])) return;
    c.session.name = c.args[2];
    return c.out.simple("OK");
  }
  if (sub == "getname") {
    if (c.session.name.empty()) return c.out.null_bulk();
    return c.out.bulk(c.session.name);
  }
  if (sub == "id") return c.out.integer(static_cast<std::int64_t>(c.session.id));
  if (sub == "info") {
    if (!c.facts().client_list) return c.out.verbatim("");
    const std::vector<std::uint64_t> me{c.session.id};
    return c.out.verbatim(c.facts().client_list(&me, std::nullopt));
  }
  if (sub == "list") return client_list(c);
  if (sub == "kill") return client_kill(c);
  if (sub == "no-evict") {
    const std::string on = lower(c.args[2]);
    if (on != "on" && on != "off") return c.syntax_error();
    return c.out.simple("OK");
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
  std::set<std::string> wanted;
  for (std::size_t i = 1; i < c.args.size(); ++i) wanted.insert(lower(c.args[i]));
  // As Redis: no argument or "default" is every section but Commandstats; "all" and
  // "everything" add it.
  const bool all = wanted.count("all") || wanted.count("everything");
  const bool every = all || wanted.empty() || wanted.count("default");
  if (every || wanted.count("keyspace")) {
    // The keys, those with a TTL, and their average time left in ms (Redis estimates it by
    // sampling; here it is exact). A pass over the keyspace: only when the section is asked
    // for (redis-cli --stat asks for INFO stats every second).
    std::size_t keys = 0, expires = 0;
    std::uint64_t ttl_sum_ms = 0;
    const std::uint64_t now = c.now_ms();
    c.keys().for_each([&](const std::string& key, const KeyValue& v) {
      if (type_of(v) == Type::none) return;
      ++keys;
      const auto at =
          c.linearizable() ? c.keys().expiry_ms(key) : std::optional(expiry_deadline_ms(v));
      if (!at || *at == 0) return;
      ++expires;
      // Saturating: deadlines reach 2^63 ms, and two of them would wrap the sum.
      const std::uint64_t left = *at > now ? *at - now : 0;
      ttl_sum_ms = left > UINT64_MAX - ttl_sum_ms ? UINT64_MAX : ttl_sum_ms + left;
    });
    sections.emplace_back(
        "Keyspace",
        keys == 0
            ? std::string()
            : "db0:keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires) +
                  ",avg_ttl=" + std::to_string(expires == 0 ? 0 : ttl_sum_ms / expires) + "\r\n");
  }
  std::string text;
  for (const auto& [title, body] : sections) {
    const bool listed = every && (all || title != "Commandstats");
    if (!listed && !wanted.count(lower(title))) continue;
    if (!text.empty()) text += "\r\n";
    text += "# " + title + "\r\n" + body;
  }
  c.out.verbatim(text);
}
namespace {

/// Redis 7.0's names that set one value (the old ziplist names and the listpack ones).
const char* tuning_alias(const std::string& name) {
  static const std::pair<const char*, const char*> aliases[] = {
      {"hash-max-ziplist-entries", "hash-max-listpack-entries"},
      {"hash-max-ziplist-value", "hash-max-listpack-value"},
      {"list-max-ziplist-size", "list-max-listpack-size"},
      {"zset-max-ziplist-entries", "zset-max-listpack-entries"},
      {"zset-max-ziplist-value", "zset-max-listpack-value"}};
  for (const auto& [a, b] : aliases) {
    if (name == a) return b;
    if (name == b) return a;
  }
  return nullptr;
}

/// How Redis 7.0 reads one encoding-tuning setting: yes or no, an integer (its strict form,
/// as string2ll), or a memory size (digits and an optional unit, as memtoull), within bounds.
struct TuningType {
  enum class Kind { yes_no, integer, memory } kind;
  std::int64_t min = 0, max = INT64_MAX;
};
TuningType tuning_type(const std::string& name) {
  using K = TuningType::Kind;
  constexpr std::int64_t int_min = INT32_MIN, int_max = INT32_MAX;
  if (name == "activerehashing") return {K::yes_no};
  if (name == "list-max-listpack-size" || name == "list-max-ziplist-size") {
    return {K::integer, int_min, int_max};
  }
  if (name == "list-compress-depth") return {K::integer, 0, int_max};
  const auto ends_with = [&](std::string_view tail) {
    return name.size() >= tail.size() &&
           name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with("-value") || ends_with("-bytes")) return {K::memory};
  return {K::integer};  // the -entries settings
}

/// Redis's memtoull: digits, then nothing, b, k, kb, m, mb, g or gb (any case); nothing when
/// malformed. Past UINT64_MAX it saturates, as strtoull does, and a unit's product wraps.
std::optional<std::uint64_t> memory_value(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  static const std::pair<const char*, std::uint64_t> units[] = {
      {"", 1},        {"b", 1},         {"k", 1000},       {"kb", 1024},
      {"m", 1000000}, {"mb", 1u << 20}, {"g", 1000000000}, {"gb", 1u << 30}};
  const std::string unit = lower(text.substr(digits));
  const auto it = std::find_if(std::begin(units), std::end(units),
                               [&](const auto& u) { return unit == u.first; });
  if (it == std::end(units) || digits > 127) return std::nullopt;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const auto d = static_cast<std::uint64_t>(text[i] - '0');
    n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
  }
  return n * it->second;
}

/// A setting's value as CONFIG GET shows it once set, or CONFIG SET's error (Redis's texts).
struct TuningValue {
  std::string value;
  std::optional<std::string> error;
};
TuningValue tuning_value(const std::string& name, const std::string& text) {
  const TuningType type = tuning_type(name);
  const auto failed = [&](const std::string& why) {
    return TuningValue{
        {},
        one_line("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why)};
  };
  const auto between = [&] {
    return failed("argument must be between " + std::to_string(type.min) + " and " +
                  std::to_string(type.max) + " inclusive");
  };
  switch (type.kind) {
    case TuningType::Kind::yes_no: {
      const std::string v = lower(text);
      if (v == "yes" || v == "no") return {v, std::nullopt};
      return failed("argument must be 'yes' or 'no'");
    }
    case TuningType::Kind::integer: {
      const auto n = parse_int64(text);
      if (!n) return failed("argument couldn't be parsed into an integer");
      if (*n < type.min || *n > type.max) return between();
      return {std::to_string(*n), std::nullopt};
    }
    case TuningType::Kind::memory: {
      const auto n = memory_value(text);
      if (!n) return failed("argument must be a memory value");
      if (*n > static_cast<std::uint64_t>(type.max)) return between();
      return {std::to_string(*n), std::nullopt};
    }
  }
  return failed("argument of an unknown kind");
}

}  // namespace

/// CONFIG GET, SET and RESETSTAT. calm-kvs's own settings are its command-line options: GET
/// reports them, SET refuses them. Redis's encoding-tuning settings mean nothing here (one
/// encoding per type): SET takes them, as Redis checks them, and GET reports what was set.
void config(Ctx& c) {
  const std::string sub = c.subcommand();
  auto& tuning = c.tuning();
  if (sub == "get") {
    if (c.args.size() < 3) return c.subcommand_arity_error();
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      if (!c.pattern_fits(c.args[i])) return;
    }
    // Every setting that matches any pattern, once, in the order calm-kvs lists them.
    std::vector<const std::pair<std::string, std::string>*> matched;
    const auto match = [&](const std::pair<std::string, std::string>& setting) {
      for (std::size_t i = 2; i < c.args.size(); ++i) {
        if (glob_match(lower(c.args[i]), setting.first)) return matched.push_back(&setting);
      }
    };
    for (const auto& setting : c.facts().config) match(setting);
    for (const auto& setting : tuning) match(setting);
    c.out.map_header(matched.size());
    for (const auto* setting : matched) {
      c.out.bulk(setting->first);
      c.out.bulk(setting->second);
    }
    return;
  }
  if (sub == "set") {
    if (c.args.size() < 4) return c.subcommand_arity_error();
    if (c.args.size() % 2 != 0) return c.syntax_error();
    // All or nothing, as Redis 7: every name is checked (known, settable, not given twice),
    // then every value, before any applies.
    std::vector<std::string> names;
    for (std::size_t i = 2; i < c.args.size(); i += 2) {
      const std::string name = c.args[i].size() <= 64 ? lower(c.args[i]) : std::string();
      const bool tunable = std::any_of(tuning.begin(), tuning.end(),
                                       [&](const auto& setting) { return setting.first == name; });
      if (tunable) {
        if (std::find(names.begin(), names.end(), name) != names.end()) {
          return c.out.error(one_line("ERR CONFIG SET failed (possibly related to argument '" +
                                      c.args[i] + "') - duplicate parameter"));  // as typed
        }
        names.push_back(name);
        continue;
      }
      const bool ours = std::any_of(c.facts().config.begin(), c.facts().config.end(),
                                    [&](const auto& setting) { return setting.first == name; });
      if (ours) {
        return c.out.error("ERR CONFIG SET failed (possibly related to argument '" + name +
                           "') - calm-kvs's settings are its command-line options");
      }
      return c.out.error(one_line("ERR Unknown option or number of arguments for CONFIG SET - '" +
                                  std::string(echoed(c.args[i], echo_bytes_max)) + "'"));
    }
    std::vector<std::string> values;
    for (std::size_t i = 2; i < c.args.size(); i += 2) {
      TuningValue v = tuning_value(names[i / 2 - 1], c.args[i + 1]);
      if (v.error) return c.out.error(*v.error);
      values.push_back(std::move(v.value));
    }
    for (std::size_t k = 0; k < names.size(); ++k) {
      const std::string& name = names[k];
      const std::string& value = values[k];
      const char* alias = tuning_alias(name);
      for (auto& setting : tuning) {
        if (setting.first == name || (alias && setting.first == alias)) setting.second = value;
      }
    }
    return c.out.simple("OK");
  }
  if (sub == "resetstat") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    if (c.facts().reset_stats) c.facts().reset_stats();
    return c.out.simple("OK");
  }
  c.unknown_subcommand();
}

/// OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP, answered honestly: each type has one
/// encoding, its CRDT's; no access frequency or time is tracked (there is no eviction).
void object(Ctx& c) {
  const std::string sub = c.subcommand();
  if (sub == "help") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    static const char* const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the CRDT calm-kvs keeps the value of <key> as.",
        "FREQ <key>",
        "    Not tracked: calm-kvs evicts nothing.",
        "IDLETIME <key>",
        "    Not tracked: calm-kvs evicts nothing.",
        "REFCOUNT <key>",
        "    Return 1: calm-kvs shares no value between keys.",
        "HELP",
        "    Print this help."};
    c.out.array_header(std::size(lines));
    for (const char* line : lines) c.out.simple(line);
    return;
  }
  if (sub != "encoding" && sub != "freq" && sub != "idletime" && sub != "refcount") {
    return c.unknown_subcommand();
  }
  if (c.args.size() != 3) return c.subcommand_arity_error();
  const KeyValue* v = c.find(c.args[2]);
  if (!v) return c.out.null_bulk();
  if (sub == "freq") {
    return c.out.error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
  }
  if (sub == "idletime") {
    return c.out.error("ERR calm-kvs evicts nothing, so it does not track idle time");
  }
  if (sub == "refcount") return c.out.integer(1);
  switch (type_of(*v)) {
    case Type::string:
      return c.out.bulk("lwwregister");  // with its counter (a PN-counter pair) when it counts
    case Type::list:
      return c.out.bulk("fugue-list");
    case Type::set:
      return c.out.bulk("awset");
    case Type::zset:
      return c.out.bulk("ormap-scores");
    case Type::hash:
      return c.out.bulk("ormap-mvregister");
    case Type::none:
      break;
  }
  c.out.null_bulk();
}

/// MEMORY USAGE (the bytes of the key's value as calm-kvs stores and replicates it, plus its
/// name and its in-memory header), DOCTOR, PURGE and HELP.
void memory(Ctx& c) {
  const std::string sub = c.subcommand();
  if (sub == "usage") {
    if (c.args.size() < 3) return c.subcommand_arity_error();
    // SAMPLES n, any number of times: every value is measured whole, so n is only checked
    // (a negative one is a syntax error, as in Redis).
    for (std::size_t i = 3; i < c.args.size(); i += 2) {
      if (i + 1 >= c.args.size() || lower(c.args[i]) != "samples") return c.syntax_error();
      const auto samples = c.integer(c.args[i + 1]);
      if (!samples) return;
      if (*samples < 0) return c.syntax_error();
    }
    const KeyValue* v = c.find(c.args[2]);
    if (!v) return c.out.null_bulk();
    // Counted, not encoded: a large value costs its walk, not a copy.
    const std::size_t bytes = c.args[2].size() + sizeof(KeyValue) + lattices::encoded_size(*v);
    return c.out.integer(static_cast<std::int64_t>(bytes));
  }
  if (sub == "doctor" || sub == "purge" || sub == "help") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    if (sub == "purge") return c.out.simple("OK");
    if (sub == "doctor") {
      return c.out.verbatim(
          "calm-kvs has no memory doctor: INFO memory has the allocator's figures.");
    }
    static const char* const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Say where INFO memory has the allocator's figures.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return the bytes of <key>: its name, its header, and its value as stored.",
        "PURGE",
        "    Do nothing: calm-kvs's allocator returns memory on its own.",
        "HELP",
        "    Print this help."};
    c.out.array_header(std::size(lines));
    for (const char* line : lines) c.out.simple(line);
    return;
  }
  c.unknown_subcommand();
}

/// FUNCTION: calm-kvs runs no scripts, so its library is empty: LIST answers none, FLUSH and
/// DELETE as Redis does on an empty library, LOAD is refused, STATS counts nothing.
void function(Ctx& c) {
  const std::string sub = c.subcommand();
  if (sub == "list") {
    // Each option once, as Redis: a second WITHCODE or LIBRARYNAME is an unknown argument.
    bool with_code = false, library_name = false;
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      const std::string option = c.args[i].size() <= 16 ? lower(c.args[i]) : std::string();
      if (!with_code && option == "withcode") {
        with_code = true;
        continue;
      }
      if (!library_name && option == "libraryname") {
        if (i + 1 >= c.args.size()) return c.out.error("ERR library name argument was not given");
        library_name = true;
        ++i;
        continue;
      }
      return c.out.error(
          one_line("ERR Unknown argument " + std::string(echoed(c.args[i], echo_bytes_max))));
    }
    return c.out.array_header(0);
  }
  if (sub == "flush") {
    if (c.args.size() > 3) {
      // The subcommand as it was typed, as Redis echoes it ("FLUSH"; "flush" for flush).
      return c.out.error(one_line("ERR unknown subcommand or wrong number of arguments for '" +
                                  c.args[1] + "'. Try FUNCTION HELP."));
    }
    if (c.args.size() == 3 && lower(c.args[2]) != "sync" && lower(c.args[2]) != "async") {
      return c.out.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    }
    return c.out.simple("OK");
  }
  if (sub == "delete") {
    if (c.args.size() != 3) return c.subcommand_arity_error();
    return c.out.error("ERR Library not found");
  }
  if (sub == "load") {
    if (c.args.size() < 3) return c.subcommand_arity_error();
    return c.out.error("ERR calm-kvs runs no scripts: FUNCTION LOAD is not supported");
  }
  if (sub == "help") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    static const char* const lines[] = {
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST [WITHCODE] [LIBRARYNAME <pattern>]",
        "    Return the libraries: calm-kvs runs no scripts, and has none.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete every library: there are none.",
        "DELETE <library-name>",
        "    Answer that there is no such library.",
        "LOAD [REPLACE] <library-code>",
        "    Refused: calm-kvs runs no scripts.",
        "STATS",
        "    Return that no script runs and no engine is loaded.",
        "HELP",
        "    Print this help."};
    c.out.array_header(std::size(lines));
    for (const char* line : lines) c.out.simple(line);
    return;
  }
  if (sub == "stats") {
    if (c.args.size() != 2) return c.subcommand_arity_error();
    c.out.map_header(2);
    c.out.bulk("running_script");
    c.out.null_bulk();
    c.out.bulk("engines");
    return c.out.map_header(0);
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

}  // namespace calm::apps::kvs::handlers
