// libFuzzer target for lattice decoding: the bytes a peer or a disk hands from_bytes. The first
// byte picks the type (lattice_decode_types.hpp), the rest is its encoding. Run with a memory
// limit (-malloc_limit_mb, -rss_limit_mb; tests/CMakeLists.txt), so that an allocation sized by
// a length the input does not back is a finding. A value that decodes must be in canonical
// form (it re-encodes to exactly its bytes), decode again to an equal value, and survive the
// operations a replica applies to what it receives: reads, merge, delta and decompose against
// a small honest state, and a local write (which may only fail with std::overflow_error, when
// the input claims a replica's dots or totals up to the top). Its counters and contexts may
// claim 2^64 of anything in a few bytes: this is where a per-dot walk would stall.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lattice_decode_types.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cl = calm::lattices;
namespace fz = calm::lattices::fuzz;

void check(bool condition) {
  if (!condition) std::abort();
}

/// Merge, delta and decompose against `state` agree with the lattice laws. `state` never holds
/// another payload under a dot of `value` (dot_store.hpp: only a forging peer makes that, and
/// then only commutativity holds, which check_commutes checks).
template <class L>
void check_against(const L& value, const L& state) {
  const L joined = cl::join(state, value);
  check(cl::join(value, state) == joined);
  check(cl::join(state, cl::delta(value, state)) == joined);
  check(cl::join(value, cl::delta(state, value)) == joined);
  check(cl::compare(state, joined) <= 0 && cl::compare(value, joined) <= 0);
  L rejoined;
  for (const L& part : cl::decompose(joined)) rejoined.merge(part);
  check(rejoined == joined);
}

/// Against an independent state, which may hold other payloads under the value's dots.
template <class L>
void check_commutes(const L& value, const L& other) {
  check(cl::join(value, other) == cl::join(other, value));
}

/// f(), which may throw std::overflow_error (a claim at the top of a counter) and nothing else.
template <class F>
void may_overflow(F&& f) {
  try {
    f();
  } catch (const std::overflow_error&) {
  }
}

/// f(), a write as `replica` to a state whose context is `context`: it may run out of dot
/// counters (std::overflow_error) only where the input claimed `replica`'s last one, which it
/// may do for any replica, the ones writing here included.
template <class F>
void may_run_out(const fz::Context& context, std::uint64_t replica, F&& f) {
  try {
    f();
  } catch (const std::overflow_error&) {
    bool at_top = false;
    try {
      (void)context.next(replica);
    } catch (const std::overflow_error&) {
      at_top = true;
    }
    check(at_top);
  }
}

void exercise(const fz::Set& value) {
  (void)value.elements();
  fz::Set other;
  other.add(1, "a");
  other.add(2, "b");
  other.remove("a");
  check_commutes(value, other);
  // What a replica holding `value` does next: its own adds and removes.
  fz::Set state = value;
  may_run_out(state.context(), 1, [&] { state.add(1, "x"); });
  may_run_out(state.context(), 99, [&] { state.add(99, "y"); });
  state.remove("a");
  check_against(value, state);
}

void exercise(const fz::Hash& value) {
  (void)value.keys();
  fz::Hash other;
  other.update(1, "f", [](auto& r) { return r.write(1, "v"); });
  other.update(2, "g", [](auto& r) { return r.write(2, "w"); });
  other.remove("f");
  check_commutes(value, other);
  fz::Hash state = value;
  may_run_out(state.context(), 1,
              [&] { state.update(1, "f", [](auto& r) { return r.write(1, "x"); }); });
  may_run_out(state.context(), 99,
              [&] { state.update(99, "g", [](auto& r) { return r.write(99, "y"); }); });
  state.remove("f");
  check_against(value, state);
}

void exercise(const fz::Counter& value) {
  (void)value.wide_value();
  may_overflow([&] { (void)value.value(); });
  fz::Counter state;
  state.increment(1, 5);
  state.decrement(2, 3);
  check_against(value, state);
  fz::Counter local = value;
  may_overflow([&] { local.increment(1, 7); });
  may_overflow([&] { local.decrement(3, 7); });
}

void exercise(const fz::Str& value) {
  (void)value.value();
  fz::Str state;
  state.write(1, std::optional<std::string>("v"), cl::HlcTimestamp{5, 0});
  check(cl::compare(state, cl::join(state, value)) <= 0);
  check(cl::join(state, value) == cl::join(value, state));
}

void exercise(const fz::Counters& value) {
  for (const auto& [key, counter] : value) (void)counter.wide_value();
  fz::Counters state;
  fz::Counter c;
  c.increment(1, 4);
  state.merge_at("k", c);
  check(cl::join(state, value) == cl::join(value, state));
  check(cl::join(state, cl::delta(value, state)) == cl::join(state, value));
}

void exercise(const fz::Context& value) {
  (void)value.count();
  may_overflow([&] { (void)value.next(1); });
  const fz::Context state{{1, 1}, {1, 2}, {2, 5}, {3, 1}};
  const fz::Context joined = cl::join(state, value);
  check(cl::join(value, state) == joined);
  check(cl::join(state, value.delta(state)) == joined);
  check(cl::join(value, state.delta(value)) == joined);
  check(cl::compare(value, joined) <= 0);
}

void exercise(const fz::KeyValue& value) {
  fz::KeyValue other;
  other.set.mutable_value().add(1, "m");
  other.counter.mutable_value().total.increment(1, 3);
  check_commutes(value, other);
  fz::KeyValue state = value;
  may_run_out(state.set->context(), 99, [&] { state.set.mutable_value().add(99, "m"); });
  may_overflow([&] { state.counter.mutable_value().total.increment(99, 3); });
  check(cl::join(state, value) == cl::join(value, state));
  check(cl::join(state, cl::delta(value, state)) == cl::join(state, value));
  check(cl::join(value, cl::delta(state, value)) == cl::join(state, value));
  (void)value.counter->total.wide_value();
  (void)value.counter->removed.wide_value();
}

/// A document from a peer: read it, merge it both ways with an honest one (whose ids it may
/// forge), take deltas, and edit it, which may only run out of counters at a forged top.
void exercise(const fz::Doc& value) {
  (void)value.str();
  fz::Doc honest;
  (void)honest.insert(1, 0, "ab");
  (void)honest.insert(2, 1, "\xc3\xa9");
  (void)honest.erase(0, 1);
  check_commutes(value, honest);
  const fz::Doc joined = cl::join(honest, value);
  check(cl::join(honest, cl::delta(value, honest)) == joined);
  check(cl::join(value, cl::delta(honest, value)) == joined);
  fz::Doc edited = value;
  may_overflow([&] { (void)edited.insert(1, edited.size() / 2, "x"); });
  if (edited.size() > 0) (void)edited.erase(0, 1);
  fz::Doc copy = value;
  check(!copy.merge(value));
}

template <class L>
void fuzz(std::string_view bytes) {
  L value;
  try {
    value = cl::from_bytes<L>(bytes);
  } catch (const cl::DecodeError&) {
    return;
  }
  const std::string again = cl::to_bytes(value);
  check(again == bytes);
  check(cl::from_bytes<L>(again) == value);
  exercise(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  fz::with_type(data[0], [&]<class L>(const L&) { fuzz<L>(rest); });
  return 0;
}
