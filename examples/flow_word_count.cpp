// Word count that survives a network: lines arrive shuffled and duplicated (RandomBatch, Dups),
// yet the counts are exact and deterministic, because what is folded is a lattice.
//
// A plain `fold` that adds 1 per word would count a duplicated line twice, and the type says
// so: its result is NonDeterministic and `get()` does not compile. Instead each occurrence of
// a word is identified by (line, position) and folded into a SetUnion: merging the same
// occurrence twice changes nothing, so duplicates and order are harmless.
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace cf = calm::flow;
namespace cl = calm::lattices;

using Line = std::pair<int, std::string>;  // (line number, text)
using Occurrence = std::pair<int, int>;    // (line number, word position)

int main() {
  const std::vector<Line> lines{{1, "the cat sat"}, {2, "the cat ran"}, {3, "a dog sat"}};

  auto words_of = [](const Line& line) {
    std::vector<std::pair<std::string, Occurrence>> words;
    std::istringstream in(line.second);
    std::string word;
    for (int position = 0; in >> word; ++position) words.push_back({word, {line.first, position}});
    return words;
  };

  // Delivered three ways: shuffled, each line up to three times.
  std::map<std::string, std::size_t> first;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    auto counts =
        cf::source_unordered(lines, {.seed = seed, .copies_max = 3})
            .flat_map(words_of)
            .group_by([](const auto& w) { return w.first; }, [](const auto& w) { return w.second; })
            .lattice_fold<cl::SetUnion<Occurrence>>()
            .map([](const auto& group) { return std::pair(group.first, group.second.size()); });
    static_assert(cf::is_deterministic_v<decltype(counts)>);
    std::map<std::string, std::size_t> result;
    for (const auto& [word, n] : counts.collect()) result[word] = n;
    if (seed == 1) first = result;
    if (result != first) {
      std::printf("delivery %llu gave different counts\n", static_cast<unsigned long long>(seed));
      return 1;
    }
  }

  // The naive count, for contrast: its type records why it cannot be trusted.
  auto naive = cf::source_unordered(lines).flat_map(words_of).count();
  static_assert(!cf::is_deterministic_v<decltype(naive)>);

  for (const auto& [word, n] : first) std::printf("%-4s %zu\n", word.c_str(), n);
  const bool ok =
      first.at("the") == 2 && first.at("sat") == 2 && first.at("dog") == 1 && first.size() == 6;
  std::printf("same counts under three shuffled, duplicated deliveries: %s\n", ok ? "yes" : "NO");
  return ok ? 0 : 1;
}
