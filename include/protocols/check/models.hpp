#pragma once
/// Sequential models for check_linearizable (linearizability.hpp) that more than one test or
/// tool needs.
#include <optional>
#include <string>

namespace calm::protocols::check {

/// A map of string registers, one independent part per key: a put sets the key's value, a get
/// returns it ("" when never put). What the Paxos simulation and calm-paxos-load check.
struct KeyValueModel {
  struct Input {
    bool put = false;
    std::string key;
    std::string value;  // put only
  };
  using Output = std::string;
  using State = std::string;
  State init() const { return ""; }
  std::string key(const Input& in) const { return in.key; }
  std::optional<State> step(const State& s, const Input& in, const Output* out) const {
    if (in.put) return in.value;
    if (out && *out != s) return std::nullopt;
    return s;
  }
  std::string describe(const Input& in, const Output* out) const {
    return (in.put ? "put " + in.key + " " + in.value : "get " + in.key) +
           (out ? " -> '" + *out + "'" : "");
  }
};

}  // namespace calm::protocols::check
