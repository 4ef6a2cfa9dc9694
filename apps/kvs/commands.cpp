// The command table (each command's arity, keys, flags and function), COMMAND, which describes
// it, and CommandProcessor's dispatch. The command functions are in commands/, one file per
// family (commands/handlers.hpp lists them).
#include "kvs/commands.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "kvs/command_docs.hpp"
#include "kvs/commands/handlers.hpp"

namespace calm::apps::kvs {
namespace {

using namespace handlers;  // the command functions the table names
using Handler = void (*)(Ctx&);

/// Which arguments a command writes as keys, so that a key too long to replicate is refused
/// before anything changes.
enum class Writes { none, first_key, first_two_keys, alternate_keys /* MSET: k v k v ... */ };
/// Which arguments are keys (CommandTraits::keys). `counted`: as many as args[1] says, from
/// args[2] (SINTERCARD numkeys key ...); none when args[1] is not such a count.
enum class KeyArgs { none, first, first_two, all, alternate, counted };
/// CommandTraits' flags, for the table.
enum Flag : unsigned {
  read_only = 1,
  coordinated = 2,
  keyspace_wide = 4,
  transaction = 8,
  /// Runs on this replica's server, with its connections (Pub/Sub, AUTH, HELLO, CLIENT): in a
  /// transaction it makes the transaction coordination-free, as KEYS does.
  connection_scoped = 16,
  /// Runs on a connection that has not authenticated (AUTH, HELLO, QUIT, RESET), as in Redis.
  stranger_ok = 32,
  /// Runs on a connection in RESP2's subscribed state ((P)(UN)SUBSCRIBE, PING, QUIT, RESET).
  subscribed_ok = 64,
};

struct Command {
  int arity;  // Redis's convention: n exactly n words (name included), -n at least n
  Handler run;
  Writes writes = Writes::none;
  KeyArgs keys = KeyArgs::none;
  unsigned flags = 0;
  std::size_t index = 0;  // its place in command_names() (INFO commandstats)
};

const Command* lookup(const std::string& word);

/// OBJECT's and MEMORY's subcommands that name a key after them (at position 2), as Redis 7's
/// table has them: describe() routes by that key, COMMAND GETKEYS answers it.
bool has_subcommand_key(const Command& command, const std::string& sub) {
  if (sub.size() > 8) return false;
  const std::string word = upper(sub);
  if (command.run == handlers::object) {
    return word == "ENCODING" || word == "FREQ" || word == "IDLETIME" || word == "REFCOUNT";
  }
  return command.run == handlers::memory && word == "USAGE";
}
/// COMMAND INFO's entry for one command, as Redis 7 shapes it: name, arity, flags, first key,
/// last key, step, ACL categories, tips, key specs, subcommands.
void command_info(ReplyWriter& out, std::string_view name, const Command& command) {
  const CommandDoc* doc = command_doc(name);
  const bool keyed = command.keys != KeyArgs::none || (command.flags & keyspace_wide) != 0;
  const bool reads = (command.flags & read_only) != 0;
  out.array_header(10);
  out.bulk(name);
  out.integer(command.arity);
  out.set_header(keyed ? 1 : 0);  // flags, and below ACL categories: sets in RESP3
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
      case KeyArgs::counted:  // Redis 7's movable keys: no fixed place
        return {0, 0, 0};
    }
    return {0, 0, 0};
  }();
  out.integer(first);
  out.integer(last);
  out.integer(step);
  // Redis's ACL categories for the groups that have one of the same name (server commands
  // are in none of calm-kvs's groups). append, not "@" + group: GCC 12 at -O3 falsely reports
  // an overlapping memcpy (-Wrestrict) in that operator+ once it is inlined here.
  const std::string_view group = doc != nullptr ? doc->group : std::string_view("server");
  const std::string category = group == "generic"        ? "@keyspace"
                               : group == "sorted-set"   ? "@sortedset"
                               : group == "transactions" ? "@transaction"
                               : group == "server"       ? ""
                                                         : std::string("@").append(group);
  out.set_header((keyed ? 1 : 0) + (category.empty() ? 0 : 1));
  if (keyed) out.simple(reads ? "@read" : "@write");
  if (!category.empty()) out.simple(category);
  out.set_header(0);  // tips
  out.set_header(0);  // key specs: first, last and step above say where the keys are
  out.set_header(0);  // subcommands
}
void command(Ctx& c) {
  const std::vector<std::string> names = CommandProcessor::command_names();
  const std::string sub = c.args.size() >= 2 ? c.subcommand() : std::string();
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
    c.out.map_header(wanted.size());
    for (const std::string& name : wanted) {
      const CommandDoc* doc = command_doc(name);
      c.out.bulk(name);
      c.out.map_header(doc != nullptr ? 3 : 0);
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
    if (inner_command->run == handlers::object || inner_command->run == handlers::memory) {
      // Redis 7 looks their subcommand up: a keyed one (describe() names its key), one
      // without keys, or none it knows.
      const bool object = inner_command->run == handlers::object;
      const bool keyed = has_subcommand_key(*inner_command, c.args[3]);
      const std::string inner_sub = c.args[3].size() <= 16 ? upper(c.args[3]) : std::string();
      const bool keyless = object ? inner_sub == "HELP"
                                  : inner_sub == "DOCTOR" || inner_sub == "HELP" ||
                                        inner_sub == "MALLOC-STATS" || inner_sub == "PURGE" ||
                                        inner_sub == "STATS";
      if (keyless) return c.out.error("ERR The command has no key arguments");
      if (!keyed) return c.out.error("ERR Invalid command specified");
      const std::size_t words = c.args.size() - 2;  // OBJECT's keyed ones: 3; MEMORY USAGE: 3+
      if (object ? words != 3 : words < 3) {
        return c.out.error("ERR Invalid number of arguments specified for command");
      }
      c.out.array_header(1);
      return c.out.bulk(c.args[4]);
    }
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
  constexpr unsigned conn = connection_scoped, stranger = stranger_ok, sub = subscribed_ok;
  static const std::unordered_map<std::string_view, Command> commands = with_indexes({
      {"ping", {-1, ping, none, KeyArgs::none, r | sub}},
      {"echo", {2, echo, none, KeyArgs::none, r}},
      {"quit", {-1, quit, none, KeyArgs::none, r | stranger | sub}},
      {"select", {2, select, none, KeyArgs::none, r}},
      {"hello", {-1, hello, none, KeyArgs::none, r | conn | stranger}},
      {"auth", {-2, auth, none, KeyArgs::none, r | conn | stranger}},
      {"subscribe", {-2, subscribe, none, KeyArgs::none, r | conn | sub}},
      {"unsubscribe", {-1, unsubscribe, none, KeyArgs::none, r | conn | sub}},
      {"psubscribe", {-2, psubscribe, none, KeyArgs::none, r | conn | sub}},
      {"punsubscribe", {-1, punsubscribe, none, KeyArgs::none, r | conn | sub}},
      {"publish", {3, publish, none, KeyArgs::none, r | conn}},
      {"pubsub", {-2, pubsub, none, KeyArgs::none, r | conn}},
      {"client", {-2, client, none, KeyArgs::none, r | conn}},
      {"command", {-1, command, none, KeyArgs::none, r}},
      {"info", {-1, info, none, KeyArgs::none, r}},
      {"config", {-2, config, none, KeyArgs::none, r}},
      {"object", {-2, object, none, KeyArgs::none, r}},
      {"memory", {-2, memory, none, KeyArgs::none, r}},
      {"function", {-2, function, none, KeyArgs::none, r}},
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
      {"randomkey", {1, randomkey, none, KeyArgs::none, r | wide}},
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
      {"setrange", {4, setrange, key, first}},
      {"lcs", {-3, lcs, none, two, r}},
      {"getbit", {3, getbit, none, first, r}},
      {"setbit", {4, setbit, key, first}},
      {"bitcount", {-2, bitcount, none, first, r}},
      {"bitpos", {-3, bitpos, none, first, r}},
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
      {"sinter", {-2, sinter, none, all, r}},
      {"sunion", {-2, sunion, none, all, r}},
      {"sdiff", {-2, sdiff, none, all, r}},
      {"sinterstore", {-3, sinterstore, key, all}},
      {"sunionstore", {-3, sunionstore, key, all}},
      {"sdiffstore", {-3, sdiffstore, key, all}},
      {"sintercard", {-3, sintercard, none, KeyArgs::counted, r}},
      {"sscan", {-3, sscan, none, first, r}},
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
      {"hscan", {-3, hscan, none, first, r}},
      {"hrandfield", {-2, hrandfield, none, first, r}},
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
      {"zadd", {-4, zadd, key, first}},
      {"zincrby", {4, zincrby, key, first}},
      {"zrem", {-3, zrem, key, first}},
      {"zscore", {3, zscore, none, first, r}},
      {"zmscore", {-3, zmscore, none, first, r}},
      {"zcard", {2, zcard, none, first, r}},
      {"zcount", {4, zcount, none, first, r}},
      {"zlexcount", {4, zlexcount, none, first, r}},
      {"zrank", {3, zrank, none, first, r}},
      {"zrevrank", {3, zrevrank, none, first, r}},
      {"zrange", {-4, zrange, none, first, r}},
      {"zrevrange", {-4, zrevrange, none, first, r}},
      {"zrangebyscore", {-4, zrangebyscore, none, first, r}},
      {"zrevrangebyscore", {-4, zrevrangebyscore, none, first, r}},
      {"zrangebylex", {-4, zrangebylex, none, first, r}},
      {"zrevrangebylex", {-4, zrevrangebylex, none, first, r}},
      {"zremrangebyrank", {4, zremrangebyrank, none, first}},
      {"zremrangebyscore", {4, zremrangebyscore, none, first}},
      {"zremrangebylex", {4, zremrangebylex, none, first}},
      {"zpopmin", {-2, zpopmin, none, first}},
      {"zpopmax", {-2, zpopmax, none, first}},
      {"zrandmember", {-2, zrandmember, none, first, r}},
      {"zscan", {-3, zscan, none, first, r}},
      {"setnx", {3, setnx, key, first, co}},
      {"setex", {4, setex, key, first}},
      {"incrbyfloat", {3, incrbyfloat, key, first}},
      {"hincrbyfloat", {4, hincrbyfloat, key, first}},
      {"psetex", {4, psetex, key, first}},
      {"getex", {-2, getex, none, first}},
      {"msetnx", {-3, msetnx, Writes::alternate_keys, KeyArgs::alternate, co}},
      {"getset", {3, getset, key, first, co}},
      {"getdel", {2, getdel, none, first, co}},
      {"spop", {-2, spop, none, first}},
      {"smove", {4, smove, Writes::first_two_keys, two, co}},
      {"rename", {3, rename, Writes::first_two_keys, two, co}},
      {"renamenx", {3, renamenx, Writes::first_two_keys, two, co}},
      {"copy", {-3, copy, Writes::first_two_keys, two, co}},
      {"hsetnx", {4, hsetnx, key, first, co}},
      {"expire", {-3, expire, none, first}},
      {"pexpire", {-3, pexpire, none, first}},
      {"expireat", {-3, expireat, none, first}},
      {"pexpireat", {-3, pexpireat, none, first}},
      {"persist", {2, persist, none, first}},
      {"multi", {1, transaction_command, none, KeyArgs::none, tx}},
      {"exec", {1, transaction_command, none, KeyArgs::none, tx}},
      {"discard", {1, transaction_command, none, KeyArgs::none, tx}},
      {"watch", {-2, transaction_command, none, all, tx | r}},
      {"unwatch", {1, transaction_command, none, KeyArgs::none, tx | r}},
      // The Router ends its transaction and watches, then the processor the rest (reset).
      {"reset", {1, reset, none, KeyArgs::none, tx | r | stranger | sub}},
  });
  return commands;
}

/// The command's entry, or null when calm-kvs has none (looked up in lower case, without
/// copying a name longer than any).
const Command* lookup(const std::string& word) {
  std::array<char, 16> name{};
  if (word.size() > name.size()) return nullptr;
  for (std::size_t i = 0; i < word.size(); ++i) {
    name[i] = ascii_lower(word[i]);
  }
  const auto it = table().find(std::string_view(name.data(), word.size()));
  return it == table().end() ? nullptr : &it->second;
}

bool arity_fits(const Command& command, std::size_t size) {
  const auto words = static_cast<int>(std::min<std::size_t>(size, 1 << 30));
  return command.arity > 0 ? words == command.arity : words >= -command.arity;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CommandProcessor::default_tuning() {
  return {{"activerehashing", "yes"},           {"hash-max-listpack-entries", "128"},
          {"hash-max-listpack-value", "64"},    {"hash-max-ziplist-entries", "128"},
          {"hash-max-ziplist-value", "64"},     {"hll-sparse-max-bytes", "3000"},
          {"list-compress-depth", "0"},         {"list-max-listpack-size", "-2"},
          {"list-max-ziplist-size", "-2"},      {"set-max-intset-entries", "512"},
          {"stream-node-max-bytes", "4096"},    {"stream-node-max-entries", "100"},
          {"zset-max-listpack-entries", "128"}, {"zset-max-listpack-value", "64"},
          {"zset-max-ziplist-entries", "128"},  {"zset-max-ziplist-value", "64"}};
}

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
  traits.connection_scoped = (command->flags & connection_scoped) != 0;
  traits.stranger_ok = (command->flags & stranger_ok) != 0;
  traits.subscribed_ok = (command->flags & subscribed_ok) != 0;
  if (!traits.arity_ok) return traits;
  // SET with NX, XX or GET, and EXPIRE and friends with NX, XX, GT or LT, depend on the key's
  // current value or expiry: coordinated. Without them they are writes (of the register, of
  // the expiry), which every replica takes.
  const auto has_option = [&](std::size_t from, std::initializer_list<std::string_view> names) {
    for (std::size_t i = from; i < request.size(); ++i) {
      if (request[i].size() > 4) continue;
      const std::string word = upper(request[i]);
      if (std::find(names.begin(), names.end(), word) != names.end()) return true;
    }
    return false;
  };
  if (command->run == handlers::set) traits.coordinated = has_option(3, {"NX", "XX", "GET"});
  if (command->run == handlers::expire || command->run == handlers::pexpire ||
      command->run == handlers::expireat || command->run == handlers::pexpireat) {
    traits.coordinated = has_option(3, {"NX", "XX", "GT", "LT"});
  }
  if (command->run == handlers::zadd) traits.coordinated = handlers::zadd_needs_agreement(request);
  // OBJECT's and MEMORY USAGE's key follows the subcommand; it decides where they run (a
  // linearizable key's value is in the log's keyspace, not this replica's).
  if (request.size() > 2 && has_subcommand_key(*command, request[1])) traits.keys.push_back(2);
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
    case KeyArgs::counted: {
      const auto n = parse_int64(request[1]);
      if (!n || *n < 1 || static_cast<std::uint64_t>(*n) > request.size() - 2) break;
      for (std::size_t i = 2; i < 2 + static_cast<std::size_t>(*n); ++i) traits.keys.push_back(i);
      break;
    }
  }
  return traits;
}

