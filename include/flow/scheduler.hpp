#pragma once
/// The runtime under a Graph: subgraphs (fused operator chains, each one std::function called
/// once per run, never per item) joined by nodes (handoff buffers and the state of blocking
/// operators), run tick by tick, stratum by stratum, each stratum to a fixpoint.
///
/// Strata: a subgraph that reads a blocking node (the state of fold, sort, the subtracted side
/// of difference, ...) runs in a later stratum than the subgraph that fills it, so it sees the
/// tick's complete input. A subgraph that reads a handoff runs in the same stratum as its
/// writer or later. A cycle through a blocking node cannot be stratified and is rejected when
/// the graph first runs.
///
/// Fixpoint: within a stratum every subgraph runs once per tick, then again while one of its
/// input handoffs holds items; a stratum ends when a pass runs nothing. The pass count is
/// bounded (`fixpoint_passes_max`) so that a cycle that keeps producing new items is reported
/// instead of hanging.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "flow/explain.hpp"

namespace calm::flow {

/// How long an operator's state lives inside a Graph. `tick` state is cleared when the next
/// tick starts (Hydroflow's 'tick); `persistent` state is kept for the graph's life ('static).
/// A standalone pipeline runs as a single tick, so the lifetime makes no difference there.
enum class Lifetime { tick, persistent };

namespace detail {

/// A node that a chain reads from. A blocking node's writer must finish before it is read.
struct Input {
  std::size_t node;
  bool blocking;
};
using Inputs = std::vector<Input>;

class Scheduler {
 public:
  static constexpr std::uint64_t never = ~std::uint64_t{0};

  /// The number of the tick running now, or of the last one run; 0 before the first.
  std::uint64_t tick() const { return tick_; }

  /// A node (handoff or blocking state); `pending` says whether it holds unread items.
  std::size_t add_node(std::function<bool()> pending) {
    nodes_.push_back({std::move(pending), -1});
    return nodes_.size() - 1;
  }

  void add_subgraph(std::string name, std::function<void()> run, Inputs inputs,
                    std::vector<std::size_t> outputs) {
    const int index = static_cast<int>(subgraphs_.size());
    for (std::size_t out : outputs) {
      if (nodes_.at(out).producer != -1) {
        throw std::logic_error("calm::flow: a handoff has two writers");
      }
      nodes_[out].producer = index;
    }
    subgraphs_.push_back({std::move(name), std::move(run), std::move(inputs), 0});
    strata_ready_ = false;
  }

  void on_tick_start(std::function<void()> f) { tick_start_.push_back(std::move(f)); }
  void add_external_input(std::function<bool()> has_input) {
    external_inputs_.push_back(std::move(has_input));
  }
  void add_plan(const Plan& plan) { plans_.push_back(plan); }

  /// Whether a source still holds input for a later tick (a channel, a batched source).
  bool has_input() const {
    for (const auto& f : external_inputs_) {
      if (f()) return true;
    }
    return false;
  }

  void run_tick() {
    if (!strata_ready_) stratify();
    ++tick_;
    for (auto& f : tick_start_) f();
    for (int stratum = 0; stratum <= max_stratum_; ++stratum) run_stratum(stratum);
  }

  std::string explain(Format format) const {
    std::vector<const PlanNode*> nodes;
    for (const Plan& p : plans_) nodes.push_back(p.get());
    std::string extra;
    if (!strata_ready_) const_cast<Scheduler*>(this)->stratify();
    for (std::size_t i = 0; i < subgraphs_.size(); ++i) {
      extra += "subgraph " + std::to_string(i) + " (stratum " +
               std::to_string(subgraphs_[i].stratum) + "): " + subgraphs_[i].name + "\n";
    }
    return render_plan(nodes, format, extra);
  }

  std::size_t fixpoint_passes_max = 1'000'000;

 private:
  struct Node {
    std::function<bool()> pending;
    int producer;
  };
  struct Subgraph {
    std::string name;
    std::function<void()> run;
    Inputs inputs;
    int stratum;
  };

  bool input_pending(const Subgraph& sg) const {
    for (const Input& in : sg.inputs) {
      if (nodes_[in.node].pending()) return true;
    }
    return false;
  }

  void run_stratum(int stratum) {
    // Pass 0 runs every subgraph of the stratum once; later passes only those with new input.
    for (std::size_t pass = 0;; ++pass) {
      if (pass == fixpoint_passes_max) {
        throw std::runtime_error("calm::flow: no fixpoint after " + std::to_string(pass) +
                                 " passes in stratum " + std::to_string(stratum) +
                                 " (does a cycle lack unique() or lattice_merge_by_key()?)");
      }
      bool ran = false;
      for (Subgraph& sg : subgraphs_) {
        if (sg.stratum != stratum || (pass > 0 && !input_pending(sg))) continue;
        sg.run();
        ran = true;
      }
      if (!ran) return;
    }
  }

  /// Longest-path strata over the constraints "reader >= writer (+1 through a blocking
  /// node)". More rounds than subgraphs means a cycle through a blocking node.
  void stratify() {
    for (Subgraph& sg : subgraphs_) sg.stratum = 0;
    const std::size_t rounds_max = subgraphs_.size() + 1;
    for (std::size_t round = 0;; ++round) {
      bool changed = false;
      for (Subgraph& sg : subgraphs_) {
        for (const Input& in : sg.inputs) {
          const int producer = nodes_[in.node].producer;
          if (producer < 0) continue;
          const int want = subgraphs_[producer].stratum + (in.blocking ? 1 : 0);
          if (want > sg.stratum) {
            sg.stratum = want;
            changed = true;
          }
        }
      }
      if (!changed) break;
      if (round == rounds_max) {
        throw std::logic_error(
            "calm::flow: a cycle passes through a blocking operator (fold, sort, difference, "
            "anti_join, ...), so no stratum can see its complete input; move that operator out "
            "of the cycle");
      }
    }
    max_stratum_ = 0;
    for (const Subgraph& sg : subgraphs_) max_stratum_ = std::max(max_stratum_, sg.stratum);
    strata_ready_ = true;
  }

  std::vector<Node> nodes_;
  std::vector<Subgraph> subgraphs_;
  std::vector<std::function<void()>> tick_start_;
  std::vector<std::function<bool()>> external_inputs_;
  std::vector<Plan> plans_;
  std::uint64_t tick_ = 0;
  int max_stratum_ = 0;
  bool strata_ready_ = true;
};

/// A handoff between subgraphs, or a buffer that a tee fills once in a standalone pipeline.
template <class T>
struct Buffer {
  std::vector<T> items;
  std::vector<T> draining;  // the batch being read; kept to reuse its capacity
  bool filled = false;
};

}  // namespace detail
}  // namespace calm::flow
