// expect: Stream<T, P>: P must be a prop set such as Props<RandomBatch, Dups>
// A prop alone is not a set: Stream<int, RandomBatch> must be spelled Stream<int,
// Props<RandomBatch>>.
#include <string>
#include <utility>
#include <vector>

#include "flow/flow.hpp"
#include "lattices/lattices.hpp"

void drain(const calm::flow::Stream<int, calm::flow::RandomBatch>& s) {
  s.for_each([](int) {});
}

int main() { return 0; }
