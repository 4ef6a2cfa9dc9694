// Text<Id>: the lattice and delta-CRDT laws, with multi-byte code points in every value.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <string>

#include "lattices/testing.hpp"

namespace {

using namespace calm::lattices;

TEST(TextLaws, HoldForTextsOfMultiByteCodePoints) {
  EXPECT_LATTICE(Text<>);
  EXPECT_LATTICE(Text<std::string>);
}

TEST(TextLaws, DeltasConvergeToTheFugueReference) { EXPECT_DELTA_CRDT(Text<>); }

// Fewer cases: each draws a map of documents, and the laws themselves are checked above.
TEST(TextLaws, NestInAMapOfDocuments) {
  EXPECT_LATTICE_WITH((calm::lattices::testing::Options{.cases = 150}),
                      MapUnion<std::string, Text<>>);
}

TEST(TextLaws, EncodingRoundTripsAndIsStable) {
  const bool held = rc::check([](const Text<>& t) {
    const std::string bytes = to_bytes(t);
    const Text<> back = from_bytes<Text<>>(bytes);
    RC_ASSERT(back == t);
    RC_ASSERT(back.str() == t.str());
    RC_ASSERT(to_bytes(back) == bytes);
  });
  EXPECT_TRUE(held);
}

}  // namespace
