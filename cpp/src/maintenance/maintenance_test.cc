#include "fsspeckit/maintenance/maintenance.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "fsspeckit/maintenance/plan.h"
#include "io/commit_journal_internal.h"
#include "io/dataset_lock_internal.h"
#include "maintenance/maintenance_test_fixture.h"

namespace fsspeckit::maintenance {
namespace {

using fsspeckit::testing::TempDir;
using testing::Column;
using testing::Files;
using testing::IdNames;
using testing::Local;
using testing::WriteFile;

// 3 days x 4 files of 100 rows, ids ascending by path.
void HiveDataset(const std::string& dir) {
  int64_t id = 0;
  for (int day = 1; day <= 3; ++day) {
    for (int part = 0; part < 4; ++part) {
      WriteFile(dir, "day=" + std::to_string(day) + "/part-" + std::to_string(part) + ".parquet",
                IdNames(id, 100));
      id += 100;
    }
  }
}

std::vector<int64_t> Range(int64_t n) {
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[i] = i;
  return ids;
}

TEST(CompactionTest, EachPartitionBecomesOneFileInDatasetOrder) {
  TempDir dir;
  HiveDataset(dir.path());
  CompactionOptions options;
  options.target_rows_per_file = 1000;
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanCompaction(Local(dir.path()), options));
  ASSERT_EQ(plan.groups.size(), 3u);
  EXPECT_EQ(plan.groups[0].partition, "day=1");
  EXPECT_EQ(plan.partition_paths, (std::vector<std::string>{"day=1", "day=2", "day=3"}));
  EXPECT_EQ(Files(dir.path()).size(), 12u);  // planning wrote nothing

  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(plan, Local(dir.path()), {}));
  ASSERT_TRUE(result.succeeded) << result.status.ToString();
  EXPECT_TRUE(result.committed);
  EXPECT_EQ(result.published.size(), 3u);
  EXPECT_EQ(result.removed.size(), 12u);
  EXPECT_EQ(result.files_before, 12);
  EXPECT_EQ(result.files_after, 3);
  EXPECT_EQ(result.rows_after, 1200);
  EXPECT_EQ(result.staged_rows, 1200);
  // Its calls to the store, by kind: 3 files written and moved in, 12 deleted.
  EXPECT_EQ(result.requests["move"], 4);  // and the journal's
  EXPECT_GE(result.requests["delete"], 12);
  EXPECT_GE(result.requests["read"], 12);
  std::vector<std::string> phases;
  for (const PhaseOutcome& phase : result.phases) phases.push_back(phase.phase);
  EXPECT_EQ(phases, (std::vector<std::string>{"lock", "drift_check", "stage", "write", "validate",
                                              "publish", "cleanup"}));
  std::vector<std::string> files;
  for (const std::string& file : Files(dir.path())) {
    if (!file.starts_with("_")) files.push_back(file);
  }
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(files[0].starts_with("day=1/compacted_"));
  EXPECT_EQ(Column(dir.path()), Range(1200));  // hive folders kept, rows in dataset order
  EXPECT_EQ(Files(dir.path()).size(), 3u);     // no staging left

  // Compacted: planning again finds nothing to do, and doing it is a no-op.
  ASSERT_OK_AND_ASSIGN(MaintenancePlan again, PlanCompaction(Local(dir.path()), options));
  EXPECT_TRUE(again.groups.empty());
  EXPECT_EQ(again.skipped.size(), 3u);
  ASSERT_OK_AND_ASSIGN(MaintenanceResult noop, ExecuteMaintenance(again, Local(dir.path()), {}));
  EXPECT_TRUE(noop.succeeded);
  ASSERT_EQ(noop.phases.size(), 1u);
  EXPECT_EQ(noop.phases[0].phase, "write");
}

TEST(CompactionTest, ADatasetChangedSinceThePlanIsRefusedBeforeAnyWrite) {
  TempDir dir;
  HiveDataset(dir.path());
  CompactionOptions options;
  options.target_rows_per_file = 1000;
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanCompaction(Local(dir.path()), options));
  WriteFile(dir.path(), "day=1/late.parquet", IdNames(5000, 5));
  const auto before = Files(dir.path());
  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(plan, Local(dir.path()), {}));
  EXPECT_FALSE(result.succeeded);
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.failed_phase, "drift_check");
  EXPECT_NE(result.status.message().find("late.parquet"), std::string::npos);
  EXPECT_NE(FailureMessage(result, {"a", "b", "c"}).find("Drift check phase failed: "), std::string::npos);
  auto after = Files(dir.path());
  after.erase(std::remove(after.begin(), after.end(), std::string(io::kLockName)), after.end());
  EXPECT_EQ(after, before);  // untouched, no staging
}

TEST(CompactionTest, BadArgumentsAreRefusedNamingThem) {
  TempDir dir;
  HiveDataset(dir.path());
  CompactionOptions none;
  auto refused = PlanCompaction(Local(dir.path()), none);
  ASSERT_RAISES(Invalid, refused.status());
  EXPECT_NE(refused.status().message().find("target_mb_per_file or target_rows_per_file"),
            std::string::npos);
  CompactionOptions zero;
  zero.target_rows_per_file = 0;
  EXPECT_NE(PlanCompaction(Local(dir.path()), zero).status().message().find("target_rows_per_file must be > 0"),
            std::string::npos);
  CompactionOptions negative;
  negative.target_mb_per_file = -5;
  EXPECT_NE(PlanCompaction(Local(dir.path()), negative).status().message().find("target_mb_per_file must be > 0"),
            std::string::npos);
  CompactionOptions codec;
  codec.target_rows_per_file = 10;
  codec.compression = "foo";
  ASSERT_RAISES(Invalid, PlanCompaction(Local(dir.path()), codec).status());
}

