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
#include "fsspeckit/merge/merge.h"
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

// Lookup results as ints, -1 for "not a source key".
std::vector<int64_t> Ids(KeyIndex& index, const arrow::RecordBatch& batch) {
  auto ids = index.Lookup(batch).ValueOrDie();
  std::vector<int64_t> out;
  for (int64_t i = 0; i < ids->length(); ++i) {
    out.push_back(ids->IsValid(i) ? static_cast<int64_t>(ids->Value(i)) : int64_t{-1});
  }
  return out;
}

// Rows 0, 2 and 4 of five replaced, for every path: spliced strings and binaries,
// ReplaceWithMask for fixed width, concatenate-and-take for nested types.
TEST(RowReplacementTest, ReplacesOnlyTheGivenRowsInEveryType) {
  auto replacement = RowReplacement::Make(5, {0, 2, 4}).ValueOrDie();
  struct Case {
    std::shared_ptr<arrow::DataType> type;
    std::string target, replacements, expected;
  };
  std::vector<Case> cases = {
      {arrow::int64(), "[1, 2, null, 4, 5]", "[10, null, 50]", "[10, 2, null, 4, 50]"},
      {arrow::int8(), "[1, 2, 3, 4, 5]", "[-1, -3, -5]", "[-1, 2, -3, 4, -5]"},
      {arrow::float64(), "[1.5, 2.5, 3.5, null, 5.5]", "[0.25, null, 9]", "[0.25, 2.5, null, null, 9]"},
      {arrow::timestamp(arrow::TimeUnit::MICRO), "[1, 2, 3, 4, 5]", "[null, 30, 50]",
       "[null, 2, 30, 4, 50]"},
      {arrow::decimal128(10, 2), R"(["1.00", "2.00", "3.00", "4.00", "5.00"])",
       R"(["-1.25", "3.50", null])", R"(["-1.25", "2.00", "3.50", "4.00", null])"},
      {arrow::fixed_size_binary(3), R"(["aaa", "bbb", "ccc", "ddd", "eee"])",
       R"(["xxx", "yyy", "zzz"])", R"(["xxx", "bbb", "yyy", "ddd", "zzz"])"},
      {arrow::boolean(), "[true, true, true, true, true]", "[false, null, false]",
       "[false, true, null, true, false]"},
      {arrow::utf8(), R"(["a", "bb", null, "dddd", ""])", R"(["x", null, "zzz"])",
       R"(["x", "bb", null, "dddd", "zzz"])"},
      {arrow::utf8(), R"(["a", "bb", "c", "dddd", "e"])", R"(["", "yy", "z"])",
       R"(["", "bb", "yy", "dddd", "z"])"},
      {arrow::large_binary(), R"(["a", "bb", "c", null, "e"])", R"(["x", "yy", null])",
       R"(["x", "bb", "yy", null, null])"},
      {arrow::list(arrow::int32()), "[[1], [2, 2], null, [], [5]]", "[null, [7], [8, 8]]",
       "[null, [2, 2], [7], [], [8, 8]]"},
      {arrow::large_list(arrow::float64()), "[[1.5, null], [2], null, [], [5]]", "[[null], [], [8, null]]",
       "[[null], [2], [], [], [8, null]]"},
      {arrow::list(arrow::utf8()), R"([["a"], ["b", "b"], null, [], ["e"]])", R"([[null], ["g"], []])",
       R"([[null], ["b", "b"], ["g"], [], []])"},
      {arrow::struct_({arrow::field("x", arrow::int32()), arrow::field("s", arrow::utf8())}),
       R"([{"x": 1, "s": "a"}, {"x": 2, "s": "b"}, null, {"x": 4, "s": null}, {"x": 5, "s": "e"}])",
       R"([null, {"x": 30, "s": "c"}, {"x": 50, "s": "z"}])",
       R"([null, {"x": 2, "s": "b"}, {"x": 30, "s": "c"}, {"x": 4, "s": null}, {"x": 50, "s": "z"}])"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type->ToString() + " " + c.target);
    auto got = replacement.Apply(Json(c.type, c.target), Json(c.type, c.replacements));
    ASSERT_OK(got.status());
    ASSERT_OK((*got)->ValidateFull());
    EXPECT_TRUE((*got)->Equals(*Json(c.type, c.expected))) << (*got)->ToString();
  }
}

