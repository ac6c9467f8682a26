#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <arrow/table.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "fsspeckit/io/read_parquet.h"
#include "io/commit_journal_internal.h"
#include "io/dataset_lock_internal.h"
#include "merge/key_index_internal.h"
#include "fsspeckit/merge/commit.h"
#include "fsspeckit/merge/merge.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"
#include "merge/target_scan_internal.h"
#include "merge/row_replacement_internal.h"
#include "merge/source_rows_internal.h"
#include "merge/merge_test_fixture.h"
#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::merge {
namespace {

using io::DatasetLock;
using io::Journal;
using io::kJournalName;
using io::kLockName;
using io::Recover;
using io::RecoveryReport;
using io::WriteJournal;

using fsspeckit::testing::TempDir;
namespace fs = std::filesystem;

TEST_F(MergeTest, UpsertRewritesOnlyAffectedFilesUnderNewNames) {
  WriteFile("a.parquet", 0, 6, 2);
  WriteFile("b.parquet", 10, 6, 2);
  MergeOptions options;
  options.strategy = Strategy::kUpsert;
  options.key_columns = {"id"};
  options.row_group_size = 2;
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Source("[3, 3, 50]"), Location(), options));
  EXPECT_EQ(result.source_count, 2);
  EXPECT_EQ(result.updated, 1);
  EXPECT_EQ(result.inserted, 1);
  EXPECT_EQ(result.target_count_after, 13);
  ASSERT_EQ(result.rewritten_files.size(), 1u);
  // A new object beside the old one, which is gone: never an object replaced in place.
  EXPECT_FALSE(fs::exists(tmp_.path() + "/a.parquet"));
  EXPECT_EQ(result.rewritten_files[0], tmp_.path() + "/" + Now("a.parquet"));
  EXPECT_EQ(result.removed_files, std::vector<std::string>{tmp_.path() + "/a.parquet"});
  EXPECT_EQ(result.preserved_files, std::vector<std::string>{tmp_.path() + "/b.parquet"});
  ASSERT_OK_AND_ASSIGN(auto a, io::ReadParquet({fs_, result.rewritten_files[0]}));
  ASSERT_OK_AND_ASSIGN(auto combined, a->CombineChunksToBatch());
  auto names = std::static_pointer_cast<arrow::StringArray>(combined->GetColumnByName("name"));
  std::vector<std::string> got;
  for (int64_t i = 0; i < names->length(); ++i) got.emplace_back(names->GetView(i));
  // Key 3 replaced in place; key 50, new, appended to the file rewritten anyway.
  EXPECT_EQ(got, (std::vector<std::string>{"old", "old", "old", "new", "old", "old", "new"}));
  EXPECT_TRUE(result.inserted_files.empty());
  for (const auto& entry : fs::directory_iterator(tmp_.path())) {
    std::string name = entry.path().filename().string();
    EXPECT_TRUE(!name.starts_with("_fsspeckit") || name == kLockName) << entry.path();
  }
}

// Small row groups are joined (not copied); the appended rows fill the file exactly to
// max_rows_per_file, where the writer looks for a next part (fuzz seed 92 crashed there).
TEST_F(MergeTest, AppendedRowsFillingAFileExactlyEndIt) {
  WriteFile("a.parquet", 0, 6, 2);
  MergeOptions options;
  options.key_columns = {"id"};
  options.max_rows_per_file = 7;
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Source("[3, 50]"), Location(), options));
  EXPECT_EQ(result.rewritten_files, std::vector<std::string>{tmp_.path() + "/" + Now("a.parquet")});
  EXPECT_TRUE(result.inserted_files.empty());
  ASSERT_OK_AND_ASSIGN(auto all, io::ReadParquet(Location()));
  EXPECT_EQ(all->num_rows(), 7);
}

