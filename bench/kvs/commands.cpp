// calm-kvs's commands on an in-memory keyspace: HSET and HDEL of N fields in one command grow
// linearly in N (docs/benchmarks.md), and one HSET into a hash of N fields costs what the
// library's join of the hash costs. And the storage fold of a list's deltas.
#include "kvs/commands.hpp"

#include <benchmark/benchmark.h>

#include <cereal/archives/portable_binary.hpp>
#include <cstdio>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "lattices/serialize.hpp"
#include "memory_keyspace.hpp"
#include "protocols/storage/lattice_merge.hpp"

namespace {

using namespace calm::apps::kvs;

std::string word(const char* kind, std::int64_t i) {
  char text[48];
  std::snprintf(text, sizeof text, "%s:%012lld", kind, static_cast<long long>(i));
  return text;
}

Request fields_request(const char* name, std::int64_t n, bool values) {
  Request request{name, "h"};
  for (std::int64_t i = 0; i < n; ++i) {
    request.push_back(word("field", i));
    if (values) request.push_back(word("value", i));
  }
  return request;
}

struct Fresh {
  MemoryKeyspace keyspace;
  CommandProcessor processor{keyspace, 1};
  Session session;
  std::string reply;
  Fresh() { keyspace.keep_deltas = false; }
  void run(const Request& request) {
    reply.clear();
    processor.execute(request, session, reply);
  }
};

/// HSET h with N new fields, on an empty key.
void BM_HsetFields(benchmark::State& state) {
  const Request request = fields_request("HSET", state.range(0), true);
  std::unique_ptr<Fresh> fresh;
  for (auto _ : state) {
    state.PauseTiming();
    fresh = std::make_unique<Fresh>();
    state.ResumeTiming();
    fresh->run(request);
    benchmark::DoNotOptimize(fresh->reply);
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_HsetFields)
    ->Arg(1000)
    ->Arg(8000)
    ->Arg(40000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();

/// HDEL h of all N fields of a hash of N fields.
void BM_HdelFields(benchmark::State& state) {
  const Request hset = fields_request("HSET", state.range(0), true);
  const Request hdel = fields_request("HDEL", state.range(0), false);
  std::unique_ptr<Fresh> fresh;
  for (auto _ : state) {
    state.PauseTiming();
    fresh = std::make_unique<Fresh>();
    fresh->run(hset);
    state.ResumeTiming();
    fresh->run(hdel);
    benchmark::DoNotOptimize(fresh->reply);
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_HdelFields)
    ->Arg(1000)
    ->Arg(8000)
    ->Arg(40000)
    ->Unit(benchmark::kMillisecond)
    ->Complexity();

/// One HSET of one new field into a hash that holds N fields.
void BM_HsetOneFieldIntoHashOf(benchmark::State& state) {
  Fresh fresh;
  fresh.run(fields_request("HSET", state.range(0), true));
  std::int64_t i = state.range(0);
  for (auto _ : state) {
    fresh.run(Request{"HSET", "h", word("field", i), word("value", i)});
    ++i;
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_HsetOneFieldIntoHashOf)
    ->Arg(1000)
    ->Arg(8000)
    ->Arg(40000)
    ->Unit(benchmark::kMicrosecond)
    ->Complexity();

/// What RocksDB's flush does with a list under LPUSH: fold `operands` turn deltas (each
/// `per_operand` elements pushed to the front as 50 commands) with lattice_merge, the store's
/// merge function. The floor beside it decodes the same operands and encodes one value of
/// the same elements, which any fold must do.
std::vector<std::string> push_turns(std::int64_t operands, std::int64_t per_operand) {
  constexpr std::int64_t commands_per_turn = 50;
  KeyValue list;
  std::vector<std::string> out;
  for (std::int64_t t = 0; t < operands; ++t) {
    KeyValue turn;
    for (std::int64_t c = 0; c < commands_per_turn; ++c) {
      std::vector<std::string> values(static_cast<std::size_t>(per_operand / commands_per_turn),
                                      "xxx");
      auto delta = list_insert(list, 1, 0, std::move(values));
      calm::lattices::merge(turn, std::move(std::get<KeyValue>(delta)));
    }
    out.push_back(calm::lattices::to_bytes(turn));
  }
  return out;
}

void BM_FoldListOperands(benchmark::State& state) {
  const auto operands = push_turns(state.range(0), state.range(1));
  const std::vector<std::string_view> views(operands.begin(), operands.end());
  std::string out;
  for (auto _ : state) {
    if (!calm::protocols::storage::lattice_merge<KeyValue>(nullptr, views, out)) {
      state.SkipWithError("the fold failed");
    }
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_FoldListOperands)->Args({1250, 800})->Args({20000, 50})->Unit(benchmark::kMillisecond);

void BM_FoldListOperandsFloor(benchmark::State& state) {
  const auto operands = push_turns(state.range(0), state.range(1));
  const KeyValue folded = [&] {
    const std::vector<std::string_view> views(operands.begin(), operands.end());
    std::string bytes;
    calm::protocols::storage::lattice_merge<KeyValue>(nullptr, views, bytes);
    return calm::lattices::from_bytes<KeyValue>(bytes);
  }();
  for (auto _ : state) {
    for (const std::string& operand : operands) {
      benchmark::DoNotOptimize(calm::lattices::from_bytes<KeyValue>(operand));
    }
    benchmark::DoNotOptimize(calm::lattices::to_bytes(folded));
  }
}
BENCHMARK(BM_FoldListOperandsFloor)
    ->Args({1250, 800})
    ->Args({20000, 50})
    ->Unit(benchmark::kMillisecond);

}  // namespace

/// SET of a 64-byte value over a keyspace of N keys, key after key (the `-r N` of
/// redis-benchmark): the per-key cost of a string key, which KeyValue's boxed fields keep small.
void BM_SetKeyOf(benchmark::State& state) {
  Fresh fresh;
  const std::string value(64, 'v');
  const std::int64_t keys = state.range(0);
  std::int64_t i = 0;
  for (auto _ : state) {
    fresh.run(Request{"SET", word("key", i), value});
    i = i + 1 == keys ? 0 : i + 1;
  }
}
BENCHMARK(BM_SetKeyOf)->Arg(100000)->Unit(benchmark::kNanosecond);

/// GET over a keyspace of N string keys of 64-byte values.
void BM_GetKeyOf(benchmark::State& state) {
  Fresh fresh;
  const std::string value(64, 'v');
  const std::int64_t keys = state.range(0);
  for (std::int64_t k = 0; k < keys; ++k) fresh.run(Request{"SET", word("key", k), value});
  std::int64_t i = 0;
  for (auto _ : state) {
    fresh.run(Request{"GET", word("key", i)});
    benchmark::DoNotOptimize(fresh.reply);
    i = i + 1 == keys ? 0 : i + 1;
  }
}
BENCHMARK(BM_GetKeyOf)->Arg(100000)->Unit(benchmark::kNanosecond);

/// The size check every write makes (does its delta fit in one message?) on one LPUSH's delta:
/// `encoded_size` with calm's own archive, which writes into a string or a counter, against the
/// same count through cereal's PortableBinaryOutputArchive over an std::ostream (how calm
/// counted before). Same bytes, one streambuf call per field in the baseline.
KeyValue push_delta() {
  Fresh fresh;
  fresh.keyspace.keep_deltas = true;
  fresh.run(Request{"RPUSH", "mylist", "a", "b", "c"});
  fresh.run(Request{"LPUSH", "mylist", "xxx"});
  return fresh.keyspace.deltas.back();
}

void BM_EncodedSizeOfAPushDelta(benchmark::State& state) {
  const KeyValue delta = push_delta();
  for (auto _ : state) benchmark::DoNotOptimize(calm::lattices::encoded_size(delta));
}
BENCHMARK(BM_EncodedSizeOfAPushDelta)->Unit(benchmark::kNanosecond);

void BM_EncodedSizeOfAPushDeltaThroughAStream(benchmark::State& state) {
  class Counter final : public std::streambuf {
   public:
    std::size_t count = 0;

   protected:
    std::streamsize xsputn(const char*, std::streamsize n) override {
      count += static_cast<std::size_t>(n);
      return n;
    }
    int_type overflow(int_type c) override {
      ++count;
      return traits_type::not_eof(c);
    }
  };
  const KeyValue delta = push_delta();
  Counter counter;
  std::ostream stream(&counter);
  for (auto _ : state) {
    counter.count = 0;
    {
      cereal::PortableBinaryOutputArchive archive(stream);
      archive(delta);
    }
    benchmark::DoNotOptimize(counter.count);
  }
  if (counter.count != calm::lattices::encoded_size(delta))
    state.SkipWithError("not the same size");
}
BENCHMARK(BM_EncodedSizeOfAPushDeltaThroughAStream)->Unit(benchmark::kNanosecond);

/// What a replica decodes for each key it receives: one SET's delta (a KeyValue whose eight
/// boxed fields are empty), against the floor of decoding its one written field, the string
/// register, alone. An empty box's bytes are skipped without building its lattice.
namespace {
std::string set_delta_bytes() {
  KeyValue v;
  const KeyValue delta = set_string(v, 1, std::string(64, 'v'), {1700000000000, 0});
  return calm::lattices::to_bytes(delta);
}
}  // namespace
void BM_DecodeSetDelta(benchmark::State& state) {
  const std::string bytes = set_delta_bytes();
  for (auto _ : state) benchmark::DoNotOptimize(calm::lattices::from_bytes<KeyValue>(bytes));
}
BENCHMARK(BM_DecodeSetDelta)->Unit(benchmark::kNanosecond);
void BM_DecodeSetDeltaFloor(benchmark::State& state) {
  const std::string bytes =
      calm::lattices::to_bytes(calm::lattices::from_bytes<KeyValue>(set_delta_bytes()).str);
  for (auto _ : state) benchmark::DoNotOptimize(calm::lattices::from_bytes<KeyValue::Str>(bytes));
}
BENCHMARK(BM_DecodeSetDeltaFloor)->Unit(benchmark::kNanosecond);