TEST(CompactionTest, RowTargetSplitsAndMegabyteTargetPacks) {
  TempDir dir;
  WriteFile(dir.path(), "one.parquet", IdNames(0, 10));
  CompactionOptions options;
  options.target_rows_per_file = 4;
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanCompaction(Local(dir.path()), options));
  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(plan, Local(dir.path()), {}));
  ASSERT_TRUE(result.succeeded) << result.status.ToString();
  ASSERT_EQ(result.published.size(), 3u);  // 4 + 4 + 2
  EXPECT_EQ(result.published[2].row_count, 2);
  EXPECT_EQ(Column(dir.path()), Range(10));
}

TEST(CompactionTest, ABudgetTooSmallFailsBeforeTheCommit) {
  TempDir dir;
  for (int i = 0; i < 4; ++i) WriteFile(dir.path(), "p" + std::to_string(i) + ".parquet", IdNames(i * 50'000, 50'000));
  CompactionOptions options;
  options.target_rows_per_file = 1'000'000;
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanCompaction(Local(dir.path()), options));
  ExecuteOptions execute;
  execute.limits.max_pool_bytes = 64 * 1024;  // a file's decoded rows cannot fit
  execute.limits.min_system_available_bytes = 0;
  ASSERT_OK_AND_ASSIGN(MaintenanceResult result, ExecuteMaintenance(plan, Local(dir.path()), execute));
  EXPECT_FALSE(result.succeeded);
  EXPECT_TRUE(result.status.IsOutOfMemory()) << result.status.ToString();
  EXPECT_NE(memory::GetBudgetError(result.status), nullptr);
  EXPECT_EQ(Files(dir.path()).size(), 4u);  // the four files, no staging
}

}  // namespace
}  // namespace fsspeckit::maintenance

namespace fsspeckit::maintenance {
namespace {

TEST(SchemaRewriteTest, CastsAsThePolicySays) {
  fsspeckit::testing::TempDir dir;
  auto table = arrow::Table::Make(arrow::schema({arrow::field("i", arrow::int64()), arrow::field("f", arrow::float64())}),
                                  {testing::Json(arrow::int64(), "[1, 300, null]"),
                                   testing::Json(arrow::float64(), "[1.5, 2.0, null]")});
  testing::WriteFile(dir.path(), "a.parquet", table);
  testing::WriteFile(dir.path(), "b.parquet", table);
  auto rewrite = [&](std::shared_ptr<arrow::Schema> target, CastPolicy policy) {
    SchemaRewriteOptions options;
    options.target_schema = std::move(target);
    options.cast_policy = policy;
    return PlanSchemaRewrite(testing::Local(dir.path()), options);
  };
  auto narrow = arrow::schema({arrow::field("f", arrow::float64()), arrow::field("i", arrow::int8())});
  auto strict = rewrite(narrow, CastPolicy::kStrict);
  ASSERT_RAISES(Invalid, strict.status());
  EXPECT_NE(strict.status().message().find("field 'i' changes int64"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(MaintenancePlan safe, rewrite(narrow, CastPolicy::kSafe));
  EXPECT_EQ(safe.changed_fields, std::vector<std::string>{"i"});
  ASSERT_OK_AND_ASSIGN(MaintenanceResult refused, ExecuteMaintenance(safe, testing::Local(dir.path()), {}));
  EXPECT_FALSE(refused.succeeded);
  EXPECT_NE(refused.status.message().find("300"), std::string::npos) << refused.status.ToString();
  ASSERT_OK_AND_ASSIGN(MaintenancePlan loose, rewrite(narrow, CastPolicy::kLoose));
  ASSERT_OK_AND_ASSIGN(MaintenanceResult overflow, ExecuteMaintenance(loose, testing::Local(dir.path()), {}));
  EXPECT_NE(overflow.status.message().find("LOOSE cast of field 'i'"), std::string::npos);
  // A widening, reordered: files joined into one, in the target's column order.
  auto wide = arrow::schema({arrow::field("f", arrow::float64()), arrow::field("i", arrow::int64())});
  ASSERT_OK_AND_ASSIGN(MaintenancePlan reorder, rewrite(wide, CastPolicy::kStrict));
  ASSERT_OK_AND_ASSIGN(MaintenanceResult done, ExecuteMaintenance(reorder, testing::Local(dir.path()), {}));
  ASSERT_TRUE(done.succeeded) << done.status.ToString();
  EXPECT_EQ(done.files_after, 1);
  auto files = testing::Files(dir.path());
  EXPECT_EQ(testing::ReadFile(dir.path() + "/" + files[0])->schema()->ToString(), "f: double\ni: int64");
  auto missing = rewrite(arrow::schema({arrow::field("i", arrow::int64())}), CastPolicy::kSafe);
  EXPECT_NE(missing.status().message().find("missing: f"), std::string::npos);
  EXPECT_TRUE(IsPromotion(*arrow::uint32(), *arrow::int64()));
  EXPECT_FALSE(IsPromotion(*arrow::int64(), *arrow::float64()));
  ASSERT_RAISES(Invalid, ParseCastPolicy("bogus").status());
}

}  // namespace
}  // namespace fsspeckit::maintenance
