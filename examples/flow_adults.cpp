// Two questions over people arriving from a network, tick by tick:
//
//   "is anyone over 18?"   monotone: once true, true forever. The answer is a Max of ages
//                          mapped through the morphism threshold(18) into Or, so its type is
//                          deterministic and its value at any tick is a lower bound of the
//                          final one: it can be answered as soon as it reads true.
//   "who is the youngest?" not monotone in what we can observe early: a younger person may
//                          still arrive. Written as a fold over the network stream its type
//                          is NonDeterministic (get() does not compile). It is answered once
//                          the input is sealed: all of it in one batch, sorted.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

namespace cf = calm::flow;
namespace cl = calm::lattices;

struct Person {
  int age;
  std::string name;
  friend auto operator<=>(const Person&, const Person&) = default;
};

int main() {
  const std::vector<std::vector<Person>> arrivals{
      {{12, "bo"}, {9, "cy"}}, {{34, "ada"}}, {{4, "dee"}, {61, "eve"}}};

  cf::Graph g;
  auto people = g.channel<Person>("people");
  auto [for_adult, for_youngest] = people.stream().tee();

  auto anyone_adult = for_adult.map([](const Person& p) { return cl::Max<int>{p.age}; })
                          .lattice_reduce(cf::Lifetime::persistent)
                          .map_lattice(cl::threshold(18));
  static_assert(cf::is_deterministic_v<decltype(anyone_adult)>);

  auto youngest_so_far = for_youngest.fold(
      Person{200, ""}, [](Person a, const Person& p) { return p < a ? p : a; },
      cf::Lifetime::persistent);
  // youngest_so_far.get() would not compile: fold() over a stream with RandomBatch yields a
  // NonDeterministic result.
  static_assert(!cf::is_deterministic_v<decltype(youngest_so_far)>);
  // for_each takes anything: the provisional reading is printed, and it does change.
  youngest_so_far.for_each([](const Person& p) {
    std::printf("        youngest so far (provisional): %s\n", p.name.c_str());
  });

  std::uint64_t answered_at = 0;
  std::vector<Person> sealed;
  for (const auto& batch : arrivals) {
    people.send_all(batch);
    sealed.insert(sealed.end(), batch.begin(), batch.end());
    g.run_tick();
    const bool adult = anyone_adult.get().reveal();
    std::printf("tick %llu: anyone over 18? %s\n", static_cast<unsigned long long>(g.tick()),
                adult ? "yes (final: Or only grows)" : "not yet");
    if (adult && answered_at == 0) answered_at = g.tick();
  }

  // Sealed: every person, in one batch, in a fixed order. Now the fold is deterministic.
  const Person youngest =
      cf::source_iter(sealed)
          .sort()
          .fold(Person{200, ""}, [](Person a, const Person& p) { return p < a ? p : a; })
          .get();
  std::printf("sealed input: the youngest is %s (%d)\n", youngest.name.c_str(), youngest.age);
  const bool ok = answered_at == 2 && youngest.name == "dee";
  return ok ? 0 : 1;
}