TEST(RowReplacementTest, SlicedColumnsNoRowsAndBadPositions) {
  // A column that is a slice of a larger one (non-zero offset), nulls included.
  auto whole = Json(arrow::utf8(), R"(["skip", "a", null, "ccc"])");
  auto one = RowReplacement::Make(3, {1}).ValueOrDie();
  auto got = one.Apply(whole->Slice(1), Json(arrow::utf8(), R"(["new"])")).ValueOrDie();
  ASSERT_OK(got->ValidateFull());
  EXPECT_TRUE(got->Equals(*Json(arrow::utf8(), R"(["a", "new", "ccc"])"))) << got->ToString();

  auto numbers = Json(arrow::int32(), "[7, 1, null, 3]");  // fixed width: the same
  got = one.Apply(numbers->Slice(1), Json(arrow::int32(), "[null]")->Slice(0)).ValueOrDie();
  ASSERT_OK(got->ValidateFull());
  EXPECT_TRUE(got->Equals(*Json(arrow::int32(), "[1, null, 3]"))) << got->ToString();
  got = one.Apply(numbers->Slice(1), Json(arrow::int32(), "[5, 9]")->Slice(1)).ValueOrDie();
  EXPECT_TRUE(got->Equals(*Json(arrow::int32(), "[1, 9, 3]"))) << got->ToString();

  // Nested, sliced, with replaced rows next to each other and at both ends.
  auto lists = Json(arrow::list(arrow::int64()), "[[0], [1, 1], null, [3], [4, 4, 4], [5]]");
  auto ends = RowReplacement::Make(5, {0, 2, 3, 4}).ValueOrDie();
  got = ends.Apply(lists->Slice(1), Json(arrow::list(arrow::int64()), "[[9], [], null, [7, 7]]"))
            .ValueOrDie();
  ASSERT_OK(got->ValidateFull());
  EXPECT_TRUE(got->Equals(*Json(arrow::list(arrow::int64()), "[[9], null, [], null, [7, 7]]")))
      << got->ToString();

  auto none = RowReplacement::Make(2, {}).ValueOrDie();
  got = none.Apply(Json(arrow::utf8(), R"(["a", "b"])"), Json(arrow::utf8(), "[]")).ValueOrDie();
  EXPECT_TRUE(got->Equals(*Json(arrow::utf8(), R"(["a", "b"])")));

  EXPECT_FALSE(RowReplacement::Make(3, {2, 1}).ok());  // not ascending
  EXPECT_FALSE(RowReplacement::Make(3, {3}).ok());     // past the end
  EXPECT_FALSE(one.Apply(whole, Json(arrow::utf8(), R"(["x"])")).ok());  // wrong length
}

// A source in three batches (as a Python table arrives), never combined.
std::shared_ptr<arrow::Table> ThreeBatches() {
  return arrow::Table::FromRecordBatches(
             {Batch({"k", "v"}, {Json(arrow::int64(), "[0, 1]"), Json(arrow::utf8(), R"(["a", "b"])")}),
              Batch({"k", "v"}, {Json(arrow::int64(), "[2, 1, 4]"), Json(arrow::utf8(), R"(["c", null, "e"])")}),
              Batch({"k", "v"}, {Json(arrow::int64(), "[5]"), Json(arrow::utf8(), R"(["f"])")})})
      .ValueOrDie();
}

