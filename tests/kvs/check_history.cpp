// calm_kvs_check_history: checks a history of Redis string commands recorded by a test against
// real processes (tests/kvs/faults.py) for linearizability, with the library's checker
// (protocols/check/linearizability.hpp) and RedisModel.
//
//   calm_kvs_check_history FILE
//
// FILE has one operation per line, fields separated by tabs:
//   client  called  returned  command  key  value  output
// `called` and `returned` are integers on one clock; `returned` is "-" for an operation whose
// reply never came (or that failed: its outcome is unknown), and then `output` is "-" too.
// `value` and `output` are hex (the RESP reply's bytes); `command` is set, get, incr or incr2.
// Prints "linearizable: N operations" and exits 0, or the checker's report and exits 1; a
// malformed file exits 2.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/check/linearizability.hpp"
#include "redis_model.hpp"

namespace {

using calm::apps::kvs::RedisModel;
namespace check = calm::protocols::check;
using Op = check::Operation<RedisModel::Input, RedisModel::Output>;

std::string unhex(const std::string& hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex");
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: calm_kvs_check_history FILE\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 2;
  }
  std::vector<Op> history;
  std::string line;
  std::size_t number = 0;
  try {
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      std::vector<std::string> f;
      std::stringstream fields(line);
      std::string field;
      while (std::getline(fields, field, '\t')) f.push_back(field);
      if (f.size() == 6) f.emplace_back();  // an empty last field
      if (f.size() != 7) throw std::invalid_argument("not 7 fields");
      Op op;
      op.client = std::stoull(f[0]);
      op.called = std::stoull(f[1]);
      op.input.command = f[3];
      op.input.key = f[4];
      op.input.value = unhex(f[5]);
      if (f[2] != "-") {
        op.returned = std::stoull(f[2]);
        op.output = unhex(f[6]);
      }
      if (op.input.command != "set" && op.input.command != "get" && op.input.command != "incr" &&
          op.input.command != "incr2") {
        throw std::invalid_argument("unknown command " + op.input.command);
      }
      history.push_back(std::move(op));
    }
  } catch (const std::exception& e) {
    std::cerr << argv[1] << ":" << number << ": " << e.what() << "\n";
    return 2;
  }
  check::CheckOptions options;
  options.steps_max = 400'000'000;  // a fault test's history: tens of thousands of operations
  const auto result = check::check_linearizable(RedisModel{}, history, options);
  if (result.verdict == check::Verdict::linearizable) {
    std::printf("linearizable: %zu operations\n", history.size());
    return 0;
  }
  std::printf("%s\n", result.report.c_str());
  return 1;
}
