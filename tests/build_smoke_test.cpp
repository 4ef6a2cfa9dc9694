// Proves the test machinery builds, links and runs; delete it once real tests exist.
#include <gtest/gtest.h>

TEST(BuildSmoke, GoogleTestRuns) { EXPECT_EQ(1 + 1, 2); }
