// Text on real editing traces (../shared/traces, CC BY 4.0: automerge-paper by Martin
// Kleppmann, seph-blog1 and friendsforever by Joseph Gentle; see its README): replaying each
// ends in the text the people typed, and the result survives its bytes and a merge into an
// empty replica.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lattices/serialize.hpp"
#include "lattices/text.hpp"
#include "support/editing_trace.hpp"

namespace {

using calm::lattices::Text;

Text<> replay(const char* name) {
  const calm::traces::Trace trace = calm::traces::load_trace(calm::traces::traces_dir() / name);
  Text<> doc;
  calm::traces::replay_local(trace, doc);
  EXPECT_EQ(doc.str(), trace.end_content) << name;
  EXPECT_EQ(doc.size(), trace.end_content.size()) << name;  // ASCII: code points are bytes
  return doc;
}

TEST(TextTraces, AutomergePaperReplayedAsLocalEditsEndsInItsText) {
  const Text<> doc = replay("automerge-paper.json.gz");
  const Text<> back = calm::lattices::from_bytes<Text<>>(calm::lattices::to_bytes(doc));
  EXPECT_TRUE(back == doc);
  Text<> remote;
  EXPECT_TRUE(remote.merge(doc));
  EXPECT_EQ(remote.str(), doc.str());
}

TEST(TextTraces, SephBlogReplayedAsLocalEditsEndsInItsText) {
  const Text<> doc = replay("seph-blog1.json.gz");
  EXPECT_TRUE(calm::lattices::from_bytes<Text<>>(calm::lattices::to_bytes(doc)) == doc);
}

TEST(TextTraces, FriendsForeverReplayedConcurrentlyEndsInItsTextAtEveryReplica) {
  const calm::traces::Trace trace =
      calm::traces::load_trace(calm::traces::traces_dir() / "friendsforever.json.gz");
  ASSERT_TRUE(trace.concurrent);
  const std::vector<Text<>> replicas = calm::traces::replay_concurrent<Text<>>(trace);
  ASSERT_EQ(replicas.size(), trace.agents);
  for (const Text<>& r : replicas) {
    EXPECT_EQ(r.str(), trace.end_content);
    EXPECT_TRUE(r == replicas.front());
  }
}

}  // namespace
