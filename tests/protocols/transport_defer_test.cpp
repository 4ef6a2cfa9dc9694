// TcpRuntime's defer: a node's deferred call runs on the runtime's thread after what is already
// queued, and a call still queued when the runtime goes away never runs.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocols/net/tcp.hpp"
#include "protocols/storage/memory_disk.hpp"

namespace calm::protocols::net {
namespace {

/// Defers one call at start and records the order of what runs.
class Deferring final : public Node {
 public:
  Deferring(const NodeContext& context, std::vector<std::string>& seen)
      : transport_(context.transport), seen_(seen) {}
  void on_start() override {
    transport_.defer([this] { seen_.push_back("deferred"); });
    seen_.push_back("started");
  }
  void on_message(NodeId, std::string_view) override {}
  void on_timer(TimerId) override {}
  Transport& transport() { return transport_; }

 private:
  Transport& transport_;
  std::vector<std::string>& seen_;
};

TEST(TcpDefer, ADeferredCallRunsAfterThePostedCallsAlreadyQueued) {
  storage::MemoryDisk disk;
  std::vector<std::string> seen;
  TcpRuntime runtime(0, "127.0.0.1", 0, {}, disk,
                     [&](const NodeContext& c) { return std::make_unique<Deferring>(c, seen); });
  runtime.post([&](Node&) { seen.push_back("posted before run"); });
  runtime.post([&](Node& node) {
    static_cast<Deferring&>(node).transport().defer([&] {
      seen.push_back("deferred by a post");
      runtime.stop();
    });
    seen.push_back("posted, deferring");
  });
  runtime.post([&](Node&) { seen.push_back("posted after"); });
  runtime.run_for(10000);  // returns at stop; bounded if it never comes
  EXPECT_EQ(seen, (std::vector<std::string>{"started", "posted before run", "posted, deferring",
                                            "posted after", "deferred", "deferred by a post"}));
}

TEST(TcpDefer, ACallStillDeferredWhenTheRuntimeGoesAwayNeverRuns) {
  storage::MemoryDisk disk;
  std::vector<std::string> seen;
  int ran = 0;
  {
    TcpRuntime runtime(0, "127.0.0.1", 0, {}, disk,
                       [&](const NodeContext& c) { return std::make_unique<Deferring>(c, seen); });
    runtime.post([&](Node& node) {
      static_cast<Deferring&>(node).transport().defer([&] { ++ran; });
      runtime.stop();  // the deferred call stays queued
    });
    runtime.run_for(10000);
  }
  EXPECT_EQ(ran, 0);
}

}  // namespace
}  // namespace calm::protocols::net
