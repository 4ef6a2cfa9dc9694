// The laws of Conflict, top included, at the harness's default 1,000 cases per law.
#include <gtest/gtest.h>

#include <string>

#include "lattices/testing.hpp"

namespace calm::lattices {
namespace {

TEST(ConflictLaws, HoldIncludingTop) {
  EXPECT_LATTICE(Conflict<int>);
  EXPECT_LATTICE(Conflict<std::string>);
}

}  // namespace
}  // namespace calm::lattices
