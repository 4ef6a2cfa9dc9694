#pragma once
// What COMMAND DOCS tells a client of each command calm-kvs has: its group, the Redis version
// that introduced it, and a one-line summary (redis-cli's HELP prints them).

#include <string_view>

namespace calm::apps::kvs {

struct CommandDoc {
  std::string_view name;     // lower case, as in the command table
  std::string_view group;    // Redis's group names: string, list, set, hash, generic, ...
  std::string_view since;    // the Redis version that introduced the command
  std::string_view summary;  // what it does on calm-kvs, in one line
};

/// The doc of `name` (lower case), or null when calm-kvs has none.
const CommandDoc* command_doc(std::string_view name);

}  // namespace calm::apps::kvs