const KeyValue* ExpiringKeyspace::find(const std::string& key) const {
  const KeyValue* v = inner_.find(key);
  if (v && !v->expiry.is_bot() && expiry_garbage(*v, wall_ms_())) {
    found_.push_back(key);
    return nullptr;
  }
  return v;
}

void ExpiringKeyspace::write(const std::string& key,
                             const std::function<KeyValue(KeyValue&)>& mutate) {
  // One pointer captured: the std::function the keyspace takes holds it without allocating.
  struct Write {
    ExpiringKeyspace& self;
    const std::function<KeyValue(KeyValue&)>& mutate;
    bool expired = false;
    bool carries_expiry = false;
  } w{*this, mutate};
  inner_.write(key, [state = &w](KeyValue& v) {
    const auto note_expiry = [&] {
      state->carries_expiry = !v.expiry.is_bot() && !v.expiry->values().empty();
    };
    if (!v.expiry.is_bot()) {
      const std::uint64_t now = state->self.wall_ms_();
      if (expiry_garbage(v, now)) {
        // As DEL, then the write: the old value never shows through.
        state->expired = expired(v, now);
        KeyValue delta = remove_all(v, state->self.replica_, state->self.hlc_now_());
        lattices::merge(delta, state->mutate(v));
        note_expiry();
        return delta;
      }
    }
    // The common case builds no second KeyValue: every write passes here.
    KeyValue written = state->mutate(v);
    note_expiry();
    return written;
  });
  if (w.expired) ++expired_keys_;
  if (w.carries_expiry) noted_.insert(key);
}

