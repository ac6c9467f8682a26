#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <arrow/array/builder_primitive.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/table.h>

#include "fsspeckit/cli/cli.h"
#include "fsspeckit/io/read_parquet.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/io/write_parquet.h"
#include "testing/id_table.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::cli {
namespace {

using fsspeckit::testing::Ids;

class MergeCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    arrow::dataset::internal::Initialize();
    ASSERT_OK_AND_ASSIGN(auto target, io::ResolveLocation(nullptr, tmp_.path() + "/target"));
    io::WriteDatasetOptions options;
    options.max_rows_per_file = 10;
    ASSERT_OK(io::WriteDataset(Ids(0, 30), target, options).status());
    ASSERT_OK_AND_ASSIGN(auto source, io::ResolveLocation(nullptr, tmp_.path() + "/src.parquet"));
    ASSERT_OK(io::WriteParquet(Ids(25, 10), source));
  }
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunCli(args, out_, err_);
  }
  fsspeckit::testing::TempDir tmp_;
  std::ostringstream out_, err_;
};

TEST_F(MergeCommandTest, UpsertPrintsASummaryAndChangesTheDataset) {
  ASSERT_EQ(Run({"merge", tmp_.path() + "/src.parquet", tmp_.path() + "/target", "--key", "id",
                 "--max-memory", "64MiB"}),
            0)
      << err_.str();
  EXPECT_NE(out_.str().find("inserted          5 rows"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("updated           5 keys"), std::string::npos);
  EXPECT_NE(out_.str().find("files rewritten   1"), std::string::npos);
  EXPECT_NE(out_.str().find("files untouched   2"), std::string::npos);
  EXPECT_NE(out_.str().find("dataset rows      30 -> 35"), std::string::npos);
  EXPECT_NE(err_.str().find("100%"), std::string::npos);  // the progress bar finished
  ASSERT_OK_AND_ASSIGN(auto target, io::ResolveLocation(nullptr, tmp_.path() + "/target"));
  ASSERT_OK_AND_ASSIGN(auto table, io::ReadParquet(target));
  EXPECT_EQ(table->num_rows(), 35);
}

std::string ReadText(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST_F(MergeCommandTest, ReportHoldsTheMergesStoryAndSummaryShowsPhases) {
  const std::string report = tmp_.path() + "/merge.html";
  ASSERT_EQ(Run({"merge", tmp_.path() + "/src.parquet", tmp_.path() + "/target", "--key", "id",
                 "--max-memory", "64MiB", "--quiet", "--report", report}),
            0)
      << err_.str();
  for (const char* phase : {"key_index", "planning", "rewrites", "commit"}) {
    EXPECT_NE(out_.str().find(std::string("    ") + phase), std::string::npos) << phase << out_.str();
  }
  EXPECT_NE(out_.str().find("report            " + report), std::string::npos);
  std::string html = ReadText(report);
  EXPECT_NE(html.find("fsspeckit merge: upsert into"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("pool budget 64 MiB"), std::string::npos);
  EXPECT_NE(html.find("rows inserted"), std::string::npos);
  EXPECT_NE(html.find("rewrite part-"), std::string::npos) << "the rewritten file names a task";
  // A report that could not be written is refused before the merge runs.
  EXPECT_EQ(Run({"merge", tmp_.path() + "/src.parquet", tmp_.path() + "/target", "--key", "id",
                 "--report", tmp_.path() + "/missing/merge.html"}),
            2);
  EXPECT_NE(err_.str().find("does not exist"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(auto target, io::ResolveLocation(nullptr, tmp_.path() + "/target"));
  ASSERT_OK_AND_ASSIGN(auto table, io::ReadParquet(target));
  EXPECT_EQ(table->num_rows(), 35);  // merged once
}

TEST_F(MergeCommandTest, BadUsageAndFailuresHaveExitCodes) {
  EXPECT_EQ(Run({"merge", tmp_.path() + "/src.parquet"}), 2);
  EXPECT_NE(err_.str().find("give SOURCE, TARGET and --key"), std::string::npos);
  EXPECT_EQ(Run({"merge", tmp_.path() + "/src.parquet", tmp_.path() + "/target", "--key", "id",
                 "--strategy", "replace"}),
            2);
  EXPECT_NE(err_.str().find("strategy must be one of"), std::string::npos);
  EXPECT_EQ(Run({"merge", tmp_.path() + "/missing", tmp_.path() + "/target", "--key", "id"}), 1);
  EXPECT_NE(err_.str().find("Dataset path does not exist"), std::string::npos);
  EXPECT_EQ(Run({"merge", "a", "b", "--key", "id", "--max-memory", "lots"}), 2);
  EXPECT_EQ(Run({"recover", tmp_.path() + "/target"}), 0);
  EXPECT_NE(out_.str().find("nothing to recover"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::cli
