#pragma once
/// A Keyspace in memory for the command tests and the command fuzzer: a map of values, and a
/// record of every write's delta (to replicate by hand, or to count the work a command does).
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kvs/commands.hpp"

namespace calm::apps::kvs {

class MemoryKeyspace final : public Keyspace {
 public:
  const KeyValue* find(const std::string& key) const override {
    auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
  }
  void write(const std::string& key, const std::function<KeyValue(KeyValue&)>& mutate) override {
    KeyValue& v = values[key];
    ++writes;
    if (keep_deltas)
      deltas.push_back(mutate(v));
    else
      mutate(v);
  }
  void for_each(const std::function<void(const std::string&, const KeyValue&)>& f) override {
    for (const auto& [k, v] : values) f(k, v);
  }
  std::map<std::string, KeyValue> values;
  std::vector<KeyValue> deltas;
  bool keep_deltas = true;  // off where a test or the fuzzer makes many writes
  std::size_t writes = 0;   // write() calls
};

}  // namespace calm::apps::kvs
