#include <gtest/gtest.h>

#include "fsspeckit/maintenance/commit.h"
#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/plan.h"
#include "fsspeckit/maintenance/task.h"
#include "maintenance/maintenance_test_fixture.h"

namespace fsspeckit::maintenance {
namespace {

using fsspeckit::testing::TempDir;
using testing::Column;
using testing::Files;
using testing::IdNames;
using testing::Local;
using testing::WriteFile;

// 2 days x 3 files of 50 rows, each file repeating the ids of the one before it.
void DaysWithRepeats(const std::string& dir) {
  for (int day = 1; day <= 2; ++day) {
    for (int part = 0; part < 3; ++part) {
      WriteFile(dir, "day=" + std::to_string(day) + "/part-" + std::to_string(part) + ".parquet",
                IdNames(day * 1000 + part * 25, 50));
    }
  }
}

TEST(MaintenanceCodecTest, APlanSurvivesBytesWithEveryField) {
  TempDir dir;
  DaysWithRepeats(dir.path());
  DeduplicationOptions options;
  options.key_columns = std::vector<std::string>{"id"};
  options.dedup_order_by = {"-name"};
  options.target_rows_per_file = 40;
  options.compression = "zstd";
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanDeduplication(Local(dir.path()), options));
  ASSERT_EQ(plan.groups.size(), 2u);
  ASSERT_OK_AND_ASSIGN(MaintenancePlan back, MaintenancePlan::Deserialize(plan.Serialize()));
  EXPECT_EQ(back.Serialize(), plan.Serialize());
  EXPECT_EQ(back.operation, Operation::kPartitionLocalDeduplication);
  EXPECT_EQ(back.dataset_dir, plan.dataset_dir);
  EXPECT_EQ(back.snapshot.size(), 6u);
  EXPECT_EQ(back.snapshot[3].mtime_ns, plan.snapshot[3].mtime_ns);
  EXPECT_EQ(back.groups[1].files, plan.groups[1].files);
  ASSERT_NE(back.groups[1].schema, nullptr);
  EXPECT_TRUE(back.groups[1].schema->Equals(*plan.groups[1].schema));
  EXPECT_EQ(back.order_by.size(), 1u);
  EXPECT_TRUE(back.order_by[0].descending);
  EXPECT_EQ(back.max_rows_per_file, std::optional<int64_t>(40));
  EXPECT_EQ(back.codec, "zstd");
  EXPECT_TRUE(back.codec_given);
}

// The driver prepares and commits; the tasks run from the plan's bytes and hand back
// their results as bytes, as Ray workers do.
TEST(MaintenanceCodecTest, TasksRunFromBytesAndTheDriverCommitsTheirResults) {
  TempDir dir;
  DaysWithRepeats(dir.path());
  DeduplicationOptions options;
  options.key_columns = std::vector<std::string>{"id"};
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanDeduplication(Local(dir.path()), options));
  MaintenanceResult failed;
  std::unique_ptr<PreparedMaintenance> prepared = Prepare(plan, Local(dir.path()), {}, failed);
  ASSERT_NE(prepared, nullptr) << failed.status.ToString();
  const std::string plan_bytes = prepared->plan().Serialize();
  std::vector<TaskResult> results;
  for (int64_t g = 1; g >= 0; --g) {  // any order
    ASSERT_OK_AND_ASSIGN(MaintenancePlan worker_plan, MaintenancePlan::Deserialize(plan_bytes));
    TaskOptions task;
    task.limits = memory::MemoryLimits{int64_t{256} << 20, std::nullopt, 0};
    ASSERT_OK_AND_ASSIGN(TaskResult result, RunTask(worker_plan, prepared->staging_dir(), g,
                                                    Local(dir.path()).filesystem, task));
    ASSERT_OK_AND_ASSIGN(TaskResult received, TaskResult::Deserialize(result.Serialize()));
    results.push_back(std::move(received));
  }
  MaintenanceResult result = Commit(std::move(prepared), std::move(results));
  ASSERT_TRUE(result.succeeded) << result.status.ToString();
  // Day 1 holds ids 1000..1099, day 2 ids 2000..2099, each once.
  std::vector<int64_t> ids = Column(dir.path());
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(ids.size(), 200u);
  for (int64_t i = 0; i < 100; ++i) {
    EXPECT_EQ(ids[i], 1000 + i);
    EXPECT_EQ(ids[100 + i], 2000 + i);
  }
  for (const std::string& file : Files(dir.path())) EXPECT_FALSE(file.starts_with("_")) << file;
}

TEST(MaintenanceCodecTest, DamagedOrForeignBytesAreRefused) {
  TempDir dir;
  DaysWithRepeats(dir.path());
  CompactionOptions options;
  options.target_rows_per_file = 1000;
  ASSERT_OK_AND_ASSIGN(MaintenancePlan plan, PlanCompaction(Local(dir.path()), options));
  const std::string bytes = plan.Serialize();
  auto truncated = MaintenancePlan::Deserialize(std::string_view(bytes).substr(0, bytes.size() - 1));
  ASSERT_RAISES(Invalid, truncated.status());
  EXPECT_NE(truncated.status().message().find("damaged maintenance plan"), std::string::npos);
  ASSERT_RAISES(Invalid, MaintenancePlan::Deserialize(bytes + "x").status());
  auto foreign = MaintenancePlan::Deserialize("fsspeckit merge plan v2");
  ASSERT_RAISES(Invalid, foreign.status());
  EXPECT_NE(foreign.status().message().find("not a maintenance plan"), std::string::npos);
  ASSERT_RAISES(Invalid, TaskResult::Deserialize(bytes).status());  // a plan is no result

  plan.groups[0].files.push_back(99);  // a file the plan lacks
  auto out_of_range = MaintenancePlan::Deserialize(plan.Serialize());
  ASSERT_RAISES(Invalid, out_of_range.status());
  EXPECT_NE(out_of_range.status().message().find("file index"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::maintenance