void ExpiringKeyspace::for_each(const std::function<void(const std::string&, const KeyValue&)>& f) {
  const std::uint64_t now = wall_ms_();
  // Expired keys are skipped, not deleted: a keyspace-wide read (DBSIZE, KEYS, SCAN) must not
  // turn into one write per expired key; the sweep deletes them, a bounded number per tick.
  inner_.for_each([&](const std::string& key, const KeyValue& v) {
    if (!v.expiry.is_bot() && expiry_garbage(v, now)) return;
    f(key, v);
  });
}

std::optional<std::uint64_t> ExpiringKeyspace::expiry_ms(const std::string& key) const {
  const KeyValue* v = find(key);
  const std::uint64_t deadline = v ? expiry_deadline_ms(*v) : 0;
  return deadline == 0 ? std::nullopt : std::optional(deadline);
}

void ExpiringKeyspace::set_expiry(const std::string& key, std::optional<std::uint64_t> at_ms) {
  if (!at_ms) {  // SET's and MSET's common case, a key without a TTL: no write at all
    const KeyValue* v = inner_.find(key);
    if (!v || expiry_deadline_ms(*v) == 0) return;
  }
  write(key, [&](KeyValue& v) {
    return at_ms ? write_expiry(v, replica_, *at_ms) : clear_expiry(v, replica_);
  });
}

