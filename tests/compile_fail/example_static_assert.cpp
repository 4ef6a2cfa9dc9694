// expect: calm example rule
// An example of a compile-fail test: the first line is the regex the diagnostic must match.
template <class T>
inline constexpr bool false_v = false;

template <class T>
void rejected() {
  static_assert(false_v<T>, "calm example rule");
}

int main() { rejected<int>(); }
