#include "support/editing_trace.hpp"

#include <zlib.h>

#include <cerrno>
#include <initializer_list>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>

#ifndef CALM_TRACES_DIR
#error "CALM_TRACES_DIR must name the directory of the shared traces"
#endif

namespace calm::traces {
namespace {

using nlohmann::json;

/// The concatenation of `parts`. Error messages are built with it rather than with operator+ on
/// a literal and a temporary std::string, for which g++ 12 at -O3 warns falsely (-Wrestrict).
std::string cat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (const std::string_view p : parts) size += p.size();
  std::string out;
  out.reserve(size);
  for (const std::string_view p : parts) out.append(p);
  return out;
}

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

/// The whole decompressed content of the gzip file at `path`.
std::string read_gzip(const std::filesystem::path& path) {
  errno = 0;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    fail(error != 0 ? cat({"cannot open: ", std::generic_category().message(error)})
                    : "cannot open");
  }
  struct Closer {
    gzFile file;
    ~Closer() { gzclose(file); }
  } closer{file};
  gzbuffer(file, 1U << 17);
  std::string out;
  std::string chunk(1U << 16, '\0');
  for (;;) {
    const int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n <= 0) break;
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  // A read error, or a stream cut short (Z_BUF_ERROR: unexpected end of file).
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  if (code != Z_OK) {
    // zlib's message starts with the path, which load_trace's message already names.
    std::string what = message != nullptr ? message : "read error";
    if (const std::string prefix = cat({path.string(), ": "}); what.starts_with(prefix)) {
      what.erase(0, prefix.size());
    }
    fail(cat({"gzip: ", what}));
  }
  return out;
}

// The document is read with nlohmann::json's SAX interface, straight into the Trace: a parsed
// JSON document of automerge-paper takes 200 MB, an object per transaction, and most of the load
// time.

/// What the next value of the document is, from where the reader stands.
enum class Slot : unsigned {
  root,
  ignore,  // an unknown key's value, or anything inside one
  kind,
  start,
  end,
  num_agents,
  txns,
  txn,
  agent,
  parents,
  parent,
  patches,
  patch,
  pos,
  del,
  ins,
  extra,  // a patch's fourth element
};

constexpr unsigned bit(Slot s) { return 1U << static_cast<unsigned>(s); }

/// The open containers: the top object, txns, a transaction, its parents, its patches, a patch,
/// or one being skipped.
enum class Ctx { top, txns, txn, parents, patches, patch, skip };

class Reader {
 public:
  // The SAX interface of nlohmann::json::sax_parse.
  bool null() { return other(); }
  bool boolean(bool /*value*/) { return other(); }
  bool number_integer(json::number_integer_t /*value*/) { return other(); }
  bool number_float(json::number_float_t /*value*/, const std::string& /*text*/) { return other(); }
  bool binary(json::binary_t& /*value*/) { return other(); }

  bool number_unsigned(json::number_unsigned_t value) {
    const Slot s = slot();
    switch (s) {
      case Slot::ignore:
        break;
      case Slot::num_agents:
        num_agents_ = value;  // checked by finish(), for a concurrent trace
        break;
      case Slot::agent:
        if (value > std::numeric_limits<std::uint32_t>::max())
          fail(cat({path(s), ": >= numAgents"}));
        txn().agent = static_cast<std::uint32_t>(value);
        break;
      case Slot::parent:
        if (value >= trace_.txns.size() - 1) fail(cat({path(s), ": not an earlier transaction"}));
        txn().parents.push_back(static_cast<std::size_t>(value));
        break;
      case Slot::pos:
        txn().patches.back().pos = to_size(value, s);
        break;
      case Slot::del:
        txn().patches.back().del = to_size(value, s);
        break;
      default:
        mismatch(s);
    }
    return after_value();
  }

  bool string(std::string& value) {
    const Slot s = slot();
    switch (s) {
      case Slot::ignore:
        break;
      case Slot::kind:
        if (value == "concurrent") {
          trace_.concurrent = true;
        } else if (value != "sequential") {
          fail(cat({"kind: unknown kind \"", value, "\""}));
        }
        break;
      case Slot::start:
        trace_.start_content = std::move(value);
        break;
      case Slot::end:
        trace_.end_content = std::move(value);
        break;
      case Slot::ins:
        txn().patches.back().ins = std::move(value);
        break;
      default:
        mismatch(s);
    }
    return after_value();
  }

