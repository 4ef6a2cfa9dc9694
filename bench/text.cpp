/// Text<> on real editing traces (../shared/traces, CC BY 4.0: automerge-paper by Martin
/// Kleppmann, seph-blog1 and friendsforever by Joseph Gentle), each against the floor in the
/// same run: a gap buffer of code points replaying the same patches.
///
/// Goals (docs/benchmarks.md, "Sequences (issue 18)"), on automerge-paper (259,778 edits):
///   - the trace as local edits <= 20 ms;
///   - merging the whole document into an empty replica, and loading it from its bytes,
///     <= 10 ms each;
///   - encoded size <= 300 KB; heap after the trace <= 4 MB.
/// friendsforever (two replicas exchanging deltas as the trace's parents say): reported.
#include "lattices/text.hpp"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "alloc_count.hpp"
#include "lattices/serialize.hpp"
#include "support/editing_trace.hpp"

namespace {

using calm::lattices::Text;

const calm::traces::Trace& trace(const char* name) {
  static std::vector<std::pair<std::string, calm::traces::Trace>> loaded;
  for (const auto& [n, t] : loaded) {
    if (n == name) return t;
  }
  loaded.emplace_back(name, calm::traces::load_trace(calm::traces::traces_dir() / name));
  return loaded.back().second;
}

const char* const kPaper = "automerge-paper.json.gz";
const char* const kBlog = "seph-blog1.json.gz";

/// Code points of valid UTF-8: its bytes but the continuation bytes.
std::size_t code_points(const std::string& utf8) {
  std::size_t n = 0;
  for (const char ch : utf8) n += (static_cast<unsigned char>(ch) & 0xc0) != 0x80 ? 1 : 0;
  return n;
}

/// automerge-paper with every ASCII letter typed as a two-byte code point (A..z as
/// U+0100..U+0139): the same edits (positions count code points) on text that is not ASCII,
/// where finding a code point's byte means walking the UTF-8.
const calm::traces::Trace& paper_latin() {
  static const calm::traces::Trace latin = [] {
    const auto convert = [](const std::string& s) {
      std::string out;
      for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
          const unsigned cp = 0x100u + (c - 'A');
          out += static_cast<char>(0xc0u | (cp >> 6));
          out += static_cast<char>(0x80u | (cp & 0x3fu));
        } else {
          out += ch;
        }
      }
      return out;
    };
    calm::traces::Trace t = trace(kPaper);
    t.start_content = convert(t.start_content);
    t.end_content = convert(t.end_content);
    for (calm::traces::Txn& txn : t.txns) {
      for (calm::traces::Patch& patch : txn.patches) patch.ins = convert(patch.ins);
    }
    return t;
  }();
  return latin;
}

template <class Doc>
void replay_local(benchmark::State& state, const calm::traces::Trace& t) {
  const std::size_t end_size = code_points(t.end_content);
  for (auto _ : state) {
    Doc doc;
    calm::traces::replay_local(t, doc);
    benchmark::DoNotOptimize(doc);
    if (doc.size() != end_size) state.SkipWithError("the replay went wrong");
  }
  std::size_t edits = 0;
  for (const calm::traces::Txn& txn : t.txns) edits += txn.patches.size();
  state.counters["edits"] = static_cast<double>(edits);
}

void text_paper_local(benchmark::State& state) { replay_local<Text<>>(state, trace(kPaper)); }
void gap_buffer_paper_local(benchmark::State& state) {
  replay_local<calm::traces::GapBuffer>(state, trace(kPaper));
}
void text_paper_latin_local(benchmark::State& state) { replay_local<Text<>>(state, paper_latin()); }
void gap_buffer_paper_latin_local(benchmark::State& state) {
  replay_local<calm::traces::GapBuffer>(state, paper_latin());
}
void text_blog_local(benchmark::State& state) { replay_local<Text<>>(state, trace(kBlog)); }
void gap_buffer_blog_local(benchmark::State& state) {
  replay_local<calm::traces::GapBuffer>(state, trace(kBlog));
}
BENCHMARK(text_paper_local)->Unit(benchmark::kMillisecond);
BENCHMARK(gap_buffer_paper_local)->Unit(benchmark::kMillisecond);
BENCHMARK(text_paper_latin_local)->Unit(benchmark::kMillisecond);
BENCHMARK(gap_buffer_paper_latin_local)->Unit(benchmark::kMillisecond);
BENCHMARK(text_blog_local)->Unit(benchmark::kMillisecond);
BENCHMARK(gap_buffer_blog_local)->Unit(benchmark::kMillisecond);

