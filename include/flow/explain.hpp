#pragma once
/// explain(): the operator graph behind a stream, a singleton or a whole Graph, as text, as a
/// Mermaid flowchart or as Graphviz DOT. Every edge is labelled with the props of the stream
/// that flows along it, and every assume_deterministic() reason is listed.
///
/// Each operator call records one PlanNode (a few strings and the edges to its inputs); this is
/// a per-operator cost at graph construction, nothing per item.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace calm::flow {

/// The output format of explain().
enum class Format { text, mermaid, dot };

namespace detail {

struct PlanNode {
  std::string op;     // "map", "source_iter", "join", ...
  std::string props;  // the props of this operator's output, as "{RandomBatch, Dups}"
  std::string note;   // a lifetime, or an assume_deterministic reason
  bool assumed = false;
  bool consumed = false;  // in a Graph a stream has one consumer (tee() makes more)
  std::vector<std::shared_ptr<PlanNode>> inputs;
  std::vector<std::weak_ptr<PlanNode>> back_inputs;  // cycle edges, weak to avoid a leak
};
using Plan = std::shared_ptr<PlanNode>;

inline Plan make_plan(std::string op, std::string props, std::vector<Plan> inputs,
                      std::string note = {}) {
  auto node = std::make_shared<PlanNode>();
  node->op = std::move(op);
  node->props = std::move(props);
  node->note = std::move(note);
  node->inputs = std::move(inputs);
  return node;
}

/// Every node reachable from `roots` through inputs, inputs first.
inline std::vector<const PlanNode*> plan_order(const std::vector<Plan>& roots) {
  std::vector<const PlanNode*> order;
  std::map<const PlanNode*, bool> seen;
  auto visit = [&](auto& self, const PlanNode* node) -> void {
    if (seen[node]) return;
    seen[node] = true;
    for (const Plan& in : node->inputs) self(self, in.get());
    order.push_back(node);
  };
  for (const Plan& root : roots) visit(visit, root.get());
  return order;
}

inline std::string quote(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '"') ? '\'' : c;
  return out;
}

/// Renders nodes given inputs first; `extra` is appended to the text form (subgraphs).
inline std::string render_plan(const std::vector<const PlanNode*>& nodes, Format format,
                               const std::string& extra = {}) {
  std::map<const PlanNode*, std::size_t> id;
  for (const PlanNode* node : nodes) id.emplace(node, id.size());
  auto id_of = [&](const PlanNode* node) { return std::to_string(id.at(node)); };
  auto label = [](const PlanNode* node) {
    return node->note.empty() ? node->op : node->op + " [" + node->note + "]";
  };
  // Each edge: from, to, the props flowing along it, whether it closes a cycle.
  struct Edge {
    const PlanNode* from;
    const PlanNode* to;
    bool back;
  };
  std::vector<Edge> edges;
  for (const PlanNode* node : nodes) {
    for (const Plan& in : node->inputs) edges.push_back({in.get(), node, false});
    for (const auto& weak : node->back_inputs) {
      if (auto in = weak.lock(); in && id.count(in.get())) edges.push_back({in.get(), node, true});
    }
  }
  std::string out;
  if (format == Format::text) {
    for (const PlanNode* node : nodes) {
      out += "#" + id_of(node) + " " + label(node);
      std::string from;
      // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on
      // const char* + std::string&& here.
      auto add_input = [&](const PlanNode* in, const char* suffix) {
        if (!from.empty()) from += ", ";
        from += '#';
        from += id_of(in);
        from += suffix;
      };
      for (const Plan& in : node->inputs) add_input(in.get(), "");
      for (const auto& weak : node->back_inputs) {
        if (auto in = weak.lock(); in && id.count(in.get())) {
          add_input(in.get(), " (cycle)");
        }
      }
      if (!from.empty()) out += " <- " + from;
      out += " -> " + node->props + "\n";
    }
    bool any = false;
    for (const PlanNode* node : nodes) {
      if (!node->assumed) continue;
      if (!any) out += "assume_deterministic:\n";
      any = true;
      out += "  #" + id_of(node) + " \"" + node->note + "\"\n";
    }
    return out + extra;
  }
  if (format == Format::mermaid) {
    out = "flowchart TD\n";
    for (const PlanNode* node : nodes) {
      out += "  n" + id_of(node) + "[\"" + quote(label(node)) + "\"]\n";
    }
    for (const Edge& e : edges) {
      out += "  n" + id_of(e.from) + (e.back ? " -.->|\"" : " -->|\"") + e.from->props + "\"| n" +
             id_of(e.to) + "\n";
    }
    return out;
  }
  out = "digraph flow {\n  node [shape=box];\n";
  for (const PlanNode* node : nodes) {
    out += "  n" + id_of(node) + " [label=\"" + quote(label(node)) + "\"];\n";
  }
  for (const Edge& e : edges) {
    out += "  n" + id_of(e.from) + " -> n" + id_of(e.to) + " [label=\"" + e.from->props + "\"" +
           (e.back ? ", style=dashed" : "") + "];\n";
  }
  return out + "}\n";
}

}  // namespace detail
}  // namespace calm::flow
