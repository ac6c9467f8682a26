#include "memory/psi_internal.h"

#include <gtest/gtest.h>

namespace fsspeckit::memory {
namespace {

TEST(PsiTest, ParsesSomeAndFullAvg10) {
  auto psi = ParsePsi(
      "some avg10=12.50 avg60=3.00 avg300=1.00 total=123456\n"
      "full avg10=0.75 avg60=0.10 avg300=0.00 total=789\n");
  ASSERT_TRUE(psi.has_value());
  EXPECT_DOUBLE_EQ(psi->some_avg10, 12.5);
  EXPECT_DOUBLE_EQ(psi->full_avg10, 0.75);
}

TEST(PsiTest, MissingFullLineReadsAsZero) {
  auto psi = ParsePsi("some avg10=1.25 avg60=0.00 avg300=0.00 total=1\n");
  ASSERT_TRUE(psi.has_value());
  EXPECT_DOUBLE_EQ(psi->some_avg10, 1.25);
  EXPECT_DOUBLE_EQ(psi->full_avg10, 0.0);
}

TEST(PsiTest, MalformedOrEmptyIsAbsent) {
  EXPECT_FALSE(ParsePsi("").has_value());
  EXPECT_FALSE(ParsePsi("some total=5\n").has_value());
  EXPECT_FALSE(ParsePsi("some avg10=abc avg60=0\n").has_value());
}

}  // namespace
}  // namespace fsspeckit::memory