// Small files of one folder that a merge rewrites become one file; files of other folders
// (partitions) and files it does not touch stay as they are.
TEST_F(MergeTest, SmallFilesRewrittenTogetherBecomeOneFile) {
  WriteFile("a.parquet", 0, 6, 2);
  WriteFile("b.parquet", 10, 6, 2);
  WriteFile("c.parquet", 20, 6, 2);  // untouched
  WriteFile("sub/d.parquet", 30, 6, 2);
  MergeOptions options;
  options.key_columns = {"id"};
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[3, 11, 31, 50]"), Location(), options, true));
  const Plan plan = Plan::Deserialize(planned->plan().Serialize()).ValueOrDie();
  std::vector<TaskResult> results;
  for (int64_t t = 0; t < static_cast<int64_t>(plan.tasks.size()); ++t) {  // as another process
    ASSERT_OK_AND_ASSIGN(TaskInput input, LoadTaskInput(plan, t, fs_));
    ASSERT_OK_AND_ASSIGN(results.emplace_back(), RunTask(plan, t, input, fs_, TaskOptions{}));
  }
  ASSERT_OK_AND_ASSIGN(MergeResult result, Commit(std::move(planned), std::move(results)));
  EXPECT_EQ(result.updated, 3);
  EXPECT_EQ(result.inserted, 1);
  std::vector<std::string> rewritten = result.rewritten_files;
  std::sort(rewritten.begin(), rewritten.end());
  EXPECT_EQ(rewritten, (std::vector<std::string>{tmp_.path() + "/" + Now("a.parquet"),
                                                 tmp_.path() + "/" + Now("sub/d.parquet")}));
  EXPECT_FALSE(fs::exists(tmp_.path() + "/b.parquet"));  // its rows are in a's file now
  std::vector<std::string> removed = result.removed_files;
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{tmp_.path() + "/a.parquet", tmp_.path() + "/b.parquet",
                                               tmp_.path() + "/sub/d.parquet"}));
  EXPECT_EQ(result.preserved_files, std::vector<std::string>{tmp_.path() + "/c.parquet"});
  ASSERT_OK_AND_ASSIGN(auto a, io::ReadParquet({fs_, tmp_.path() + "/" + Now("a.parquet")}));
  ASSERT_OK_AND_ASSIGN(auto batch, a->CombineChunksToBatch());
  auto ids = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("id"));
  auto names = std::static_pointer_cast<arrow::StringArray>(batch->GetColumnByName("name"));
  std::vector<std::pair<int64_t, std::string>> rows;
  for (int64_t i = 0; i < batch->num_rows(); ++i) rows.emplace_back(ids->Value(i), names->GetString(i));
  std::vector<std::pair<int64_t, std::string>> expected;
  for (int64_t id : {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}) {
    expected.emplace_back(id, id == 3 || id == 11 ? "new" : "old");
  }
  EXPECT_EQ(rows, expected);  // a's rows, then b's (the new key went to sub/d, the smaller)
  auto file = parquet::ParquetFileReader::OpenFile(tmp_.path() + "/" + Now("a.parquet"));
  EXPECT_EQ(file->metadata()->num_row_groups(), 1);  // small row groups joined
  ASSERT_OK_AND_ASSIGN(auto all, io::ReadParquet(Location()));
  EXPECT_EQ(all->num_rows(), 25);
}

// In a hive dataset new keys go into the rewritten file of their own partition; a new key
// of a partition no rewrite touches gets a file in its folder.
TEST_F(MergeTest, NewKeysGoIntoTheRewrittenFileOfTheirPartition) {
  auto file = [](const std::string& ids) {
    return arrow::Table::FromRecordBatches(
               {Batch({"id", "name"}, {Json(arrow::int64(), ids),
                                       Json(arrow::utf8(), R"(["old", "old", "old"])")})})
        .ValueOrDie();
  };
  WriteTableAt(tmp_.path(), "day=1/a.parquet", *file("[1, 2, 3]"));
  WriteTableAt(tmp_.path(), "day=2/b.parquet", *file("[4, 5, 6]"));
  auto source = arrow::Table::FromRecordBatches(
      {Batch({"id", "name", "day"}, {Json(arrow::int64(), "[2, 5, 10, 11, 12]"),
                                     Json(arrow::utf8(), R"(["new", "new", "new", "new", "new"])"),
                                     Json(arrow::int32(), "[1, 2, 2, 1, 3]")})}).ValueOrDie();
  MergeOptions options;
  options.key_columns = {"id"};
  ASSERT_OK_AND_ASSIGN(MergeResult result,
                       Merge(std::make_shared<arrow::TableBatchReader>(source), Location(), options));
  EXPECT_EQ(result.inserted, 3);
  EXPECT_EQ(result.updated, 2);
  ASSERT_EQ(result.inserted_files.size(), 1u);  // day=3: no file was rewritten there
  EXPECT_NE(result.inserted_files[0].find("/day=3/"), std::string::npos) << result.inserted_files[0];
  auto ids_in = [&](const std::string& name) {
    auto table = io::ReadParquet({fs_, tmp_.path() + "/" + Now(name)}).ValueOrDie();
    auto batch = table->CombineChunksToBatch().ValueOrDie();
    auto ids = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("id"));
    std::vector<int64_t> out;
    for (int64_t i = 0; i < ids->length(); ++i) out.push_back(ids->Value(i));
    return out;
  };
  EXPECT_EQ(ids_in("day=1/a.parquet"), (std::vector<int64_t>{1, 2, 3, 11}));
  EXPECT_EQ(ids_in("day=2/b.parquet"), (std::vector<int64_t>{4, 5, 6, 10}));
}

