// expect: Singleton<T, P>: a singleton carries only NonDeterministic
// Order and multiplicity describe a sequence: a Singleton<int, Props<Dups>> has no meaning.
#include "flow/flow.hpp"

int read(const calm::flow::Singleton<int, calm::flow::Props<calm::flow::Dups>>& s) {
  return s.get();
}

int main() { return 0; }
