#include "fsspeckit/perf/html_report.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"
#include "testing/temp_dir.h"

namespace fsspeckit::perf {
namespace {

using fsspeckit::testing::FakeClock;
using fsspeckit::testing::FakeMemorySource;
using fsspeckit::testing::MiB;

// A short operation under a 256 MiB pool budget that climbs into WARNING once.
PerformanceMetrics RecordedMetrics() {
  auto source = std::make_shared<FakeMemorySource>();
  memory::SystemReadings readings;
  readings.rss_bytes = MiB(300);
  readings.mem_available_bytes = MiB(3000);
  source->SetSystem(readings);
  FakeClock clock;
  memory::MemoryMonitorOptions options;
  options.limits = {MiB(256), MiB(1024), MiB(512)};
  options.source = source;
  options.now_ns = clock.Fn();
  options.cache_ttl_ms = 0;
  auto perf = PerformanceMonitor::Make(memory::MemoryMonitor::Make(options).ValueOrDie(), clock.Fn());
  perf->StartOp("planning");
  for (int i = 0; i < 40; ++i) {
    if (i == 10) perf->StartOp("rewrites");
    clock.AdvanceMs(25);
    source->pool_bytes = MiB(i < 10 ? 20 : 60 + 4 * i);
    if (i == 30) perf->OnPoolRelease();
    perf->TrackMemory();
  }
  perf->StartOp("commit <&>");
  clock.AdvanceMs(50);
  perf->EndOp();
  return perf->Metrics(1000, 1100, MiB(5));
}

TEST(HtmlReportTest, IsSelfContainedHoldsTheChartAndNamesTheBudgets) {
  ReportContent content{"fsspeckit merge: upsert into /data/orders",
                        {{"inserted", "100 rows"}, {"files rewritten", "3"}},
                        RecordedMetrics()};
  std::string html = RenderHtmlReport(content);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  // Nothing is fetched: no external scripts, styles, images or fonts.
  for (const char* fetch : {"src=", "href=", "@import", "url(", "http://", "https://"}) {
    if (std::string(fetch) == "http://") {
      // The SVG namespace is an identifier, not a fetch; nothing else may name a URL.
      std::string without = html;
      size_t at = without.find("xmlns='http://www.w3.org/2000/svg'");
      ASSERT_NE(at, std::string::npos);
      without.erase(at, 34);
      EXPECT_EQ(without.find(fetch), std::string::npos) << fetch;
    } else {
      EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
    }
  }
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);  // the memory lines
  EXPECT_NE(html.find("pool budget 256 MiB"), std::string::npos);
  EXPECT_NE(html.find("RSS budget 1024 MiB"), std::string::npos);
  EXPECT_NE(html.find("keep 512 MiB free"), std::string::npos);
  EXPECT_NE(html.find("The memory budget held."), std::string::npos);
  EXPECT_NE(html.find("pool peak 216 MiB"), std::string::npos);  // 60 + 4 * 39
  EXPECT_NE(html.find("pool memory released"), std::string::npos);
  EXPECT_NE(html.find("files rewritten"), std::string::npos);
  EXPECT_NE(html.find("rewrites"), std::string::npos);
  EXPECT_NE(html.find("commit &lt;&amp;&gt;"), std::string::npos);  // names are escaped
  EXPECT_EQ(html.find("commit <&>"), std::string::npos);
  // The hover readout's data: every sample, names escaped for a script element.
  EXPECT_NE(html.find("<script type='application/json' id='samples'>{\"t\":["), std::string::npos);
  EXPECT_NE(html.find("\"commit \\u003c&>\""), std::string::npos);
}

TEST(HtmlReportTest, OverBudgetSaysSo) {
  PerformanceMetrics metrics = RecordedMetrics();
  metrics.memory_peak_bytes = MiB(300);
  std::string html = RenderHtmlReport({"scan", {}, metrics});
  EXPECT_NE(html.find("The memory budget was exceeded."), std::string::npos);
}

TEST(HtmlReportTest, WritesTheFileOrNamesThePath) {
  fsspeckit::testing::TempDir dir;
  const std::string path = dir.path() + "/report.html";
  ReportContent content{"scan", {}, RecordedMetrics()};
  ASSERT_OK(WriteHtmlReport(content, path));
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(text.str(), RenderHtmlReport(content));
  arrow::Status missing = WriteHtmlReport(content, dir.path() + "/no/such/dir/report.html");
  EXPECT_TRUE(missing.IsIOError());
  EXPECT_NE(missing.message().find("no/such/dir/report.html"), std::string::npos);
}

}  // namespace
}  // namespace fsspeckit::perf
