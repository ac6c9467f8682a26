#include <gtest/gtest.h>

#include <random>

#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/plan.h"
#include "maintenance/maintenance_test_fixture.h"

namespace fsspeckit::maintenance {
namespace {

using fsspeckit::testing::TempDir;
using testing::Column;
using testing::IdNames;
using testing::Json;
using testing::Local;
using testing::WriteFile;

std::shared_ptr<arrow::Table> KeysValues(const std::string& keys, const std::string& values) {
  return arrow::Table::Make(arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())}),
                            {Json(arrow::int64(), keys), Json(arrow::int64(), values)});
}

MaintenanceResult Deduplicate(const std::string& dir, const DeduplicationOptions& options,
                      int64_t budget_bytes = kDefaultMaintenanceMaxPoolBytes) {
  auto plan = PlanDeduplication(Local(dir), options);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  ExecuteOptions execute;
  execute.limits.max_pool_bytes = budget_bytes;
  execute.limits.min_system_available_bytes = 0;
  auto result = ExecuteMaintenance(*plan, Local(dir), execute);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->succeeded) << result->status.ToString();
  return *result;
}

TEST(DeduplicationTest, WithoutAnOrderTheLastRowInDatasetOrderSurvives) {
  TempDir dir;
  WriteFile(dir.path(), "a.parquet", KeysValues("[1, 2, null, 1]", "[10, 20, 30, 11]"));
  WriteFile(dir.path(), "b.parquet", KeysValues("[2, null, 3]", "[21, 31, 40]"));
  DeduplicationOptions options;
  options.key_columns = std::vector<std::string>{"k"};
  MaintenanceResult result = Deduplicate(dir.path(), options);
  EXPECT_EQ(result.rows_before, 7);
  EXPECT_EQ(result.rows_after, 4);
  // Survivors in dataset order: k=1 (a, row 3), k=2 (b), null (b: nulls are one key), k=3.
  EXPECT_EQ(Column(dir.path(), "v"), (std::vector<int64_t>{11, 21, 31, 40}));
}

TEST(DeduplicationTest, AnOrderPicksTheFirstRowInItNullsLast) {
  TempDir dir;
  WriteFile(dir.path(), "a.parquet", KeysValues("[1, 1, 1, 2, 2]", "[5, null, 9, 7, 7]"));
  DeduplicationOptions options;
  options.key_columns = std::vector<std::string>{"k"};
  options.dedup_order_by = {"-v"};
  Deduplicate(dir.path(), options);
  EXPECT_EQ(Column(dir.path(), "v"), (std::vector<int64_t>{9, 7}));  // ties: the first row
  WriteFile(dir.path(), "z.parquet", KeysValues("[1]", "[3]"));
  options.dedup_order_by = {"v"};
  Deduplicate(dir.path(), options);
  EXPECT_EQ(Column(dir.path(), "v"), (std::vector<int64_t>{7, 3}));
}

TEST(DeduplicationTest, OneOrderColumnPicksWhatTheSortPicks) {
  // "-v" alone takes the one-pass path, ("-v", "k") the sort; with k the key they agree.
  std::mt19937_64 random(3);
  TempDir one, sorted;
  for (int f = 0; f < 3; ++f) {
    std::string keys = "[", values = "[";
    for (int i = 0; i < 2000; ++i) {
      const std::string sep = i == 0 ? "" : ", ";
      keys += sep + std::to_string(random() % 300);
      values += sep + (random() % 10 == 0 ? std::string("null") : std::to_string(random() % 50));
    }
    for (const std::string* dir : {&one.path(), &sorted.path()}) {
      WriteFile(*dir, "part-" + std::to_string(f) + ".parquet", KeysValues(keys + "]", values + "]"));
    }
  }
  DeduplicationOptions options;
  options.key_columns = std::vector<std::string>{"k"};
  options.dedup_order_by = {"-v"};
  Deduplicate(one.path(), options);
  options.dedup_order_by = {"-v", "k"};
  Deduplicate(sorted.path(), options);
  EXPECT_EQ(Column(one.path(), "k"), Column(sorted.path(), "k"));
  EXPECT_EQ(Column(one.path(), "v"), Column(sorted.path(), "v"));
}

TEST(DeduplicationTest, WithoutKeysExactDuplicateRowsGo) {
  TempDir dir;
  WriteFile(dir.path(), "a.parquet", KeysValues("[1, 1, 2]", "[5, 5, 5]"));
  DeduplicationOptions options;
  MaintenanceResult result = Deduplicate(dir.path(), options);
  EXPECT_EQ(result.rows_after, 2);
}