// Row groups of 64Ki rows or more stay as they were (split at row_group_size); smaller
// ones are joined up to row_group_size.
TEST_F(MergeTest, RewritesKeepLargeRowGroupsAndJoinSmallOnes) {
  WriteFile("large.parquet", 0, 3 * 70'000, 70'000);
  WriteFile("small.parquet", 300'000, 5'000, 1'000);
  MergeOptions options;
  options.strategy = Strategy::kUpdate;
  options.key_columns = {"id"};
  options.row_group_size = 50'000;
  ASSERT_OK(Merge(Source("[5, 69999, 70000, 300001]"), Location(), options).status());
  auto row_groups = [&](const std::string& name) {
    auto input = arrow::io::ReadableFile::Open(tmp_.path() + "/" + Now(name)).ValueOrDie();
    auto metadata = parquet::ReadMetaData(input);
    std::vector<int64_t> rows;
    for (int rg = 0; rg < metadata->num_row_groups(); ++rg) rows.push_back(metadata->RowGroup(rg)->num_rows());
    return rows;
  };
  EXPECT_EQ(row_groups("large.parquet"),
            (std::vector<int64_t>{50'000, 20'000, 50'000, 20'000, 50'000, 20'000}));
  EXPECT_EQ(row_groups("small.parquet"), (std::vector<int64_t>{5'000}));
  // Now 35,000 rows per group on average: joined on the next rewrite.
  options.row_group_size = 100'000;
  ASSERT_OK(Merge(Source("[1]"), Location(), options).status());
  EXPECT_EQ(row_groups("large.parquet"), (std::vector<int64_t>{100'000, 100'000, 10'000}));
}

TEST_F(MergeTest, FailureBeforeCommitLeavesTheDatasetUntouched) {
  WriteFile("a.parquet", 0, 6, 2);
  MergeOptions options;
  options.strategy = Strategy::kUpdate;
  options.key_columns = {"id"};
  // Small enough that the pool (source, key index, row group) is always over it, large
  // enough for the source itself (19 bytes) to pass the up-front size check.
  options.limits.max_pool_bytes = 256;
  options.limits.min_system_available_bytes = 0;
  auto before = fs::last_write_time(tmp_.path() + "/a.parquet");
  auto failed = Merge(Source("[1]"), Location(), options);
  ASSERT_RAISES(OutOfMemory, failed.status());
  EXPECT_EQ(fs::last_write_time(tmp_.path() + "/a.parquet"), before);
  for (const auto& entry : fs::directory_iterator(tmp_.path())) {
    EXPECT_TRUE(entry.path().filename() == "a.parquet" || entry.path().filename() == kLockName);
  }
}

TEST_F(MergeTest, RecoverRollsForwardACommittedJournalAndBackAnUncommittedMerge) {
  WriteFile("a.parquet", 0, 4, 2);
  WriteFile("_fsspeckit-staging-1/rewrite-0/part-0.parquet", 100, 4, 2);
  WriteFile("_fsspeckit-staging-2/insert/part-0.parquet", 200, 4, 2);  // never committed
  Journal journal{tmp_.path() + "/_fsspeckit-staging-1",
                  {{tmp_.path() + "/_fsspeckit-staging-1/rewrite-0/part-0.parquet",
                    tmp_.path() + "/a.parquet"}}};
  ASSERT_OK(WriteJournal(*fs_, tmp_.path(), journal));
  ASSERT_OK_AND_ASSIGN(RecoveryReport report, Recover(*fs_, tmp_.path()));
  EXPECT_TRUE(report.rolled_forward);
  EXPECT_EQ(report.staging_dirs_removed, 1);
  ASSERT_OK_AND_ASSIGN(auto a, io::ReadParquet({fs_, tmp_.path() + "/a.parquet"}));
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(a->column(0)->chunk(0))->Value(0), 100);
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(tmp_.path())) {
    left.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(left, std::vector<std::string>{"a.parquet"});
  ASSERT_OK_AND_ASSIGN(RecoveryReport again, Recover(*fs_, tmp_.path()));
  EXPECT_FALSE(again.rolled_forward);

  // Damaged journals stop recovery instead of being guessed at (they are written whole).
  tmp_.Write(std::string(kJournalName), "fsspeckit merge journal v1\nstaging\tx\n");  // no "end"
  ASSERT_RAISES(IOError, Recover(*fs_, tmp_.path()).status());
  EXPECT_TRUE(fs::exists(tmp_.path() + "/" + kJournalName));
  fs::remove(tmp_.path() + "/" + kJournalName);

  // Paths are relative: a dataset recovered after it moved still completes.
  WriteFile("_fsspeckit-staging-3/rewrite-0/part-0.parquet", 300, 4, 2);
  Journal moved_journal{tmp_.path() + "/_fsspeckit-staging-3",
                        {{tmp_.path() + "/_fsspeckit-staging-3/rewrite-0/part-0.parquet",
                          tmp_.path() + "/a.parquet"}}};
  ASSERT_OK(WriteJournal(*fs_, tmp_.path(), moved_journal));
  const std::string elsewhere = tmp_.path() + "-moved";
  fs::rename(tmp_.path(), elsewhere);
  ASSERT_OK_AND_ASSIGN(RecoveryReport after_move, Recover(*fs_, elsewhere));
  EXPECT_TRUE(after_move.rolled_forward);
  ASSERT_OK_AND_ASSIGN(auto moved_a, io::ReadParquet({fs_, elsewhere + "/a.parquet"}));
  EXPECT_EQ(std::static_pointer_cast<arrow::Int64Array>(moved_a->column(0)->chunk(0))->Value(0), 300);
  fs::rename(elsewhere, tmp_.path());
}

// a.parquet as an upsert of keys 70,000 and 10^9 finds it: snappy (the merge's codec),
// three row groups of 64Ki rows (large enough to be kept as they are), no statistics (a
// row group encoded again gets them; one copied raw keeps none). b.parquet holds no
// source key.
constexpr int64_t kGroupRows = 64 * 1024;

class NewKeysTest : public MergeTest {
 protected:
  void SetUp() override {
    MergeTest::SetUp();
    arrow::Int64Builder ids;
    arrow::StringBuilder names;
    for (int64_t i = 0; i < 3 * kGroupRows; ++i) {
      ASSERT_OK(ids.Append(i));
      ASSERT_OK(names.Append("old"));
    }
    auto table = arrow::Table::Make(
        arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())}),
        {ids.Finish().ValueOrDie(), names.Finish().ValueOrDie()});
    auto properties = parquet::WriterProperties::Builder()
                          .compression(arrow::Compression::SNAPPY)
                          ->disable_statistics()
                          ->build();
    auto out = arrow::io::FileOutputStream::Open(tmp_.path() + "/a.parquet").ValueOrDie();
    ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, kGroupRows,
                                         properties));
    ASSERT_OK(out->Close());
    WriteFile("b.parquet", 1'000'000, 6, 6);
    options_.key_columns = {"id"};
  }
  void ExpectNewKeysInA(const MergeResult& result) {
    EXPECT_EQ(result.inserted, 1);
    EXPECT_EQ(result.updated, 1);
    EXPECT_TRUE(result.inserted_files.empty());  // no new small file
    EXPECT_EQ(result.rewritten_files, std::vector<std::string>{tmp_.path() + "/" + Now("a.parquet")});
    auto file = parquet::ParquetFileReader::OpenFile(result.rewritten_files[0]);
    auto metadata = file->metadata();
    ASSERT_EQ(metadata->num_row_groups(), 3);
    // Untouched: copied, never decoded. Matched: encoded again. The last: joined with the
    // appended row (it is below row_group_size), so appending keeps row groups full.
    EXPECT_EQ(metadata->RowGroup(0)->num_rows(), kGroupRows);
    EXPECT_FALSE(metadata->RowGroup(0)->ColumnChunk(0)->is_stats_set());
    EXPECT_EQ(metadata->RowGroup(1)->num_rows(), kGroupRows);
    EXPECT_TRUE(metadata->RowGroup(1)->ColumnChunk(0)->is_stats_set());
    EXPECT_EQ(metadata->RowGroup(2)->num_rows(), kGroupRows + 1);
    ASSERT_OK_AND_ASSIGN(auto a, io::ReadParquet({fs_, result.rewritten_files[0]}));
    ASSERT_OK_AND_ASSIGN(auto batch, a->CombineChunksToBatch());
    auto ids = std::static_pointer_cast<arrow::Int64Array>(batch->GetColumnByName("id"));
    auto names = std::static_pointer_cast<arrow::StringArray>(batch->GetColumnByName("name"));
    ASSERT_EQ(batch->num_rows(), 3 * kGroupRows + 1);
    for (int64_t i = 0; i < 3 * kGroupRows; ++i) {
      ASSERT_EQ(ids->Value(i), i);
      ASSERT_EQ(names->GetView(i), i == 70'000 ? "new" : "old") << i;
    }
    EXPECT_EQ(ids->Value(3 * kGroupRows), 1'000'000'000);  // appended after the file's rows
    EXPECT_EQ(names->GetView(3 * kGroupRows), "new");
  }
  MergeOptions options_;
};

TEST_F(NewKeysTest, NewKeysGoIntoAFileRewrittenAnywayAndUntouchedRowGroupsAreCopied) {
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Source("[70000, 1000000000]"), Location(), options_));
  ExpectNewKeysInA(result);
}

TEST_F(NewKeysTest, TheSameFromThePlansBytesAsAnotherProcessRunsIt) {
  ASSERT_OK_AND_ASSIGN(auto planned, MakePlan(Source("[70000, 1000000000]"), Location(), options_, true));
  const std::string bytes = planned->plan().Serialize();
  Plan plan = Plan::Deserialize(bytes).ValueOrDie();
  ASSERT_EQ(plan.tasks.size(), 1u);
  EXPECT_EQ(plan.tasks[0].appended_rows, std::vector<int64_t>{1});
  ASSERT_OK_AND_ASSIGN(TaskInput input, LoadTaskInput(plan, 0, fs_));
  ASSERT_OK_AND_ASSIGN(TaskResult done, RunTask(plan, 0, input, fs_, TaskOptions{}));
  ASSERT_OK_AND_ASSIGN(MergeResult result, Commit(std::move(planned), {done}));
  ExpectNewKeysInA(result);
}

TEST_F(NewKeysTest, ManyNewKeysOrAFullFileGetAFileOfTheirOwn) {
  options_.max_rows_per_file = 3 * kGroupRows;  // a.parquet is full
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Source("[70000, 1000000000]"), Location(), options_));
  EXPECT_EQ(result.inserted_files.size(), 1u);
}