  bool start_object(std::size_t /*size*/) {
    const Slot s = slot();
    switch (s) {
      case Slot::ignore:
        stack_.push_back({Ctx::skip});
        break;
      case Slot::root:
        stack_.push_back({Ctx::top});
        break;
      case Slot::txn:
        trace_.txns.emplace_back();
        stack_.push_back({Ctx::txn});
        break;
      default:
        mismatch(s);
    }
    return true;
  }

  bool start_array(std::size_t /*size*/) {
    const Slot s = slot();
    switch (s) {
      case Slot::ignore:
        stack_.push_back({Ctx::skip});
        break;
      case Slot::txns:
        stack_.push_back({Ctx::txns});
        break;
      case Slot::parents:
        stack_.push_back({Ctx::parents});
        break;
      case Slot::patches:
        stack_.push_back({Ctx::patches});
        break;
      case Slot::patch:
        txn().patches.emplace_back();
        stack_.push_back({Ctx::patch});
        break;
      default:
        mismatch(s);
    }
    return true;
  }

  bool key(std::string& name) {
    Frame& f = stack_.back();
    f.key = Slot::ignore;
    if (f.ctx == Ctx::top) {
      if (name == "kind") {
        f.key = Slot::kind;
      } else if (name == "startContent") {
        f.key = Slot::start;
      } else if (name == "endContent") {
        f.key = Slot::end;
      } else if (name == "numAgents") {
        f.key = Slot::num_agents;
      } else if (name == "txns") {
        f.key = Slot::txns;
      }
    } else if (f.ctx == Ctx::txn) {
      if (name == "agent") {
        f.key = Slot::agent;
      } else if (name == "parents") {
        f.key = Slot::parents;
      } else if (name == "patches") {
        f.key = Slot::patches;
      }
    }
    if (f.key != Slot::ignore) {
      if ((f.seen & bit(f.key)) != 0) fail(cat({path(f.key), ": given twice"}));
      f.seen |= bit(f.key);
    }
    return true;
  }

