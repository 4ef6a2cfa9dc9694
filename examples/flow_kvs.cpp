// The key-value store dataflow of the Hydroflow talk. Requests arrive on a channel (the hook a
// network would feed), are demultiplexed into puts and gets, and gets are joined with every
// put so far (the puts side of the join is persistent, the gets side lives for a tick). For
// each get the newest version wins, by a lattice fold; a get of an unknown key is answered by
// an anti_join, whose type says NonDeterministic: whether a key exists yet depends on which
// tick the put arrived in.
//
//  requests ─► tee ─┬─► puts ─► tee ─┬─► (key, version+value) ──────────► join ─► newest ─► out
//                   │                └─► key ─────────────┐          ▲
//                   └─► gets ─► tee ─┬─► (key, client) ───┼──────────┘
//                                    └─► (key, client) ─► anti_join ─► "nil" ───────────────► out
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace cf = calm::flow;
namespace cl = calm::lattices;
using cf::Lifetime;

struct Put {
  std::string key;
  std::uint64_t version;
  std::string value;
};
struct Get {
  std::string client;
  std::string key;
};
using Request = std::variant<Put, Get>;
using Versioned = std::pair<std::uint64_t, std::string>;  // the larger version wins

int main() {
  cf::Graph g;
  auto requests = g.channel<Request>("requests");
  auto [put_side, get_side] = requests.stream().tee();

  auto puts = put_side.filter_map([](const Request& r) -> std::optional<Put> {
    if (const Put* p = std::get_if<Put>(&r)) return *p;
    return std::nullopt;
  });
  auto gets = get_side.filter_map([](const Request& r) -> std::optional<Get> {
    if (const Get* q = std::get_if<Get>(&r)) return *q;
    return std::nullopt;
  });
  auto [puts_to_join, puts_to_keys] = puts.tee();
  auto [gets_to_join, gets_to_miss] = gets.tee();

  std::vector<std::string> responses;
  auto record = [&](std::string line) {
    std::printf("  %s\n", line.c_str());
    responses.push_back(std::move(line));
  };

  gets_to_join.map([](const Get& q) { return std::pair(q.key, q.client); })
      .join(puts_to_join.map(
                [](const Put& p) { return std::pair(p.key, Versioned(p.version, p.value)); }),
            Lifetime::tick, Lifetime::persistent)
      .group_by([](const auto& hit) { return std::pair(hit.second.first, hit.first); },
                [](const auto& hit) { return cl::Max<Versioned>{hit.second.second}; })
      .lattice_fold<cl::Max<Versioned>>()
      .for_each([&](const auto& answer) {
        record(answer.first.first + " GET " + answer.first.second + " = " +
               answer.second.reveal().second);
      });

  auto misses =
      gets_to_miss.map([](const Get& q) { return std::pair(q.key, q.client); })
          .anti_join(puts_to_keys.map([](const Put& p) { return p.key; }), Lifetime::persistent);
  static_assert(cf::has_prop_v<decltype(misses), cf::NonDeterministic>);
  misses.for_each([&](const auto& miss) { record(miss.second + " GET " + miss.first + " = nil"); });

  const std::vector<std::vector<Request>> ticks{
      {Put{"a", 1, "apple"}, Put{"b", 1, "banana"}, Get{"c1", "a"}},
      {Put{"a", 2, "avocado"}, Get{"c2", "a"}, Get{"c3", "z"}, Get{"c3", "z"}},
      {Get{"c1", "b"}, Put{"a", 1, "apple"}}};
  for (const auto& batch : ticks) {
    requests.send_all(batch);
    g.run_tick();
    std::printf("tick %llu done\n", static_cast<unsigned long long>(g.tick()));
  }

  const std::vector<std::string> expected{"c1 GET a = apple", "c2 GET a = avocado",
                                          "c3 GET z = nil", "c3 GET z = nil", "c1 GET b = banana"};
  const bool ok = responses == expected;
  std::printf("responses as expected: %s\n", ok ? "yes" : "NO");
  return ok ? 0 : 1;
}
