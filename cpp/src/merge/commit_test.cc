#include <gtest/gtest.h>

#include <filesystem>

#include "io/commit_journal_internal.h"
#include "fsspeckit/io/read_parquet.h"
#include "fsspeckit/merge/commit.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"
#include "merge/merge_test_fixture.h"

namespace fsspeckit::merge {
namespace {

namespace fs = std::filesystem;

class MergeStepsTest : public TwoFileMergeTest {
 protected:
  // Ids and names of the whole dataset, sorted by id.
  std::vector<std::pair<int64_t, std::string>> Rows() {
    auto table = io::ReadParquet({fs_, tmp_.path()}).ValueOrDie();
    auto batch = table->CombineChunksToBatch().ValueOrDie();
    auto ids = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("id"));
    auto names = std::static_pointer_cast<arrow::StringArray>(batch->GetColumnByName("name"));
    std::vector<std::pair<int64_t, std::string>> rows;
    for (int64_t i = 0; i < batch->num_rows(); ++i) rows.emplace_back(ids->Value(i), names->GetString(i));
    std::sort(rows.begin(), rows.end());
    return rows;
  }
  // Runs task `t` as a worker process would: from the plan's bytes and the staged source.
  TaskResult RunRemote(const std::string& plan_bytes, int64_t t) {
    Plan plan = Plan::Deserialize(plan_bytes).ValueOrDie();
    TaskInput input = LoadTaskInput(plan, t, fs_).ValueOrDie();
    TaskOptions options;
    return RunTask(plan, t, input, fs_, options).ValueOrDie();
  }
  bool HasStaging() {
    for (const auto& entry : fs::directory_iterator(tmp_.path())) {
      if (entry.path().filename().string().starts_with(io::kStagingPrefix)) return true;
    }
    return false;
  }
};

TEST_F(MergeStepsTest, TasksRunFromBytesGiveTheSameDatasetAsMerge) {
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3, 50, 11, 3]"), Location(), options_, true));
  const std::string bytes = planned->plan().Serialize();
  std::vector<TaskResult> results;
  for (int64_t t = static_cast<int64_t>(planned->plan().tasks.size()) - 1; t >= 0; --t) {
    results.push_back(RunRemote(bytes, t));  // any order
  }
  ASSERT_OK_AND_ASSIGN(MergeResult result, Commit(std::move(planned), std::move(results)));
  EXPECT_EQ(result.updated, 2);
  EXPECT_EQ(result.inserted, 1);
  EXPECT_EQ(result.target_count_after, 13);
  ASSERT_EQ(result.tasks.size(), 3u);
  EXPECT_EQ(result.tasks[2].kind, "insert");
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 13u);
  for (const auto& [id, name] : rows) {
    EXPECT_EQ(name, (id == 3 || id == 11 || id == 50) ? "new" : "old") << id;
  }
  EXPECT_FALSE(HasStaging());
}

