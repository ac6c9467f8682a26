#include <gtest/gtest.h>

#include <arrow/table.h>

#include "merge/merge_test_fixture.h"
#include "testing/status_assertions.h"
#include "merge/key_index_internal.h"
#include "io/dataset_files_internal.h"
#include "merge/target_scan_internal.h"

namespace fsspeckit::merge {
namespace {

// ctest runs each test in its own process, so nothing has registered the compute
// kernels float keys need (the range is built on its own thread, beside the key index).
TEST(SourceRangeTest, FloatKeysWorkBeforeAnythingElseRegisteredKernels) {
  auto table = arrow::Table::FromRecordBatches(
                   {Batch({"k"}, {Json(arrow::float64(), "[2.5, -0.0, 1.0, 2.5]")})})
                   .ValueOrDie();
  ASSERT_OK_AND_ASSIGN(SourceRange range, MakeSourceRange(*table, "k"));
  EXPECT_EQ(std::get<std::vector<double>>(range.values), (std::vector<double>{0.0, 1.0, 2.5}));
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
  ASSERT_OK_AND_ASSIGN(auto files, io::ListDataFileInfos(*fs_, tmp_.path()));
  ASSERT_OK_AND_ASSIGN(TargetScan plan,
                       ScanTargets(*fs_, tmp_.path(), files, *keys, range, *table, {}, true));
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

arrow::Result<TargetScan> Plan(const std::string& dir, const arrow::Table& source,
                              const std::vector<std::string>& partition_columns) {
  ARROW_ASSIGN_OR_RAISE(auto keys, KeyIndex::Make(source, {"id"}));
  ARROW_ASSIGN_OR_RAISE(SourceRange range, MakeSourceRange(source, "id"));
  arrow::fs::LocalFileSystem fs;
  auto files = io::ListDataFileInfos(fs, dir).ValueOrDie();
  return ScanTargets(fs, dir, files, *keys, range, source, partition_columns, true);
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

}  // namespace
}  // namespace fsspeckit::merge