TEST(SourceRowsTest, GathersAcrossBatchesInTheOrderAsked) {
  ASSERT_OK_AND_ASSIGN(SourceRows source, SourceRows::Make(ThreeBatches()));
  EXPECT_EQ(source.num_rows(), 6);
  for (const std::vector<int64_t>& rows :
       std::vector<std::vector<int64_t>>{{5, 0, 3, 3, 2}, {0, 2, 4, 5}, {4}, {}}) {
    ASSERT_OK_AND_ASSIGN(auto got, source.Gather(rows));
    ASSERT_OK(got->ValidateFull());
    const char* values[] = {"a", "b", "c", nullptr, "e", "f"};
    ASSERT_EQ(got->num_rows(), static_cast<int64_t>(rows.size()));
    auto k = std::static_pointer_cast<arrow::Int64Array>(got->GetColumnByName("k"));
    auto v = std::static_pointer_cast<arrow::StringArray>(got->GetColumnByName("v"));
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t keys[] = {0, 1, 2, 1, 4, 5};
      EXPECT_EQ(k->Value(i), keys[rows[i]]);
      if (values[rows[i]] == nullptr) {
        EXPECT_TRUE(v->IsNull(i));
      } else {
        EXPECT_EQ(v->GetString(i), values[rows[i]]);
      }
    }
  }
  EXPECT_FALSE(source.Gather({6}).ok());
}

TEST(KeyIndexTest, RowsAreNumberedAcrossBatchesAndTheLastWins) {
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*ThreeBatches(), {"k"}));
  EXPECT_EQ(index->num_keys(), 5);  // 0, 1, 2, 4, 5
  auto probe = Batch({"k"}, {Json(arrow::int64(), "[1, 5, 3]")});
  std::vector<int64_t> ids = Ids(*index, *probe);
  EXPECT_EQ(index->winning_rows()[ids[0]], 3);  // key 1: rows 1 and 3, the later wins
  EXPECT_EQ(index->winning_rows()[ids[1]], 5);
  EXPECT_EQ(ids[2], -1);
  ASSERT_OK_AND_ASSIGN(SourceRange range, MakeSourceRange(*ThreeBatches(), "k"));
  EXPECT_EQ(std::get<std::vector<int64_t>>(range.values), (std::vector<int64_t>{0, 1, 2, 4, 5}));
}

// ctest runs each test in its own process, so nothing has registered the compute
// kernels float keys need (the range is built on its own thread, beside the key index).
TEST(SourceRangeTest, FloatKeysWorkBeforeAnythingElseRegisteredKernels) {
  auto table = arrow::Table::FromRecordBatches(
                   {Batch({"k"}, {Json(arrow::float64(), "[2.5, -0.0, 1.0, 2.5]")})})
                   .ValueOrDie();
  ASSERT_OK_AND_ASSIGN(SourceRange range, MakeSourceRange(*table, "k"));
  EXPECT_EQ(std::get<std::vector<double>>(range.values), (std::vector<double>{0.0, 1.0, 2.5}));
}

