// Writes the seed corpus of fuzz_lattice_decode (tests/fuzz_corpus/lattice_decode): small valid
// encodings of each fuzzed type, each prefixed by its selector byte. Run it by hand when the
// types or their encodings change:
//   cmake --build --preset release --target make_lattice_decode_seeds
//   build/release/tests/make_lattice_decode_seeds tests/fuzz_corpus/lattice_decode
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "lattice_decode_types.hpp"
#include "lattices/lattices.hpp"

namespace {

namespace cl = calm::lattices;
namespace fz = calm::lattices::fuzz;

std::string dir;
int written = 0;

template <class L>
void seed(std::uint8_t selector, const std::string& name, const L& value) {
  const std::string bytes = std::string(1, static_cast<char>(selector)) + cl::to_bytes(value);
  std::ofstream(dir + "/" + std::to_string(selector) + "-" + name, std::ios::binary) << bytes;
  ++written;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_lattice_decode_seeds DIR\n";
    return 2;
  }
  dir = argv[1];
  constexpr std::uint64_t top = ~std::uint64_t{0};

  fz::Set set;
  seed(0, "set-empty", set);
  set.add(1, "a");
  seed(0, "set-one", set);
  set.add(2, "b");
  set.add(1, "c");
  set.remove("a");
  seed(0, "set-removed", set);
  fz::Set concurrent;
  concurrent.add(3, "b");
  set.merge(concurrent);
  seed(0, "set-concurrent", set);
  seed(0, "set-claims-top",
       fz::Set(cl::Dotted<cl::DotMap<std::string, cl::DotSet<>>>(
           {{"z", cl::DotSet<>{cl::Dot<>{2, top}}}}, [] {
             fz::Context c;
             c.insert_range(1, 1, top);
             c.insert_range(2, 7, top);
             return c;
           }())));
  // The fuzzer's first finding under clang's sanitizers: a forged top counter for replica 99,
  // which the harness's own replica then writes as (and must get std::overflow_error, no crash).
  seed(0, "set-claims-top-for-a-writer",
       fz::Set(cl::Dotted<cl::DotMap<std::string, cl::DotSet<>>>(
           {{"y", cl::DotSet<>{cl::Dot<>{99, top}}}}, [] {
             fz::Context c;
             c.insert_range(99, 1, top);
             return c;
           }())));

  fz::Hash hash;
  seed(1, "hash-empty", hash);
  hash.update(1, "f", [](auto& r) { return r.write(1, "v"); });
  seed(1, "hash-one", hash);
  hash.update(2, "g", [](auto& r) { return r.write(2, "w"); });
  fz::Hash other;
  other.update(3, "f", [](auto& r) { return r.write(3, "x"); });
  hash.merge(other);
  seed(1, "hash-concurrent", hash);
  hash.remove("g");
  seed(1, "hash-removed", hash);

  fz::Counter counter;
  seed(2, "counter-empty", counter);
  counter.increment(1, 5);
  seed(2, "counter-up", counter);
  counter.decrement(2, 9);
  seed(2, "counter-down", counter);
  fz::Counter big;
  big.increment(1, top);
  big.increment(2, top);
  big.decrement(3, 1);
  seed(2, "counter-past-int64", big);

  fz::Str str;
  seed(3, "str-empty", str);
  str.write(1, std::optional<std::string>("hello"), cl::HlcTimestamp{1000, 2});
  seed(3, "str-value", str);
  str.write(2, std::nullopt, cl::HlcTimestamp{1001, 0});
  seed(3, "str-tombstone", str);

  fz::Counters counters;
  seed(4, "counters-empty", counters);
  counters.merge_at("k", counter);
  seed(4, "counters-one", counters);
  counters.merge_at("l", big);
  seed(4, "counters-two", counters);

  seed(5, "context-empty", fz::Context{});
  seed(5, "context-runs", fz::Context{{1, 1}, {1, 2}, {2, 1}});
  seed(5, "context-cloud", fz::Context{{1, 1}, {1, 5}, {2, 3}, {2, 4}});
  fz::Context claims;
  claims.insert_range(1, 1, top);
  claims.insert_range(2, std::uint64_t{1} << 63, top);
  seed(5, "context-top", claims);

