// expect: Singleton<T, P>: P must be a prop set such as Props<NonDeterministic>
// A prop alone is not a set: Singleton<int, NonDeterministic> must use Props<...>.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

void read(const calm::flow::Singleton<int, calm::flow::NonDeterministic>& s) {
  s.for_each([](int) {});
}

int main() { return 0; }
