// expect: this value is NonDeterministic \(declared so by hand\)
// A singleton whose type says NonDeterministic cannot be read without assume_deterministic().
#include "flow/flow.hpp"

int read(const calm::flow::Singleton<int, calm::flow::Props<calm::flow::NonDeterministic>>& s) {
  return s.get();
}

int main() { return 0; }