  fz::KeyValue kv;
  seed(6, "kv-empty", kv);
  kv.str.write(1, std::optional<std::string>("10"), cl::HlcTimestamp{5, 0});
  kv.counter.mutable_value().total.increment(1, 3);
  seed(6, "kv-string-counter", kv);
  fz::KeyValue kv_set;
  kv_set.set.mutable_value().add(1, "m");
  kv_set.set.mutable_value().add(2, "n");
  seed(6, "kv-set", kv_set);
  fz::KeyValue kv_hash;
  kv_hash.hash.mutable_value().update(1, "f", [](auto& r) { return r.write(1, "v"); });
  fz::Counter field;
  field.increment(2, 7);
  calm::apps::kvs::ResettableCounter field_counter;
  field_counter.total = field;
  kv_hash.hash_counters.mutable_value().merge_at("g", field_counter);
  seed(6, "kv-hash", kv_hash);
  fz::KeyValue kv_decimal;  // INCRBYFLOAT's nets, one taken away by a SET (storage format 4)
  kv_decimal.counter.mutable_value().decimals.merge_at(
      1, calm::lattices::Max<calm::apps::kvs::ResettableCounter::Net>({3, "1.5"}));
  kv_decimal.counter.mutable_value().decimals.merge_at(
      2, calm::lattices::Max<calm::apps::kvs::ResettableCounter::Net>({1, "-0.25"}));
  kv_decimal.counter.mutable_value().decimals_removed.merge_at(
      2, calm::lattices::Max<calm::apps::kvs::ResettableCounter::Net>({1, "-0.25"}));
  seed(6, "kv-decimal", kv_decimal);
  fz::KeyValue kv_list;
  std::vector<std::string> pushed{"a", "bb", ""};
  (void)kv_list.list.mutable_value().insert(1, 0, pushed.begin(), pushed.end());
  (void)kv_list.list.mutable_value().insert(2, 0, std::string("front"));
  (void)kv_list.list.mutable_value().erase(1, 1);
  seed(6, "kv-list", kv_list);
  fz::KeyValue kv_expiry;  // a string with two concurrent deadlines (storage format 3)
  kv_expiry.str.write(1, std::optional<std::string>("v"), cl::HlcTimestamp{5, 0});
  fz::KeyValue kv_expiry_elsewhere = kv_expiry;
  (void)kv_expiry.expiry.mutable_value().write(1, 5000);
  (void)kv_expiry_elsewhere.expiry.mutable_value().write(2, 9000);
  cl::merge(kv_expiry, kv_expiry_elsewhere);
  seed(6, "kv-expiry", kv_expiry);
  fz::KeyValue kv_zset;  // a sorted set: a written score and counted increments (format 3)
  (void)kv_zset.zset.mutable_value().update(1, std::string("m"),
                                            [](auto& r) { return r.write(1, 1.5); });
  calm::apps::kvs::ScoreCounter counted;
  counted.up.merge_at(2, cl::Max<double>(4.0));
  counted.down.merge_at(1, cl::Max<double>(0.5));
  counted.up_removed.merge_at(2, cl::Max<double>(1.0));
  kv_zset.zset_scores.mutable_value().merge_at(std::string("n"), counted);
  seed(6, "kv-zset", kv_zset);

  fz::Doc doc;
  seed(7, "doc-empty", doc);
  (void)doc.insert(1, 0, "hello");
  seed(7, "doc-typed", doc);
  (void)doc.erase(1, 2);
  (void)doc.insert(1, 1, "\xe2\x82\xac");
  fz::Doc peer;
  (void)peer.merge(doc);
  (void)peer.insert(2, 2, "zz");
  (void)doc.insert(1, 2, "yy");
  (void)doc.merge(peer);
  seed(7, "doc-concurrent", doc);
  fz::Doc source;
  (void)source.insert(3, 0, "ab");
  fz::Doc pending = source.insert(3, 1, "c");  // its parent is not in the delta: pending
  (void)pending.merge(source.erase(0, 1));     // a tombstone of an element not here
  seed(7, "doc-pending", pending);

  std::cout << written << " seeds written to " << dir << "\n";
  return 0;
}