TEST(KeyIndexTest, LastRowWinsAndNullEqualsNull) {
  auto source = Batch({"k"}, {Json(arrow::int64(), "[1, 2, null, 1, null]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  EXPECT_EQ(index->num_keys(), 3);
  auto target = Batch({"k"}, {Json(arrow::int64(), "[1, 3, null, 2]")});
  std::vector<int64_t> ids = Ids(*index, *target);
  EXPECT_EQ(index->winning_rows()[ids[0]], 3);  // the later of the two 1s
  EXPECT_EQ(ids[1], -1);
  EXPECT_EQ(index->winning_rows()[ids[2]], 4);  // null matches null, last wins
  EXPECT_EQ(index->winning_rows()[ids[3]], 1);
}

// Ascending integer keys (a file in key order) are answered by walking the sorted source
// keys; anything else by the hash table. Both must give every row the same id.
TEST(KeyIndexTest, AscendingAndUnorderedKeysGetTheSameIds) {
  auto source = Batch({"k"}, {Json(arrow::int64(), "[40, 10, null, 30, 10, -5]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto ascending = Batch({"k"}, {Json(arrow::int64(), "[-9, -5, 10, 10, 20, 30, 40, 41]")});
  auto unordered = Batch({"k"}, {Json(arrow::int64(), "[41, 10, 40, -5, 30, 20, 10, -9]")});
  auto with_null = Batch({"k"}, {Json(arrow::int64(), "[-5, 10, null, 40]")});
  std::vector<int64_t> up = Ids(*index, *ascending);
  std::vector<int64_t> mixed = Ids(*index, *unordered);
  std::vector<int64_t> nulls = Ids(*index, *with_null);
  std::vector<int64_t> rows;  // the winning source row per probe row, -1 for none
  for (int64_t id : up) rows.push_back(id < 0 ? -1 : index->winning_rows()[id]);
  EXPECT_EQ(rows, (std::vector<int64_t>{-1, 5, 4, 4, -1, 3, 0, -1}));
  EXPECT_EQ(mixed, (std::vector<int64_t>{-1, up[2], up[6], up[1], up[5], -1, up[2], -1}));
  ASSERT_GE(nulls[2], 0);
  EXPECT_EQ(index->winning_rows()[nulls[2]], 2);  // null matches the source's null
  EXPECT_EQ(nulls, (std::vector<int64_t>{up[1], up[2], nulls[2], up[6]}));
  // A slice of a batch (an offset into its buffers) walks from its own first row.
  EXPECT_EQ(Ids(*index, *ascending->Slice(5, 3)), (std::vector<int64_t>{up[5], up[6], -1}));
}

TEST(KeyIndexTest, IntegersMatchByValueAcrossWidths) {
  auto source = Batch({"k"}, {Json(arrow::int32(), "[5, -7]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto rows = [&](const arrow::RecordBatch& target) {  // the matched source row, or -1
    std::vector<int64_t> out;
    for (int64_t id : Ids(*index, target)) out.push_back(id < 0 ? -1 : index->winning_rows()[id]);
    return out;
  };
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::int64(), "[-7, 5, 6]")})), (std::vector<int64_t>{1, 0, -1}));
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::uint8(), "[5]")})), (std::vector<int64_t>{0}));
  // Keys that do not ascend (or hold a null) are hashed: the same answers.
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::int16(), "[6, 5, -7, 5]")})),
            (std::vector<int64_t>{-1, 0, 1, 0}));
  EXPECT_EQ(rows(*Batch({"k"}, {Json(arrow::int64(), "[-7, null, 5]")})),
            (std::vector<int64_t>{1, -1, 0}));
}