void ExpiringKeyspace::note(const std::string& key, const KeyValue& value) {
  if (!value.expiry->values().empty()) noted_.insert(key);
}

void ExpiringKeyspace::remove(const std::string& key) {
  const std::uint64_t now = wall_ms_();
  bool removed = false;
  bool expired_here = false;
  inner_.write(key, [&](KeyValue& v) {
    // Written meanwhile (a command that found the key expired and then set it again, as
    // `SET k v EX 100` does): nothing to do, and the key keeps its place in the sweep's index.
    if (!expiry_garbage(v, now)) return KeyValue{};
    removed = true;
    expired_here = expired(v, now);
    return remove_all(v, replica_, hlc_now_());
  });
  if (expired_here) ++expired_keys_;
  if (removed) noted_.erase(key);
}

void ExpiringKeyspace::reclaim_found() {
  if (found_.empty()) return;
  std::vector<std::string> keys = std::exchange(found_, {});
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const std::string& key : keys) remove(key);
}

std::size_t ExpiringKeyspace::sweep(std::size_t keys_max) {
  const std::uint64_t now = wall_ms_();
  const std::size_t looks = std::min(keys_max, noted_.size());
  auto it = noted_.lower_bound(sweep_from_);
  for (std::size_t i = 0; i < looks; ++i) {
    if (it == noted_.end()) it = noted_.begin();
    const KeyValue* v = inner_.find(*it);
    if (v && expiry_garbage(*v, now)) {
      const std::string key = *it;
      it = noted_.erase(it);
      remove(key);
    } else if (!v || v->expiry->values().empty() || expiry_deadline_ms(*v) == 0) {
      it = noted_.erase(it);  // no deadline left: a later write that sets one notes it again
    } else {
      ++it;
    }
  }
  sweep_from_ = it == noted_.end() ? std::string() : *it;
  return looks;
}

void CommandProcessor::execute(const Request& request, Session& session, std::string& reply) {
  // The command's instant, from its first reading of the clock until it ends, even by a throw.
  struct Instant {
    CommandProcessor& p;
    explicit Instant(CommandProcessor& processor) : p(processor) {
      p.command_ms_.reset();
      p.in_command_ = true;
    }
    ~Instant() {
      p.in_command_ = false;
      p.command_ms_.reset();
    }
    Instant(const Instant&) = delete;
    Instant& operator=(const Instant&) = delete;
  } instant(*this);
  run(request, session, reply);
  // Lazy expiry: the keys this command looked up and found expired go now (a replicated write
  // each, at most one per key the command names).
  if (mode_ == Consistency::coordination_free) expiring_.reclaim_found();
}

void CommandProcessor::run(const Request& request, Session& session, std::string& reply) {
  Context c{*this, request, session, ReplyWriter(reply, session.protocol), reply, reply.size()};
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