TEST_F(MergeTest, InsertedAndRewrittenFilesHaveTheDatasetSchema) {
  WriteFile("a.parquet", 0, 4, 2);  // id int64, name string
  auto source = arrow::Table::FromRecordBatches(
      {Batch({"id"}, {Json(arrow::int32(), "[1, 50]")})}).ValueOrDie();  // no `name`
  MergeOptions options;
  options.strategy = Strategy::kUpsert;
  options.key_columns = {"id"};
  options.max_rows_per_file = 4;  // a.parquet is full: key 50 goes to a file of its own
  ASSERT_OK_AND_ASSIGN(MergeResult result,
                       Merge(std::make_shared<arrow::TableBatchReader>(source), Location(), options));
  ASSERT_EQ(result.inserted_files.size(), 1u);
  auto expected = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("name", arrow::utf8())});
  for (const std::string& path : {result.inserted_files[0], result.rewritten_files[0]}) {
    ASSERT_OK_AND_ASSIGN(auto table, io::ReadParquet({fs_, path}));
    EXPECT_TRUE(table->schema()->Equals(*expected, /*check_metadata=*/false))
        << path << ": " << table->schema()->ToString();
  }
  ASSERT_OK_AND_ASSIGN(auto all, io::ReadParquet(Location()));
  EXPECT_EQ(all->num_rows(), 5);
  EXPECT_EQ(all->GetColumnByName("name")->null_count(), 2);  // the source's two rows
}