const Text<>& paper_document() {
  static const Text<> doc = [] {
    Text<> d;
    calm::traces::replay_local(trace(kPaper), d);
    return d;
  }();
  return doc;
}

/// The delta of everything (what anti-entropy sends a replica that has nothing), merged into
/// an empty replica.
void text_paper_merge_into_empty(benchmark::State& state) {
  const Text<> everything = paper_document().delta(Text<>{});
  for (auto _ : state) {
    Text<> replica;
    replica.merge(everything);
    benchmark::DoNotOptimize(replica);
  }
}
BENCHMARK(text_paper_merge_into_empty)->Unit(benchmark::kMillisecond);

/// The same for the two-byte text of paper_latin().
void text_paper_latin_merge_into_empty(benchmark::State& state) {
  Text<> doc;
  calm::traces::replay_local(paper_latin(), doc);
  const Text<> everything = doc.delta(Text<>{});
  for (auto _ : state) {
    Text<> replica;
    replica.merge(everything);
    benchmark::DoNotOptimize(replica);
  }
}
BENCHMARK(text_paper_latin_merge_into_empty)->Unit(benchmark::kMillisecond);

/// One run of n two-byte code points from one replica, and a character from another replica
/// typed after each of them: the run keeps one piece with an attachment at every element, so
/// a rebuild cuts it n times. Loaded from its bytes (a rebuild) at n, 2n, 4n: the time should
/// about double with n (each cut walked the UTF-8 from the run's start: quadratic, before).
void text_latin_run_cut_everywhere_load(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::string run;
  for (std::size_t i = 0; i < n; ++i) run += "\xc3\xa9";  // U+00E9
  Text<> doc;
  doc.insert(1, 0, run);
  for (std::size_t k = 0; k < n; ++k) doc.insert(2, 2 * k + 1, "x");
  const std::string bytes = calm::lattices::to_bytes(doc);
  for (auto _ : state) {
    Text<> replica = calm::lattices::from_bytes<Text<>>(bytes);
    benchmark::DoNotOptimize(replica);
    if (replica.size() != 2 * n) state.SkipWithError("the load went wrong");
  }
  state.counters["pieces"] = static_cast<double>(doc.piece_count());
}
BENCHMARK(text_latin_run_cut_everywhere_load)
    ->Arg(4000)
    ->Arg(8000)
    ->Arg(16000)
    ->Unit(benchmark::kMillisecond);

/// The document's bytes, and loading it from them; heap use of the document.
void text_paper_load(benchmark::State& state) {
  const std::string bytes = calm::lattices::to_bytes(paper_document());
  for (auto _ : state) {
    Text<> doc = calm::lattices::from_bytes<Text<>>(bytes);
    benchmark::DoNotOptimize(doc);
  }
  state.counters["encoded_bytes"] = static_cast<double>(bytes.size());
  state.counters["pieces"] = static_cast<double>(paper_document().piece_count());
  calm::bench::HeapUse use;
  {
    calm::bench::HeapCount count;
    Text<> doc;
    calm::traces::replay_local(trace(kPaper), doc);
    use = count.live();
  }
  state.counters["heap_bytes"] = static_cast<double>(use.bytes + 8 * use.blocks);
  state.counters["heap_bytes_per_char"] = static_cast<double>(use.bytes + 8 * use.blocks) /
                                          static_cast<double>(trace(kPaper).end_content.size());
}
BENCHMARK(text_paper_load)->Unit(benchmark::kMillisecond);

/// The floor for loading: the same text copied out of a string of the same bytes.
void string_paper_copy(benchmark::State& state) {
  const std::string text = trace(kPaper).end_content;
  for (auto _ : state) {
    std::string copy = text;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(string_paper_copy)->Unit(benchmark::kMillisecond);

/// friendsforever: two replicas, each transaction applied at its agent after merging the
/// deltas of its parents.
void text_friendsforever_concurrent(benchmark::State& state) {
  const calm::traces::Trace& t = trace("friendsforever.json.gz");
  for (auto _ : state) {
    std::vector<Text<>> replicas = calm::traces::replay_concurrent<Text<>>(t);
    benchmark::DoNotOptimize(replicas);
    if (replicas.front().str() != t.end_content) state.SkipWithError("the replay went wrong");
  }
}
BENCHMARK(text_friendsforever_concurrent)->Unit(benchmark::kMillisecond);

}  // namespace