  bool end_object() { return end(); }
  bool end_array() { return end(); }

  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const json::exception& e) {
    fail(e.what());
  }

  /// The trace read, once sax_parse has returned: the fields the kind of trace implies.
  Trace finish() && {
    if (trace_.concurrent) {
      if (num_agents_ == 0 || num_agents_ > std::numeric_limits<std::uint32_t>::max()) {
        fail("numAgents: out of range");
      }
      trace_.agents = static_cast<std::uint32_t>(num_agents_);
    } else {
      trace_.agents = 1;
    }
    for (std::size_t i = 0; i < trace_.txns.size(); ++i) {
      Txn& txn = trace_.txns[i];
      if (trace_.concurrent) {
        if ((txn_fields_[i] & bit(Slot::agent)) == 0) fail(cat({txn_path(i), ": no \"agent\""}));
        if ((txn_fields_[i] & bit(Slot::parents)) == 0)
          fail(cat({txn_path(i), ": no \"parents\""}));
        if (txn.agent >= trace_.agents) fail(cat({txn_path(i), ".agent: >= numAgents"}));
      } else {
        txn.agent = 0;
        txn.parents.clear();
        if (i > 0) txn.parents.push_back(i - 1);
      }
    }
    return std::move(trace_);
  }

 private:
  struct Frame {
    Ctx ctx;
    std::size_t index = 0;    // in an array: the element being read
    Slot key = Slot::ignore;  // in an object: what the last key named
    unsigned seen = 0;        // in an object: the bits of the known keys read
  };

  Slot slot() const {
    if (stack_.empty()) return Slot::root;
    const Frame& f = stack_.back();
    switch (f.ctx) {
      case Ctx::top:
      case Ctx::txn:
        return f.key;
      case Ctx::txns:
        return Slot::txn;
      case Ctx::parents:
        return Slot::parent;
      case Ctx::patches:
        return Slot::patch;
      case Ctx::patch:
        return f.index == 0   ? Slot::pos
               : f.index == 1 ? Slot::del
               : f.index == 2 ? Slot::ins
                              : Slot::extra;
      case Ctx::skip:
        break;
    }
    return Slot::ignore;
  }

  /// A value other than a non-negative integer, a string, an object or an array.
  bool other() {
    if (const Slot s = slot(); s != Slot::ignore) mismatch(s);
    return after_value();
  }

  bool after_value() {
    if (!stack_.empty()) ++stack_.back().index;
    return true;
  }

  bool end() {
    const Frame f = stack_.back();
    stack_.pop_back();
    if (f.ctx == Ctx::top) {
      for (const Slot s : {Slot::end, Slot::txns}) {
        if ((f.seen & bit(s)) == 0) fail(cat({"trace: no \"", path(s), "\""}));
      }
      if (trace_.concurrent && (f.seen & bit(Slot::num_agents)) == 0) {
        fail("trace: no \"numAgents\"");
      }
    } else if (f.ctx == Ctx::txn) {
      if ((f.seen & bit(Slot::patches)) == 0) fail(cat({txn_path(), ": no \"patches\""}));
      txn_fields_.push_back(f.seen);
    } else if (f.ctx == Ctx::patch && f.index != 3) {
      fail(cat({path(Slot::patch), ": not [pos, del, ins]"}));
    }
    return after_value();
  }

  [[noreturn]] void mismatch(Slot s) const {
    const char* expected = "not a non-negative integer";
    switch (s) {
      case Slot::root:
        expected = "not a JSON object";
        break;
      case Slot::txn:
        expected = "not an object";
        break;
      case Slot::kind:
      case Slot::start:
      case Slot::end:
      case Slot::ins:
        expected = "not a string";
        break;
      case Slot::txns:
      case Slot::parents:
      case Slot::patches:
      case Slot::patch:
        expected = "not an array";
        break;
      case Slot::extra:
        expected = "one element too many for [pos, del, ins]";
        break;
      default:
        break;
    }
    fail(cat({path(s), ": ", expected}));
  }

  std::size_t to_size(std::uint64_t value, Slot s) const {
    if (value > std::numeric_limits<std::size_t>::max()) fail(cat({path(s), ": too large"}));
    return static_cast<std::size_t>(value);
  }

  Txn& txn() { return trace_.txns.back(); }

  static std::string txn_path(std::size_t i) { return cat({"txns[", std::to_string(i), "]"}); }
  std::string txn_path() const { return txn_path(trace_.txns.size() - 1); }
  std::string index() const { return cat({"[", std::to_string(stack_.back().index), "]"}); }

  /// Names the value at `s`, such as txns[12].patches[0][2], for an error message.
  std::string path(Slot s) const {
    switch (s) {
      case Slot::root:
      case Slot::ignore:
        return "trace";
      case Slot::kind:
        return "kind";
      case Slot::start:
        return "startContent";
      case Slot::end:
        return "endContent";
      case Slot::num_agents:
        return "numAgents";
      case Slot::txns:
        return "txns";
      case Slot::txn:
        return txn_path(trace_.txns.size());
      case Slot::agent:
        return cat({txn_path(), ".agent"});
      case Slot::parents:
        return cat({txn_path(), ".parents"});
      case Slot::parent:
        return cat({txn_path(), ".parents", index()});
      case Slot::patches:
        return cat({txn_path(), ".patches"});
      case Slot::patch:
        return cat({txn_path(), ".patches", index()});
      case Slot::pos:
      case Slot::del:
      case Slot::ins:
      case Slot::extra:
        break;
    }
    return cat(
        {txn_path(), ".patches[", std::to_string(stack_[stack_.size() - 2].index), "]", index()});
  }

  Trace trace_;
  std::uint64_t num_agents_ = 0;
  std::vector<Frame> stack_;
  std::vector<unsigned> txn_fields_;  // each transaction's known keys
};

}  // namespace

Trace load_trace(const std::filesystem::path& path) {
  try {
    const std::string text = read_gzip(path);
    Reader reader;
    json::sax_parse(text, &reader);
    return std::move(reader).finish();
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw std::runtime_error(cat({"calm::traces::load_trace: ", path.string(), ": ", e.what()}));
  }
}

std::filesystem::path traces_dir() {
  return std::filesystem::path(CALM_TRACES_DIR).lexically_normal();
}

}  // namespace calm::traces