TEST_F(MergeTest, LockRefusesASecondHolderUntilReleased) {
  ASSERT_OK_AND_ASSIGN(auto lock, DatasetLock::Acquire(fs_, tmp_.path()));
  auto second = DatasetLock::Acquire(fs_, tmp_.path());
  ASSERT_RAISES(IOError, second.status());
  EXPECT_NE(second.status().message().find("another merge is running"), std::string::npos);
  lock.reset();
  ASSERT_OK(DatasetLock::Acquire(fs_, tmp_.path()).status());  // a leftover file is no lock
}

}  // namespace
}  // namespace fsspeckit::merge

namespace fsspeckit::merge {
namespace {

using fsspeckit::testing::FakeMemorySource;
using fsspeckit::testing::MiB;

// The merge's budget and ladder driven by a fake memory source passed in the options.
class MergeBudgetTest : public TwoFileMergeTest {
 protected:
  void SetUp() override {
    TwoFileMergeTest::SetUp();
    options_.limits.max_pool_bytes = MiB(64);
    options_.limits.min_system_available_bytes = 0;
    memory::MemoryMonitorOptions monitor;
    monitor.limits = options_.limits;
    monitor.cache_ttl_ms = 0;
    monitor.source = source_;
    options_.monitor = memory::MemoryMonitor::Make(monitor).ValueOrDie();
  }
  std::vector<std::string> Entries() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(tmp_.path())) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  std::shared_ptr<FakeMemorySource> source_ = std::make_shared<FakeMemorySource>();
};

TEST_F(MergeBudgetTest, AnEmergencyThatPersistsStopsTheMergeWithNothingChanged) {
  const auto before = Entries();
  source_->pool_bytes = MiB(80);  // over the 64 MiB budget whatever the ladder frees
  auto result = Merge(Source("[3, 50]"), Location(), options_);
  ASSERT_RAISES(OutOfMemory, result.status());
  EXPECT_NE(result.status().message().find("Peak memory usage exceeded limit"), std::string::npos);
  EXPECT_EQ(Entries(), before);  // no staging folder, no journal, files as they were
}

TEST_F(MergeBudgetTest, WarningRunsTheCollectorBetweenRowGroupsAndTheMergeCompletes) {
  source_->pool_bytes = MiB(50);  // 78%: WARNING
  int collections = 0;
  options_.collect = [&] { ++collections; };
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Source("[3, 50]"), Location(), options_));
  EXPECT_GE(collections, 1);
  EXPECT_EQ(result.metrics.degradation.collections, collections);
  EXPECT_EQ(result.target_count_after, 13);
  EXPECT_GE(result.metrics.pressure_counts[static_cast<int>(memory::PressureLevel::kWarning)], 1);
}

TEST_F(MergeBudgetTest, NoRoomLeftInTheBudgetRunsOneTaskAtATime) {
  // Just under WARNING, so no room for a second task beside the first.
  source_->pool_bytes = MiB(64) * 7 / 10 - 16;
  std::set<std::thread::id> threads;
  options_.progress = [&](int64_t, int64_t) {
    threads.insert(std::this_thread::get_id());  // called under the merge's progress lock
    return arrow::Status::OK();
  };
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Source("[3, 11, 50]"), Location(), options_));
  EXPECT_EQ(result.tasks.size(), 3u);
  EXPECT_EQ(threads, std::set<std::thread::id>{std::this_thread::get_id()});
  EXPECT_EQ(result.target_count_after, 13);
}

}  // namespace
}  // namespace fsspeckit::merge
