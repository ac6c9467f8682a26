#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/table.h>

#include "fsspeckit/cli/cli.h"
#include "fsspeckit/io/read_parquet.h"
#include "fsspeckit/io/write_dataset.h"
#include "testing/id_table.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::cli {
namespace {

using fsspeckit::testing::Ids;

class MaintenanceCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    arrow::dataset::internal::Initialize();
    ASSERT_OK_AND_ASSIGN(target_, io::ResolveLocation(nullptr, tmp_.path() + "/ds"));
    io::WriteDatasetOptions options;
    options.max_rows_per_file = 10;
    for (int i = 0; i < 3; ++i) ASSERT_OK(io::WriteDataset(Ids(i * 30, 30), target_, options).status());
  }
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunCli(args, out_, err_);
  }
  int DataFiles() {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(target_.path)) {
      n += entry.path().filename().string().starts_with("_") ? 0 : 1;
    }
    return n;
  }
  fsspeckit::testing::TempDir tmp_;
  io::Location target_;
  std::ostringstream out_, err_;
};

TEST_F(MaintenanceCommandTest, CompactPrintsASummaryAndAProgressBar) {
  ASSERT_EQ(DataFiles(), 9);
  ASSERT_EQ(Run({"compact", target_.path, "--target-rows-per-file", "100", "--max-memory", "64MiB"}), 0)
      << err_.str();
  EXPECT_NE(out_.str().find("files             9 -> 1"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("rows              90 -> 90"), std::string::npos);
  EXPECT_NE(out_.str().find("peak Arrow memory"), std::string::npos);
  EXPECT_NE(err_.str().find("100%"), std::string::npos);
  EXPECT_EQ(DataFiles(), 1);
  ASSERT_OK_AND_ASSIGN(auto table, io::ReadParquet(target_));
  EXPECT_EQ(table->num_rows(), 90);
}

TEST_F(MaintenanceCommandTest, DryRunPrintsThePlanAndWritesNothing) {
  ASSERT_EQ(Run({"compact", target_.path, "--target-file-size", "1MiB", "--dry-run"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("1 group(s) to rewrite"), std::string::npos) << out_.str();
  EXPECT_EQ(DataFiles(), 9);
}

TEST_F(MaintenanceCommandTest, DedupKeepsOneRowPerKey) {
  io::WriteDatasetOptions options;
  ASSERT_OK(io::WriteDataset(Ids(0, 30), target_, options).status());  // 30 repeated ids
  ASSERT_EQ(Run({"dedup", target_.path, "--key", "id", "--quiet"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("rows              120 -> 90"), std::string::npos) << out_.str();
  EXPECT_EQ(err_.str(), "");
}

TEST_F(MaintenanceCommandTest, SortOrdersTheRows) {
  ASSERT_EQ(Run({"sort", target_.path, "--by", "-id", "--quiet"}), 0) << err_.str();
  ASSERT_OK_AND_ASSIGN(auto table, io::ReadParquet(target_));
  auto ids = std::static_pointer_cast<arrow::Int64Array>(table->GetColumnByName("id")->chunk(0));
  EXPECT_EQ(ids->Value(0), 89);
  EXPECT_EQ(DataFiles(), 1);
  EXPECT_EQ(Run({"sort", target_.path}), 2);
  EXPECT_NE(err_.str().find("give --by"), std::string::npos);
}

TEST_F(MaintenanceCommandTest, OptimizeDeduplicatesWithAKey) {
  io::WriteDatasetOptions options;
  ASSERT_OK(io::WriteDataset(Ids(0, 30), target_, options).status());
  ASSERT_EQ(Run({"optimize", target_.path, "--key", "id", "--quiet"}), 0) << err_.str();
  EXPECT_NE(out_.str().find("optimized "), std::string::npos);
  EXPECT_NE(out_.str().find("rows              120 -> 90"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"optimize", target_.path}), 2);  // no key: a compaction needs a target
}

TEST_F(MaintenanceCommandTest, RepartitionMovesRowsIntoFolders) {
  EXPECT_EQ(Run({"repartition", target_.path, "--by", "id"}), 2);  // the files would hold nothing
  EXPECT_NE(err_.str().find("takes every column"), std::string::npos) << err_.str();
  arrow::Int64Builder ids, parity;
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(ids.Append(i));
    ASSERT_OK(parity.Append(i % 2));
  }
  auto table = arrow::Table::Make(arrow::schema({arrow::field("id", arrow::int64()), arrow::field("p", arrow::int64())}),
                                  {ids.Finish().ValueOrDie(), parity.Finish().ValueOrDie()});
  ASSERT_OK_AND_ASSIGN(auto two, io::ResolveLocation(nullptr, tmp_.path() + "/two"));
  ASSERT_OK(io::WriteDataset(std::make_shared<arrow::TableBatchReader>(table), two).status());
  ASSERT_EQ(Run({"repartition", two.path, "--by", "p", "--quiet"}), 0) << err_.str();
  EXPECT_TRUE(std::filesystem::is_directory(two.path + "/p=1"));
  ASSERT_OK_AND_ASSIGN(auto back, io::ReadParquet(two));
  EXPECT_EQ(back->num_rows(), 10);
}

TEST_F(MaintenanceCommandTest, BadInputIsAUsageErrorNamingTheFix) {
  EXPECT_EQ(Run({"compact", target_.path}), 2);
  EXPECT_NE(err_.str().find("give --target-file-size or --target-rows-per-file"), std::string::npos);
  EXPECT_EQ(Run({"compact", target_.path, "--target-rows-per-file", "0"}), 2);
  EXPECT_EQ(Run({"dedup", target_.path, "--key", "nope"}), 2);
  EXPECT_NE(err_.str().find("key_columns names a column the dataset lacks: 'nope'"), std::string::npos);
  EXPECT_EQ(Run({"compact", tmp_.path() + "/missing", "--target-rows-per-file", "5"}), 1);
  EXPECT_NE(err_.str().find("does not exist"), std::string::npos) << err_.str();
  EXPECT_EQ(DataFiles(), 9);
}

}  // namespace
}  // namespace fsspeckit::cli
