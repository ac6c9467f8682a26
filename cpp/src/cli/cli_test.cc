#include "fsspeckit/cli/cli.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <arrow/buffer.h>

#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::cli {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(CliTest, NoCommandIsUsageError) {
  CliRun run = Cli({});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("usage: fsspeckit"), std::string::npos);
}

TEST(CliTest, UnknownCommandNamesIt) {
  CliRun run = Cli({"frobnicate"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(CliTest, StatusReportShowsEveryReadingAndTheLevel) {
  CliRun run = Cli({"status", "--max-pyarrow", "1GiB", "--max-process", "64GiB"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("fsspeckit memory status: NORMAL"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("of 1.00 GiB budget"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Process RSS"), std::string::npos);
  EXPECT_NE(run.out.find("of 64.0 GiB budget"), std::string::npos);
  EXPECT_NE(run.out.find("System available"), std::string::npos);
  EXPECT_NE(run.out.find("MemAvailable"), std::string::npos);
}

TEST(CliTest, StatusLevelFollowsRealAllocations) {
  // 48 MiB held against a 64 MiB budget is 75%: WARNING.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<arrow::Buffer> held,
                       arrow::AllocateBuffer(int64_t{48} << 20));
  CliRun run = Cli({"status", "--max-pyarrow", "64MiB", "--min-available", "0"});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("fsspeckit memory status: WARNING"), std::string::npos) << run.out;
}

TEST(CliTest, WatchPrintsOneLinePerSample) {
  CliRun run = Cli({"status", "--watch", "0.01", "--count", "3"});
  ASSERT_EQ(run.code, 0) << run.err;
  int lines = 0;
  for (char c : run.out) lines += c == '\n';
  EXPECT_EQ(lines, 3);
  EXPECT_NE(run.out.find(" pool "), std::string::npos);
}

TEST(CliTest, WatchWritesAReportOfItsSamples) {
  fsspeckit::testing::TempDir dir;
  const std::string report = dir.path() + "/status.html";
  CliRun run = Cli({"status", "--watch", "0.01", "--count", "4", "--max-pyarrow", "100MiB",
                    "--report", report});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("report: " + report), std::string::npos);
  std::ifstream file(report);
  std::stringstream html;
  html << file.rdbuf();
  EXPECT_NE(html.str().find("fsspeckit status: memory every 0.01 s"), std::string::npos);
  EXPECT_NE(html.str().find("<polyline"), std::string::npos);
  EXPECT_NE(html.str().find("pool budget 100 MiB"), std::string::npos);
  CliRun no_count = Cli({"status", "--watch", "1", "--report", report});
  EXPECT_EQ(no_count.code, 2);
  EXPECT_NE(no_count.err.find("--report needs --watch SECONDS and --count N"), std::string::npos);
}

TEST(CliTest, BadOptionsAreUsageErrors) {
  CliRun bad_size = Cli({"status", "--max-pyarrow", "lots"});
  EXPECT_EQ(bad_size.code, 2);
  EXPECT_NE(bad_size.err.find("not a size: 'lots'"), std::string::npos);
  CliRun zero_budget = Cli({"status", "--max-pyarrow", "0"});
  EXPECT_EQ(zero_budget.code, 2);
  EXPECT_NE(zero_budget.err.find("--max-memory must be positive"), std::string::npos) << zero_budget.err;
  CliRun bad_watch = Cli({"status", "--watch", "-1"});
  EXPECT_EQ(bad_watch.code, 2);
  CliRun missing = Cli({"status", "--count"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("--count needs a value"), std::string::npos);
  CliRun unknown = Cli({"status", "--bogus"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown option '--bogus'"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::cli
