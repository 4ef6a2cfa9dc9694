#pragma once
/// Test fixtures of a replica's keyspace in memory with its command processor (OneReplica),
/// and of two (TwoReplicas): the commands run on one or the other, and sync() joins their
/// states as anti-entropy would.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kvs/commands.hpp"
#include "memory_keyspace.hpp"

namespace calm::apps::kvs {

class OneReplica : public ::testing::Test {
 protected:
  /// Runs one inline command on `on` (replica 1's processor by default) and returns the raw
  /// RESP reply.
  std::string run(const std::string& line) { return run_on(processor, line); }
  std::string run_on(CommandProcessor& on, const std::string& line) {
    RequestParser parser;
    parser.feed(line + "\r\n");
    auto request = parser.next();
    EXPECT_TRUE(request) << line;
    std::string reply;
    if (request) on.execute(*request, session, reply);
    return reply;
  }
  MemoryKeyspace keyspace;
  CommandProcessor processor{keyspace, 1};
  Session session;
};

class TwoReplicas : public OneReplica {
 protected:
  /// Both replicas' states joined into each (what anti-entropy ends in).
  void sync() {
    for (const auto& [key, value] : other_keys.values) lat::merge(keyspace.values[key], value);
    for (const auto& [key, value] : keyspace.values) lat::merge(other_keys.values[key], value);
  }
  MemoryKeyspace other_keys;
  CommandProcessor other{other_keys, 2};
};

/// A RESP2 array of bulks.
inline std::string array(const std::vector<std::string>& items) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on chains of operator+.
  std::string out = "*";
  out += std::to_string(items.size());
  out += "\r\n";
  for (const std::string& x : items) {
    out += '$';
    out += std::to_string(x.size());
    out += "\r\n";
    out += x;
    out += "\r\n";
  }
  return out;
}

}  // namespace calm::apps::kvs
