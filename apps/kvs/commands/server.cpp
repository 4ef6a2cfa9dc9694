// Connection and server commands: PING ECHO QUIT SELECT HELLO CLIENT INFO CONFIG TIME ROLE
// LASTSAVE DBSIZE FLUSHDB FLUSHALL. COMMAND, which describes the table, is in commands.cpp.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kvs/commands/handlers.hpp"

namespace calm::apps::kvs::handlers {

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

void client(Ctx& c) {
  const std::string sub = c.subcommand();
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
  const std::string sub = c.subcommand();
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

}  // namespace calm::apps::kvs::handlers