TEST(DeduplicationTest, UnknownColumnsAreRefusedBeforeAnything) {
  TempDir dir;
  WriteFile(dir.path(), "day=1/a.parquet", KeysValues("[1]", "[1]"));
  DeduplicationOptions options;
  options.key_columns = std::vector<std::string>{"nope"};
  auto plan = PlanDeduplication(Local(dir.path()), options);
  ASSERT_RAISES(Invalid, plan.status());
  EXPECT_NE(plan.status().message().find("key_columns names a column the dataset lacks: 'nope'"),
            std::string::npos);
  options.key_columns = std::vector<std::string>{"day"};
  EXPECT_NE(PlanDeduplication(Local(dir.path()), options).status().message().find("partition folder key"),
            std::string::npos);
  options.key_columns = std::vector<std::string>{};
  EXPECT_NE(PlanDeduplication(Local(dir.path()), options).status().message().find("key_columns cannot be empty"),
            std::string::npos);
  options.key_columns = std::vector<std::string>{"k"};
  options.dedup_order_by = {"-nope"};
  EXPECT_NE(PlanDeduplication(Local(dir.path()), options).status().message().find("dedup_order_by names"),
            std::string::npos);
}

TEST(DeduplicationTest, KeysSpilledByHashGiveTheSameSurvivors) {
  // 60k rows, every key three times across files; a budget far below the keys' size
  // makes the task resolve them in hash buckets spilled to the staging folder.
  TempDir big, small;
  for (int f = 0; f < 3; ++f) {
    for (const std::string* dir : {&big.path(), &small.path()}) {
      auto table = IdNames(0, 20'000);
      WriteFile(*dir, "part-" + std::to_string(f) + ".parquet", table);
    }
  }
  DeduplicationOptions options;
  options.key_columns = std::vector<std::string>{"id"};
  MaintenanceResult roomy = Deduplicate(big.path(), options);
  MaintenanceResult tight = Deduplicate(small.path(), options, 3 << 20);
  ASSERT_EQ(roomy.tasks.size(), 1u);
  ASSERT_EQ(tight.tasks.size(), 1u);
  EXPECT_EQ(roomy.tasks[0].spill_buckets, 0);
  EXPECT_GT(tight.tasks[0].spill_buckets, 1);
  EXPECT_EQ(roomy.rows_after, 20'000);
  EXPECT_EQ(tight.rows_after, 20'000);
  EXPECT_EQ(Column(big.path()), Column(small.path()));
}

}  // namespace
}  // namespace fsspeckit::maintenance

namespace fsspeckit::maintenance {
namespace {

TEST(OptimizationTest, DeduplicatesWithAKeyAndCompactsWithout) {
  fsspeckit::testing::TempDir dir;
  testing::WriteFile(dir.path(), "a.parquet", KeysValues("[1, 2, 1]", "[10, 20, 30]"));
  testing::WriteFile(dir.path(), "b.parquet", KeysValues("[2, 3]", "[40, 50]"));
  OptimizationOptions options;
  auto refused = PlanOptimization(testing::Local(dir.path()), options);
  EXPECT_NE(refused.status().message().find("target_mb_per_file or target_rows_per_file"), std::string::npos);
  options.target_rows_per_file = 100;
  ASSERT_OK_AND_ASSIGN(MaintenancePlan compaction, PlanOptimization(testing::Local(dir.path()), options));
  EXPECT_EQ(compaction.operation, Operation::kCoordinatedOptimization);
  EXPECT_TRUE(KeepsRows(compaction));
  options.deduplicate_key_columns = std::vector<std::string>{"k"};
  options.dedup_order_by = {"-v"};
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanOptimization(testing::Local(dir.path()), options));
  EXPECT_FALSE(KeepsRows(plan));
  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(plan, testing::Local(dir.path()), {}));
  ASSERT_TRUE(result.succeeded) << result.status.ToString();
  EXPECT_EQ(result.rows_after, 3);
  EXPECT_TRUE(result.published[0].path.find("/optimized_") != std::string::npos);
  EXPECT_EQ(testing::Column(dir.path(), "v"), (std::vector<int64_t>{30, 40, 50}));
}

}  // namespace
}  // namespace fsspeckit::maintenance
