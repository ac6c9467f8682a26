#include <gtest/gtest.h>

#include <arrow/extension/uuid.h>

#include "fsspeckit/merge/commit.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"
#include "merge/merge_test_fixture.h"

namespace fsspeckit::merge {
namespace {

class MergeCodecTest : public MergeTest {};

TEST_F(MergeCodecTest, APlanSurvivesBytesWithEveryField) {
  WriteFile("a.parquet", 0, 6, 2);
  WriteFile("b.parquet", 10, 6, 2);
  MergeOptions options;
  options.key_columns = {"id"};
  options.compression = std::nullopt;
  options.max_rows_per_file = 7;
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3, 50, 11]"), Location(), options, true));
  const Plan& plan = planned->plan();
  ASSERT_EQ(plan.tasks.size(), 2u);  // two rewrites, one of them with the inserts
  ASSERT_OK_AND_ASSIGN(Plan back, Plan::Deserialize(plan.Serialize()));
  EXPECT_EQ(back.Serialize(), plan.Serialize());
  EXPECT_EQ(back.dataset_dir, tmp_.path());
  EXPECT_EQ(back.staging_dir, plan.staging_dir);
  EXPECT_EQ(back.source_path, plan.staging_dir + "/source.parquet");
  EXPECT_EQ(back.strategy, Strategy::kUpsert);
  ASSERT_NE(back.schema, nullptr);
  EXPECT_TRUE(back.schema->Equals(*plan.schema, /*check_metadata=*/true));
  EXPECT_EQ(back.schema->field_names(), (std::vector<std::string>{"id", "name"}));
  EXPECT_TRUE(back.partition_by.empty());
  EXPECT_EQ(back.write.compression, std::nullopt);
  EXPECT_EQ(back.write.max_rows_per_file, std::optional<int64_t>(7));
  ASSERT_EQ(back.files.size(), 2u);
  EXPECT_EQ(back.files[1].rows, 6);
  EXPECT_GT(back.files[1].size_bytes, 0);
  // The inserted key (50, source row 1) went into a rewritten file with room for it
  // (6 rows, max_rows_per_file 7): no insert task.
  ASSERT_EQ(back.tasks.size(), 2u);
  size_t appended = 0;
  for (int t = 0; t < 2; ++t) {
    const MergeTask& task = back.tasks[t];
    EXPECT_EQ(task.kind, TaskKind::kRewrite);
    const bool a = task.file == tmp_.path() + "/a.parquet";
    EXPECT_EQ(task.row_groups, std::vector<int>{a ? 1 : 0});  // ids 2-3, and 10-11
    EXPECT_EQ(task.source_rows, std::vector<int64_t>{a ? 0 : 2});
    EXPECT_EQ(task.work_rows, 6 + static_cast<int64_t>(task.appended_rows.size()));
    if (!task.appended_rows.empty()) EXPECT_EQ(task.appended_rows, std::vector<int64_t>{1});
    appended += task.appended_rows.size();
    EXPECT_GT(task.estimated_bytes, 0);
  }
  EXPECT_EQ(appended, 1u);
  EXPECT_EQ(back.updated, 2);
  EXPECT_EQ(back.source_count, 3);
}

// Tasks elsewhere read the dataset's schema from the plan: dictionary columns (and
// extension types) included. A dictionary once crashed the reader.
TEST_F(MergeCodecTest, APlanKeepsDictionaryAndExtensionColumns) {
  Plan plan;
  plan.schema = arrow::schema(
      {arrow::field("k", arrow::dictionary(arrow::int32(), arrow::utf8())),
       arrow::field("l", arrow::list(arrow::dictionary(arrow::int8(), arrow::large_utf8()))),
       arrow::field("u", arrow::extension::uuid())});
  ASSERT_OK_AND_ASSIGN(Plan back, Plan::Deserialize(plan.Serialize()));
  ASSERT_NE(back.schema, nullptr);
  EXPECT_TRUE(back.schema->Equals(*plan.schema)) << back.schema->ToString();
}

TEST_F(MergeCodecTest, DamagedOrForeignBytesAreRefused) {
  Plan plan;
  plan.key_columns = {"id"};
  plan.tasks.push_back({TaskKind::kRewrite, "/d/a.parquet", {0, 2}, {5, 6}, {{0, 3, 4}}, {7}, {{"/d/b.parquet", {1}}}, 10, 100});
  const std::string bytes = plan.Serialize();
  auto truncated = Plan::Deserialize(std::string_view(bytes).substr(0, bytes.size() - 3));
  ASSERT_RAISES(Invalid, truncated.status());
  EXPECT_NE(truncated.status().message().find("damaged merge plan"), std::string::npos);
  auto longer = Plan::Deserialize(bytes + "x");
  ASSERT_RAISES(Invalid, longer.status());
  auto foreign = Plan::Deserialize("not a plan at all");
  ASSERT_RAISES(Invalid, foreign.status());
  EXPECT_NE(foreign.status().message().find("not a merge plan"), std::string::npos);
  ASSERT_RAISES(Invalid, TaskResult::Deserialize(bytes).status());  // a plan is no result
}

TEST_F(MergeCodecTest, ATaskResultSurvivesBytes) {
  TaskResult result;
  result.task = 4;
  result.attempt = "abc";
  result.staged = {{"/d/s/task-4-abc/part-0.staged", 10, 321}, {"/d/s/task-4-abc/part-1.staged", 2, 99}};
  result.rows_written = 12;
  result.matched_keys = 3;
  result.memory_peak_bytes = int64_t{5} << 30;
  result.seconds = 0.25;
  ASSERT_OK_AND_ASSIGN(TaskResult back, TaskResult::Deserialize(result.Serialize()));
  EXPECT_EQ(back.Serialize(), result.Serialize());
  EXPECT_EQ(back.staged[1].path, "/d/s/task-4-abc/part-1.staged");
  EXPECT_EQ(back.staged[1].size_bytes, 99);
  EXPECT_EQ(back.memory_peak_bytes, int64_t{5} << 30);
  EXPECT_DOUBLE_EQ(back.seconds, 0.25);
}

}  // namespace
}  // namespace fsspeckit::merge