TEST_F(MergeStepsTest, TasksReadTheirRowsAcrossTheStagedSourcesRowGroups) {
  // 70,000 source rows: the staged source has two row groups, key 3 is in the second,
  // key 11 in the first.
  std::string ids = "[11";
  for (int64_t i = 1; i < 69'999; ++i) ids += ", " + std::to_string(100'000 + i);
  ids += ", 3]";
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source(ids), Location(), options_, true));
  const std::string bytes = planned->plan().Serialize();
  std::vector<TaskResult> results;
  for (int64_t t = 0; t < static_cast<int64_t>(planned->plan().tasks.size()); ++t) {
    results.push_back(RunRemote(bytes, t));
  }
  ASSERT_OK_AND_ASSIGN(MergeResult result, Commit(std::move(planned), std::move(results)));
  EXPECT_EQ(result.inserted, 69'998);
  auto rows = Rows();
  ASSERT_EQ(rows.size(), 12u + 69'998u);
  EXPECT_EQ(rows[3], (std::pair<int64_t, std::string>{3, "new"}));
  EXPECT_EQ(rows[6 + 1], (std::pair<int64_t, std::string>{11, "new"}));
  EXPECT_EQ(rows.back(), (std::pair<int64_t, std::string>{169'998, "new"}));
}

TEST_F(MergeStepsTest, ADuplicatedAttemptIsNeverCommittedTwice) {
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3, 50]"), Location(), options_, true));
  const std::string bytes = planned->plan().Serialize();
  TaskResult first = RunRemote(bytes, 0), second = RunRemote(bytes, 0), insert = RunRemote(bytes, 1);
  EXPECT_NE(first.attempt, second.attempt);
  EXPECT_NE(first.staged[0].path, second.staged[0].path);
  // Both reported: refused, nothing committed, the staging folder removed.
  auto twice = Commit(std::move(planned), {first, second, insert});
  ASSERT_RAISES(Invalid, twice.status());
  EXPECT_NE(twice.status().message().find("reported twice"), std::string::npos);
  EXPECT_FALSE(HasStaging());
  EXPECT_EQ(Rows().size(), 12u);

  // The driver accepts one attempt: the other's files stay in staging and go with it.
  ASSERT_OK_AND_ASSIGN(planned, MakePlan(Source("[3, 50]"), Location(), options_, true));
  const std::string again = planned->plan().Serialize();
  first = RunRemote(again, 0), second = RunRemote(again, 0), insert = RunRemote(again, 1);
  ASSERT_OK(Commit(std::move(planned), {second, insert}).status());
  EXPECT_EQ(Rows().size(), 13u);
  EXPECT_FALSE(HasStaging());
}

TEST_F(MergeStepsTest, MissingTasksAndFilesFailBeforeAnythingIsCommitted) {
  const auto before = Rows();
  {
    ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3, 50]"), Location(), options_, true));
    TaskResult rewrite = RunRemote(planned->plan().Serialize(), 0);
    auto missing = Commit(std::move(planned), {rewrite});
    ASSERT_RAISES(Invalid, missing.status());
    EXPECT_NE(missing.status().message().find("task 1 (inserting rows) did not report"),
              std::string::npos);
  }
  {
    ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3, 50]"), Location(), options_, true));
    const std::string bytes = planned->plan().Serialize();
    TaskResult rewrite = RunRemote(bytes, 0), insert = RunRemote(bytes, 1);
    fs::remove(insert.staged[0].path);
    auto gone = Commit(std::move(planned), {rewrite, insert});
    ASSERT_RAISES(IOError, gone.status());
    EXPECT_NE(gone.status().message().find("missing or not as reported"), std::string::npos);
  }
  {
    ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3, 50]"), Location(), options_, true));
    const std::string bytes = planned->plan().Serialize();
    TaskResult rewrite = RunRemote(bytes, 0), insert = RunRemote(bytes, 1);
    insert.staged[0].path = tmp_.path() + "/b.parquet";  // not the task's own file
    auto outside = Commit(std::move(planned), {rewrite, insert});
    ASSERT_RAISES(Invalid, outside.status());
    EXPECT_NE(outside.status().message().find("outside its folder"), std::string::npos);
  }
  EXPECT_EQ(Rows(), before);
  EXPECT_FALSE(HasStaging());
}

TEST_F(MergeStepsTest, AFileChangedAfterThePlanIsNotRewrittenOrReplaced) {
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3]"), Location(), options_, true));
  const std::string bytes = planned->plan().Serialize();
  WriteFile("a.parquet", 0, 7, 2);  // another writer, past the lock
  Plan plan = Plan::Deserialize(bytes).ValueOrDie();
  auto input = LoadTaskInput(plan, 0, fs_).ValueOrDie();
  auto changed = RunTask(plan, 0, input, fs_, TaskOptions{});
  ASSERT_RAISES(IOError, changed.status());
  EXPECT_NE(changed.status().message().find("changed after the merge was planned"), std::string::npos);
  planned.reset();
  EXPECT_FALSE(HasStaging());
  EXPECT_EQ(Rows().size(), 13u);  // 7 + 6, none replaced
}

TEST_F(MergeStepsTest, TasksNeedAStagedSourceAndARealTask) {
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3]"), Location(), options_, false));
  ASSERT_RAISES(Invalid, LoadTaskInput(planned->plan(), 0, fs_).status());
  ASSERT_RAISES(IndexError, LoadTaskInput(planned->plan(), 5, fs_).status());
  ASSERT_RAISES(IndexError, RunTask(planned->plan(), -1, *planned->local_input(0), fs_, {}).status());
}

}  // namespace
}  // namespace fsspeckit::merge
