#include "fsspeckit/merge/merge_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <arrow/array/builder_primitive.h>
#include <arrow/buffer.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/plan.h>
#include <arrow/table.h>

#include "fsspeckit/io/write_dataset.h"
#include "testing/id_table.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::merge {
namespace {

using fsspeckit::testing::Ids;

class MergeReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    arrow::dataset::internal::Initialize();
    ASSERT_OK_AND_ASSIGN(target_, io::ResolveLocation(nullptr, tmp_.path() + "/target"));
    io::WriteDatasetOptions options;
    options.max_rows_per_file = 4000;
    options.row_group_size = 1000;
    ASSERT_OK(io::WriteDataset(Ids(0, 12000), target_, options).status());
  }
  MergeOptions Options(int64_t budget_bytes) {
    MergeOptions options;
    options.strategy = Strategy::kUpsert;
    options.key_columns = {"id"};
    options.limits = {budget_bytes, std::nullopt, 0};  // the pool alone is judged
    options.collect = [this] { ++collections_; };
    options.max_rows_per_file = 4000;  // files full: new keys are an insert task, a phase
    return options;
  }
  fsspeckit::testing::TempDir tmp_;
  io::Location target_;
  int collections_ = 0;
};

// The Arrow pool is process-wide, and each test runs in its own process: holding 52 MiB
// of a 64 MiB budget (81%) puts the merge at WARNING from its first row group.
TEST_F(MergeReportTest, AMergeUnderPressureShowsTheLadderInItsTimeline) {
  const int64_t budget = int64_t{64} << 20;
  ASSERT_OK_AND_ASSIGN(auto held, arrow::AllocateBuffer(int64_t{52} << 20));
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Ids(11000, 2000), target_, Options(budget)));
  held.reset();
  const perf::Timeline& timeline = result.metrics.timeline;
  int64_t collections = 0, releases = 0;
  for (const perf::TimelineEvent& event : timeline.events) {
    if (event.kind == perf::TimelineEventKind::kCollection) collections += event.count;
    if (event.kind == perf::TimelineEventKind::kPoolRelease) releases += event.count;
    EXPECT_FALSE(timeline.label(event.label).empty());  // each names its phase or file
  }
  EXPECT_GE(collections, 1);
  EXPECT_EQ(collections, collections_);
  EXPECT_EQ(releases, result.metrics.degradation.pool_releases);
  bool warned = false;
  for (const perf::TimelineSample& sample : timeline.samples) {
    warned |= sample.level == memory::PressureLevel::kWarning;
  }
  EXPECT_TRUE(warned);

  std::string html = perf::RenderHtmlReport(MergeReportContent(result, "data/target"));
  EXPECT_NE(html.find("fsspeckit merge: upsert into data/target"), std::string::npos);
  EXPECT_NE(html.find("pool memory released"), std::string::npos);
  EXPECT_NE(html.find("Under pressure the degradation ladder acted"), std::string::npos);
}

TEST_F(MergeReportTest, ReportNamesTheMergesFactsAndPhases) {
  ASSERT_OK_AND_ASSIGN(MergeResult result, Merge(Ids(11000, 2000), target_, Options(int64_t{256} << 20)));
  perf::ReportContent content = MergeReportContent(result, "data/target");
  std::map<std::string, std::string> facts(content.facts.begin(), content.facts.end());
  EXPECT_EQ(facts["rows inserted"], "1,000");
  EXPECT_EQ(facts["keys updated"], "1,000");
  EXPECT_EQ(facts["files rewritten"], "1");
  EXPECT_EQ(facts["dataset rows"], "12,000 \u2192 13,000");
  // The calls it made to the store, by kind: listed, read, wrote, moved, deleted.
  for (const char* kind : {"list", "read", "write", "move", "delete"}) {
    EXPECT_GT(result.requests[kind], 0) << kind;
  }
  EXPECT_NE(facts["store requests"].find("read " + std::to_string(result.requests["read"])),
            std::string::npos) << facts["store requests"];
  std::vector<std::string> phases;
  for (const auto& [name, seconds] : result.metrics.operation_breakdown_sec) phases.push_back(name);
  EXPECT_EQ(phases, (std::vector<std::string>{"key_index", "planning", "rewrites", "inserts", "commit"}));
  const std::string report = tmp_.path() + "/merge.html";
  ASSERT_OK(WriteMergeReport(result, "data/target", report));
  EXPECT_TRUE(std::filesystem::file_size(report) > 1000);
}

}  // namespace
}  // namespace fsspeckit::merge
