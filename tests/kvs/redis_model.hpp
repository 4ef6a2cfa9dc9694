#pragma once
/// A sequential model of Redis strings for check_linearizable
/// (protocols/check/linearizability.hpp): one register per key, replies as RESP bytes. What the
/// coordination simulation and the real-process fault test (check_history.cpp) check.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace calm::apps::kvs {

struct RedisModel {
  struct Input {
    /// set, get, incr, or incr2 (MULTI, INCR, INCR, EXEC: one atomic step of two).
    std::string command;
    std::string key;
    std::string value;  // set only
    friend bool operator==(const Input&, const Input&) = default;
  };
  using Output = std::string;
  using State = std::optional<std::string>;
  State init() const { return std::nullopt; }
  std::string key(const Input& in) const { return in.key; }
  std::optional<State> step(const State& s, const Input& in, const Output* out) const {
    if (in.command == "set") {
      if (out && *out != "+OK\r\n") return std::nullopt;
      return State(in.value);
    }
    if (in.command == "get") {
      if (out && *out != bulk(s)) return std::nullopt;
      return s;
    }
    std::int64_t n = 0;
    if (s) {
      try {
        n = std::stoll(*s);
      } catch (const std::exception&) {
        return std::nullopt;  // not a counter: no INCR succeeds on it in this model
      }
    }
    if (in.command == "incr") {
      if (out && *out != integer(n + 1)) return std::nullopt;
      return State(std::to_string(n + 1));
    }
    if (out && *out != "*2\r\n" + integer(n + 1) + integer(n + 2)) return std::nullopt;
    return State(std::to_string(n + 2));
  }
  std::string describe(const Input& in, const Output* out) const {
    return in.command + " " + in.key + (in.value.empty() ? "" : " " + in.value) +
           (out ? " -> " + printable(*out) : "");
  }

  // With snprintf: GCC 12 at -O3 warns (-Wrestrict, wrongly) on ":" + std::to_string(n).
  static std::string bulk(const State& s) {
    if (!s) return "$-1\r\n";
    char header[32];
    const int n = std::snprintf(header, sizeof header, "$%zu\r\n", s->size());
    return std::string(header, static_cast<std::size_t>(n)) + *s + "\r\n";
  }
  static std::string integer(std::int64_t value) {
    char text[32];
    const int n = std::snprintf(text, sizeof text, ":%lld\r\n", static_cast<long long>(value));
    return std::string(text, static_cast<std::size_t>(n));
  }
  static std::string printable(const std::string& resp) {
    std::string out;
    for (const char c : resp) {
      if (c == '\r') continue;
      out += c == '\n' ? ' ' : c;
    }
    return out;
  }
};

}  // namespace calm::apps::kvs
