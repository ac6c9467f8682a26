// fsspeckit: tests of the names new files get.
#include "io/unique_name_internal.h"

#include <regex>

#include <gtest/gtest.h>

namespace fsspeckit::io {
namespace {

TEST(ReplacementPathTest, AFileIsReplacedUnderANewNameBesideIt) {
  const std::string path = ReplacementPath("/data/ds/region=eu/part-09.parquet", 0);
  EXPECT_TRUE(std::regex_match(path, std::regex("/data/ds/region=eu/part-09-[0-9a-f]{16}-0\\.parquet")))
      << path;
  EXPECT_NE(path, ReplacementPath("/data/ds/region=eu/part-09.parquet", 0));
}

TEST(ReplacementPathTest, RepeatedRewritesDoNotGrowTheName) {
  const std::string once = ReplacementPath("bkt/ds/part-09.parquet", 0);
  const std::string twice = ReplacementPath(once, 2);
  EXPECT_TRUE(std::regex_match(twice, std::regex("bkt/ds/part-09-[0-9a-f]{16}-2\\.parquet"))) << twice;
  // An insert's file ("part-<id>-<i>.parquet") keeps its stem too.
  EXPECT_TRUE(std::regex_match(ReplacementPath("ds/part-0123456789abcdef-4.parquet", 1),
                               std::regex("ds/part-[0-9a-f]{16}-1\\.parquet")));
}

TEST(ReplacementPathTest, NamesThatOnlyLookAlikeKeepTheirStem) {
  // Not 16 hex digits, no name before them, or another extension: kept as they are.
  EXPECT_TRUE(std::regex_match(ReplacementPath("ds/a-0123-1.parquet", 0),
                               std::regex("ds/a-0123-1-[0-9a-f]{16}-0\\.parquet")));
  EXPECT_TRUE(std::regex_match(ReplacementPath("ds/-0123456789abcdef-1.parquet", 0),
                               std::regex("ds/-0123456789abcdef-1-[0-9a-f]{16}-0\\.parquet")));
  EXPECT_TRUE(std::regex_match(ReplacementPath("part-00000", 0),
                               std::regex("part-00000-[0-9a-f]{16}-0\\.parquet")));
}

}  // namespace
}  // namespace fsspeckit::io
