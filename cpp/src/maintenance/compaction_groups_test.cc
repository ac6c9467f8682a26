#include "maintenance/compaction_groups_internal.h"

#include <gtest/gtest.h>

namespace fsspeckit::maintenance {
namespace {

std::vector<PlannedFile> Files(const std::vector<std::pair<int64_t, int64_t>>& sizes_rows,
                               const std::string& codec = "snappy") {
  std::vector<PlannedFile> files;
  for (size_t i = 0; i < sizes_rows.size(); ++i) {
    PlannedFile file;
    file.path = "/d/part-" + std::to_string(i) + ".parquet";
    file.size_bytes = sizes_rows[i].first;
    file.num_rows = sizes_rows[i].second;
    file.codec = codec;
    files.push_back(file);
  }
  return files;
}

std::vector<int> All(size_t n) {
  std::vector<int> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = static_cast<int>(i);
  return all;
}

TEST(PackCompactionGroupsTest, RowTargetPairsFilesAsTheOriginal) {
  // The original's observation: 6 x 1000 rows with target_rows 2500 -> 3 groups of 2.
  auto files = Files({{100, 1000}, {101, 1000}, {102, 1000}, {103, 1000}, {104, 1000}, {105, 1000}});
  Packing packing = PackCompactionGroups(files, All(6), std::nullopt, 2500, std::nullopt);
  ASSERT_EQ(packing.groups.size(), 3u);
  EXPECT_EQ(packing.groups[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(packing.groups[1], (std::vector<int>{2, 3}));
  EXPECT_EQ(packing.groups[2], (std::vector<int>{4, 5}));
  EXPECT_TRUE(packing.skipped.empty());
}

TEST(PackCompactionGroupsTest, CompactedFilesAreLeftAlone) {
  auto files = Files({{200, 2000}, {201, 2000}, {202, 2000}});
  Packing packing = PackCompactionGroups(files, All(3), std::nullopt, 2500, std::nullopt);
  EXPECT_TRUE(packing.groups.empty());
  ASSERT_EQ(packing.skipped.size(), 3u);
  for (const SkippedFile& skip : packing.skipped) EXPECT_EQ(skip.reason, "singleton_partition");
}

TEST(PackCompactionGroupsTest, OneFileOverTheRowTargetIsSplit) {
  auto files = Files({{50, 10}});
  Packing packing = PackCompactionGroups(files, All(1), std::nullopt, 4, std::nullopt);
  ASSERT_EQ(packing.groups.size(), 1u);
  EXPECT_EQ(packing.groups[0], std::vector<int>{0});
}

TEST(PackCompactionGroupsTest, ByteTargetPacksSmallestFirstAndSkipsLargeFiles) {
  // 4 files of about 628 KB: 1 MiB fits no pair; 2 MiB takes three.
  auto files = Files({{643000, 10}, {644000, 10}, {645000, 10}, {646000, 10}, {3 << 20, 10}, {1 << 20, 10}});
  Packing one = PackCompactionGroups(files, All(6), int64_t{1} << 20, std::nullopt, std::nullopt);
  EXPECT_TRUE(one.groups.empty());
  ASSERT_EQ(one.skipped.size(), 6u);
  EXPECT_EQ(one.skipped[4].reason, "over_target_size");
  EXPECT_EQ(one.skipped[5].reason, "at_target_size");
  // 2 MiB: the three smallest, then the fourth with the 1 MiB file; the 3 MiB one stays.
  Packing two = PackCompactionGroups(files, All(6), int64_t{2} << 20, std::nullopt, std::nullopt);
  ASSERT_EQ(two.groups.size(), 2u);
  EXPECT_EQ(two.groups[0], (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(two.groups[1], (std::vector<int>{3, 5}));
  ASSERT_EQ(two.skipped.size(), 1u);
  EXPECT_EQ(two.skipped[0].file, 4);
}

TEST(PackCompactionGroupsTest, BothTargetsApply) {
  auto files = Files({{10, 100}, {10, 100}, {10, 100}, {10, 100}});
  Packing packing = PackCompactionGroups(files, All(4), 25, 1000, std::nullopt);
  ASSERT_EQ(packing.groups.size(), 2u);  // two files of 10 bytes reach 20 <= 25; a third would pass it
  EXPECT_EQ(packing.groups[0].size(), 2u);
}

TEST(PackCompactionGroupsTest, AnotherCodecRewritesEvenAloneFiles) {
  auto files = Files({{200, 2000}, {201, 2000}});
  Packing packing = PackCompactionGroups(files, All(2), std::nullopt, 2500, std::string("zstd"));
  ASSERT_EQ(packing.groups.size(), 2u);
  EXPECT_TRUE(packing.skipped.empty());
  Packing same = PackCompactionGroups(files, All(2), std::nullopt, 2500, std::string("snappy"));
  EXPECT_TRUE(same.groups.empty());
}

}  // namespace
}  // namespace fsspeckit::maintenance