TEST(KeyIndexTest, FloatsNaNEqualsNaNAndNegativeZeroEqualsZero) {
  auto source = Batch({"k"}, {Json(arrow::float64(), "[NaN, 0.0, 1.5]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"k"}));
  auto target = Batch({"k"}, {Json(arrow::float32(), "[1.5, NaN, -0.0, 2.0]")});
  EXPECT_EQ(Ids(*index, *target), (std::vector<int64_t>{2, 0, 1, -1}));
}

TEST(KeyIndexTest, StringKindsAndCompositeKeys) {
  auto source = Batch({"a", "b"}, {Json(arrow::utf8(), R"(["x", "x", null])"),
                                   Json(arrow::int64(), "[1, 2, 1]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"a", "b"}));
  auto target = Batch({"b", "a"}, {Json(arrow::int32(), "[2, 1, 1, 2]"),
                                   Json(arrow::large_utf8(), R"(["x", null, "y", null])")});
  EXPECT_EQ(Ids(*index, *target), (std::vector<int64_t>{1, 2, -1, -1}));
}

TEST(KeyIndexTest, IncomparableTypesAndMissingColumnsAreNamed) {
  auto source = Batch({"id"}, {Json(arrow::int64(), "[1]")});
  ASSERT_OK_AND_ASSIGN(auto index, KeyIndex::Make(*source, {"id"}));
  auto strings = arrow::schema({arrow::field("id", arrow::utf8())});
  arrow::Status st = index->CheckComparable(*strings, "t.parquet");
  ASSERT_RAISES(TypeError, st);
  EXPECT_NE(st.message().find("key column 'id' cannot be compared"), std::string::npos);
  ASSERT_RAISES(KeyError, index->CheckComparable(*arrow::schema({}), "t.parquet"));
  ASSERT_RAISES(Invalid, KeyIndex::Make(*source, {"nope"}).status());
}

TEST_F(MergeTest, PlanPrunesByPerKeyStatisticsAndConfirmsWithKeyColumns) {
  WriteFile("a.parquet", 0, 100, 10);     // row groups [0,9] ... [90,99]
  WriteFile("b.parquet", 1000, 100, 10);  // [1000,1099]
  WriteFile("_hidden/c.parquet", 0, 10, 10);
  // Keys 5 and 2000: one overall range [5, 2000] would admit every row group.
  auto source = Batch({"id"}, {Json(arrow::int64(), "[5, 2000, 95]")});
  ASSERT_OK_AND_ASSIGN(auto keys, KeyIndex::Make(*source, {"id"}));
  auto table = arrow::Table::FromRecordBatches({source}).ValueOrDie();
  ASSERT_OK_AND_ASSIGN(SourceRange range, MakeSourceRange(*table, "id"));
  ASSERT_OK_AND_ASSIGN(TargetScan plan, ScanTargets(*fs_, tmp_.path(), *keys, range, *table, {}, true));
  ASSERT_EQ(plan.files.size(), 2u);  // the hidden folder is not data
  EXPECT_EQ(plan.target_rows, 200);
  EXPECT_EQ(plan.candidate_files, 1);  // b.parquet pruned by statistics alone
  EXPECT_EQ(plan.files[0].matched_row_groups, (std::vector<int>{0, 9}));
  EXPECT_EQ(plan.files[0].matched_rows, 2);
  EXPECT_TRUE(plan.files[1].matched_row_groups.empty());
  std::vector<uint8_t> matched_by_row(3);  // ids are the index's; rows are the source's
  for (size_t id = 0; id < plan.key_matched.size(); ++id) {
    matched_by_row[keys->winning_rows()[id]] = plan.key_matched[id];
  }
  EXPECT_EQ(matched_by_row, (std::vector<uint8_t>{1, 0, 1}));
}

TEST_F(MergeTest, UpsertRewritesOnlyAffectedFilesInPlace) {
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
  EXPECT_EQ(result.rewritten_files[0], tmp_.path() + "/a.parquet");
  EXPECT_EQ(result.preserved_files, std::vector<std::string>{tmp_.path() + "/b.parquet"});
  ASSERT_OK_AND_ASSIGN(auto a, io::ReadParquet({fs_, tmp_.path() + "/a.parquet"}));
  ASSERT_OK_AND_ASSIGN(auto combined, a->CombineChunksToBatch());
  auto names = std::static_pointer_cast<arrow::StringArray>(combined->GetColumnByName("name"));
  std::vector<std::string> got;
  for (int64_t i = 0; i < names->length(); ++i) got.emplace_back(names->GetView(i));
  EXPECT_EQ(got, (std::vector<std::string>{"old", "old", "old", "new", "old", "old"}));
  for (const auto& entry : fs::directory_iterator(tmp_.path())) {
    std::string name = entry.path().filename().string();
    EXPECT_TRUE(!name.starts_with("_fsspeckit") || name == kLockName) << entry.path();
  }
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
    auto input = arrow::io::ReadableFile::Open(tmp_.path() + "/" + name).ValueOrDie();
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

// A file of `table` at `name` below the dataset (folders created).
void WriteTableAt(const std::string& dir, const std::string& name, const arrow::Table& table) {
  fs::create_directories(fs::path(dir + "/" + name).parent_path());
  auto out = arrow::io::FileOutputStream::Open(dir + "/" + name).ValueOrDie();
  ASSERT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, 1024));
  ASSERT_OK(out->Close());
}

std::shared_ptr<arrow::Table> IdsAndRegions(const std::shared_ptr<arrow::DataType>& id_type,
                                            const std::string& ids, const std::string& regions) {
  return arrow::Table::FromRecordBatches({Batch({"id", "region"}, {Json(id_type, ids),
                                                                   Json(arrow::utf8(), regions)})})
      .ValueOrDie();
}

arrow::Result<TargetScan> Plan(const std::string& dir, const arrow::Table& source,
                              const std::vector<std::string>& partition_columns) {
  ARROW_ASSIGN_OR_RAISE(auto keys, KeyIndex::Make(source, {"id"}));
  ARROW_ASSIGN_OR_RAISE(SourceRange range, MakeSourceRange(source, "id"));
  arrow::fs::LocalFileSystem fs;
  return ScanTargets(fs, dir, *keys, range, source, partition_columns, true);
}

// One rule for partition values, wherever they are stored: in a hive folder or a column.
TEST_F(MergeTest, PartitionValuesOfExistingKeysCannotChangeWhereverStored) {
  WriteTableAt(tmp_.path() + "/flat", "a", *IdsAndRegions(arrow::int64(), "[1, 2]", R"(["eu", null])"));
  auto hive = IdsAndRegions(arrow::int64(), "[1]", R"(["eu"])")->RemoveColumn(1).ValueOrDie();
  WriteTableAt(tmp_.path() + "/hive", "region=eu/a", *hive);
  WriteTableAt(tmp_.path() + "/hive", "region=__HIVE_DEFAULT_PARTITION__/b",
               *IdsAndRegions(arrow::int64(), "[2]", R"([""])")->RemoveColumn(1).ValueOrDie());

  auto same = IdsAndRegions(arrow::int64(), "[2, 1, 9]", R"([null, "eu", "us"])");
  auto moved = IdsAndRegions(arrow::int64(), "[2]", R"(["us"])");
  ASSERT_OK_AND_ASSIGN(TargetScan flat, Plan(tmp_.path() + "/flat", *same, {"region"}));
  EXPECT_TRUE(flat.partition_by.empty());  // inserts keep the flat layout
  auto status = Plan(tmp_.path() + "/flat", *moved, {"region"}).status();
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_NE(status.message().find("has region=null there and region=us in the source"),
            std::string::npos) << status.message();

  // The hive partitioning is found without being named, and checked the same way.
  ASSERT_OK_AND_ASSIGN(TargetScan hive_plan, Plan(tmp_.path() + "/hive", *same, {}));
  EXPECT_EQ(hive_plan.partition_by, std::vector<std::string>{"region"});
  EXPECT_TRUE(hive_plan.schema->Equals(*arrow::schema({arrow::field("id", arrow::int64())})));
  status = Plan(tmp_.path() + "/hive", *moved, {}).status();
  ASSERT_TRUE(status.IsInvalid());
  EXPECT_NE(status.message().find("partition column values cannot change"), std::string::npos);
  // A caller's column that is neither a hive key nor a file column contradicts the dataset.
  auto with_shard = arrow::Table::FromRecordBatches(
      {Batch({"id", "region", "shard"}, {Json(arrow::int64(), "[9]"), Json(arrow::utf8(), R"(["eu"])"),
                                         Json(arrow::int64(), "[1]")})}).ValueOrDie();
  ASSERT_RAISES(Invalid, Plan(tmp_.path() + "/hive", *with_shard, {"shard"}).status());
}

TEST_F(MergeTest, InsertedAndRewrittenFilesHaveTheDatasetSchema) {
  WriteFile("a.parquet", 0, 4, 2);  // id int64, name string
  auto source = arrow::Table::FromRecordBatches(
      {Batch({"id"}, {Json(arrow::int32(), "[1, 50]")})}).ValueOrDie();  // no `name`
  MergeOptions options;
  options.strategy = Strategy::kUpsert;
  options.key_columns = {"id"};
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
