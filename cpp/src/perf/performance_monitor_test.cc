#include "fsspeckit/perf/performance_monitor.h"

#include <thread>

#include <gtest/gtest.h>

#include "fsspeckit/memory/degradation_ladder.h"

#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"

namespace fsspeckit::perf {
namespace {

using fsspeckit::testing::FakeClock;
using fsspeckit::testing::FakeMemorySource;
using fsspeckit::testing::MiB;
using memory::PressureLevel;

class PerformanceMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = std::make_shared<FakeMemorySource>();
    memory::SystemReadings readings;
    readings.rss_bytes = MiB(300);
    readings.mem_available_bytes = MiB(4000);
    source_->SetSystem(readings);
    memory::MemoryMonitorOptions options;
    options.limits = {MiB(1000), MiB(2000), MiB(512)};
    options.source = source_;
    options.now_ns = clock_.Fn();
    options.cache_ttl_ms = 0;
    auto monitor = memory::MemoryMonitor::Make(std::move(options));
    ASSERT_TRUE(monitor.ok());
    perf_ = PerformanceMonitor::Make(std::move(monitor).ValueOrDie(), clock_.Fn());
  }

  std::shared_ptr<FakeMemorySource> source_;
  FakeClock clock_;
  std::unique_ptr<PerformanceMonitor> perf_;
};

TEST_F(PerformanceMonitorTest, OperationsAccumulateInOrderOfFirstStart) {
  perf_->StartOp("read");
  clock_.AdvanceMs(100);
  perf_->StartOp("write");  // ends "read"
  clock_.AdvanceMs(50);
  perf_->EndOp();
  perf_->StartOp("read");
  clock_.AdvanceMs(25);
  perf_->EndOp();
  EXPECT_FALSE(perf_->current_op().has_value());
  PerformanceMetrics m = perf_->Metrics(1000, 900, MiB(10));
  ASSERT_EQ(m.operation_breakdown_sec.size(), 2u);
  EXPECT_EQ(m.operation_breakdown_sec[0].first, "read");
  EXPECT_DOUBLE_EQ(m.operation_breakdown_sec[0].second, 0.125);
  EXPECT_EQ(m.operation_breakdown_sec[1].first, "write");
  EXPECT_DOUBLE_EQ(m.operation_breakdown_sec[1].second, 0.05);
  EXPECT_DOUBLE_EQ(m.total_process_time_sec, 0.175);
  EXPECT_DOUBLE_EQ(m.rows_per_sec, 1000 / 0.175);
  EXPECT_DOUBLE_EQ(m.throughput_bytes_per_sec, MiB(10) / 0.175);
  EXPECT_DOUBLE_EQ(m.dedup_efficiency, 0.1);
}

TEST_F(PerformanceMonitorTest, PeaksFollowEveryCallAndCountsFollowTime) {
  source_->pool_bytes = MiB(800);  // WARNING
  perf_->TrackMemory();            // counted (first sample)
  source_->pool_bytes = MiB(950);  // CRITICAL, within the sample interval
  perf_->TrackMemory();            // peak updated, level kept as the worst uncounted
  source_->pool_bytes = MiB(10);
  clock_.AdvanceMs(100);
  perf_->TrackMemory();            // counted: the window's worst, CRITICAL
  EXPECT_EQ(perf_->memory_peak_bytes(), MiB(950));
  EXPECT_EQ(perf_->process_memory_peak_bytes(), MiB(300));
  PerformanceMetrics m = perf_->Metrics(0, 0, 0);  // forced sample: NORMAL
  EXPECT_EQ(m.pressure_counts[static_cast<int>(PressureLevel::kNormal)], 1);
  EXPECT_EQ(m.pressure_counts[static_cast<int>(PressureLevel::kWarning)], 1);
  EXPECT_EQ(m.pressure_counts[static_cast<int>(PressureLevel::kCritical)], 1);
  EXPECT_EQ(m.pressure_counts[static_cast<int>(PressureLevel::kEmergency)], 0);
  EXPECT_EQ(m.memory_peak_bytes, MiB(950));
  EXPECT_EQ(m.system_available_bytes, MiB(4000));
  EXPECT_DOUBLE_EQ(m.dedup_efficiency, 0.0);  // no rows: no division
}

TEST_F(PerformanceMonitorTest, ZeroElapsedTimeGivesZeroRates) {
  PerformanceMetrics m = perf_->Metrics(100, 150, 1000);
  EXPECT_DOUBLE_EQ(m.total_process_time_sec, 0.0);
  EXPECT_DOUBLE_EQ(m.rows_per_sec, 0.0);
  EXPECT_DOUBLE_EQ(m.throughput_bytes_per_sec, 0.0);
  EXPECT_DOUBLE_EQ(m.dedup_efficiency, -0.5);  // upserts add rows
}

TEST_F(PerformanceMonitorTest, CountersAndDegradationAreReported) {
  perf_->AddFiles(3);
  perf_->AddChunks(7);
  perf_->AddRows(70);
  perf_->OnChunkSize(1000, false);
  perf_->OnCollection();
  perf_->OnPoolRelease();
  perf_->OnChunkSize(500, true);
  perf_->OnChunkSize(1000, false);  // grew back: smallest stays 500
  PerformanceMetrics m = perf_->Metrics(0, 0, 0);
  EXPECT_EQ(m.files_processed, 3);
  EXPECT_EQ(m.chunks_processed, 7);
  EXPECT_EQ(perf_->counters().total_rows_processed, 70);
  EXPECT_EQ(m.degradation.collections, 1);
  EXPECT_EQ(m.degradation.pool_releases, 1);
  EXPECT_EQ(m.degradation.chunk_size_reductions, 1);
  EXPECT_EQ(m.degradation.smallest_chunk_size_rows, 500);
  PerformanceMonitor::Counters counters = perf_->counters();
  counters.files_processed = 42;
  perf_->set_counters(counters);
  EXPECT_EQ(perf_->Metrics(0, 0, 0).files_processed, 42);
}

TEST_F(PerformanceMonitorTest, TimelineSamplesCarryReadingsAndThePhaseOrTask) {
  perf_->StartOp("planning");
  clock_.AdvanceMs(10);
  source_->pool_bytes = MiB(100);
  perf_->TrackMemory();
  perf_->StartOp("rewrites");
  {
    PerformanceMonitor::Task task = perf_->StartTask("rewrite a.parquet");
    clock_.AdvanceMs(10);
    source_->pool_bytes = MiB(950);  // CRITICAL
    perf_->TrackMemory();
    std::thread([&] { perf_->TrackMemory(); }).join();  // another thread: the phase
  }
  clock_.AdvanceMs(10);
  perf_->TrackMemory();
  PerformanceMetrics m = perf_->Metrics(0, 0, 0);
  const Timeline& t = m.timeline;
  EXPECT_EQ(t.limits.max_pool_bytes, MiB(1000));
  ASSERT_GE(t.samples.size(), 4u);
  // Checks of one label in one bucket share a point; different labels keep their own.
  auto at = [&](int64_t ms, std::string_view label) {
    const TimelineSample* found = nullptr;
    for (const TimelineSample& s : t.samples) {
      if (s.time_ns == ms * 1'000'000 && t.label(s.label) == label) found = &s;
    }
    return found;
  };
  ASSERT_NE(at(10, "planning"), nullptr);
  EXPECT_EQ(at(10, "planning")->pool_bytes, MiB(100));
  EXPECT_EQ(at(10, "planning")->rss_bytes, MiB(300));
  EXPECT_EQ(at(10, "planning")->available_bytes, MiB(4000));
  ASSERT_NE(at(20, "rewrite a.parquet"), nullptr);
  EXPECT_EQ(at(20, "rewrite a.parquet")->level, PressureLevel::kCritical);
  ASSERT_NE(at(20, "rewrites"), nullptr);  // the other thread's check: the phase
  ASSERT_NE(at(30, "rewrites"), nullptr);  // the task ended
  EXPECT_EQ(at(30, "rewrite a.parquet"), nullptr);
  // Phases: planning closed, rewrites still open at the report.
  ASSERT_EQ(t.phases.size(), 2u);
  EXPECT_EQ(t.label(t.phases[0].label), "planning");
  EXPECT_EQ(t.phases[0].end_ns, 10'000'000);
  EXPECT_EQ(t.label(t.phases[1].label), "rewrites");
  EXPECT_EQ(t.phases[1].end_ns, 30'000'000);
}

TEST_F(PerformanceMonitorTest, TaskTimedAsAPhaseOverlapsTheCurrentOne) {
  perf_->StartOp("rewrites");
  clock_.AdvanceMs(1);
  {
    PerformanceMonitor::Task inserts = perf_->StartTask("inserts", "inserts");
    clock_.AdvanceMs(39);
  }
  clock_.AdvanceMs(60);
  perf_->EndOp();
  PerformanceMetrics m = perf_->Metrics(0, 0, 0);
  ASSERT_EQ(m.operation_breakdown_sec.size(), 2u);  // in order of first start
  EXPECT_EQ(m.operation_breakdown_sec[0].first, "rewrites");
  EXPECT_DOUBLE_EQ(m.operation_breakdown_sec[0].second, 0.1);
  EXPECT_EQ(m.operation_breakdown_sec[1].first, "inserts");
  EXPECT_DOUBLE_EQ(m.operation_breakdown_sec[1].second, 0.039);
}

TEST_F(PerformanceMonitorTest, LongRunTimelineIsBoundedAndKeepsTheTruePeak) {
  perf_->StartOp("scan");
  for (int i = 0; i < 50'000; ++i) {
    clock_.AdvanceMs(3);
    source_->pool_bytes = MiB(10 + (i * 37) % 200);
    if (i == 31'337) source_->pool_bytes = MiB(777);
    perf_->TrackMemory();
    if (i % 1000 == 0) perf_->StartOp(i % 2000 == 0 ? "scan" : "write");  // phases repeat
  }
  PerformanceMetrics m = perf_->Metrics(0, 0, 0);
  const Timeline& t = m.timeline;
  EXPECT_LE(t.samples.size(), kTimelineSampleCapacity);
  EXPECT_LE(t.phases.size(), kTimelinePhaseCapacity + 1);  // + the open one
  EXPECT_GE(t.checks, 50'000);
  int64_t peak = 0;
  for (size_t i = 1; i < t.samples.size(); ++i) {
    EXPECT_LT(t.samples[i - 1].time_ns, t.samples[i].time_ns);
  }
  for (const TimelineSample& s : t.samples) peak = std::max(peak, s.pool_bytes);
  EXPECT_EQ(peak, MiB(777));
  EXPECT_EQ(m.memory_peak_bytes, MiB(777));
  EXPECT_EQ(t.labels.size(), 2u);  // names are kept once
}

TEST_F(PerformanceMonitorTest, ManyNamesShareOneLabelButKeepTheirTimes) {
  const int names = static_cast<int>(kTimelineLabelCapacity) + 50;
  for (int i = 0; i < names; ++i) {
    perf_->StartOp("op" + std::to_string(i));
    clock_.AdvanceMs(1);
  }
  perf_->EndOp();
  PerformanceMetrics m = perf_->Metrics(0, 0, 0);
  EXPECT_EQ(m.timeline.labels.size(), kTimelineLabelCapacity);
  EXPECT_EQ(m.timeline.labels.back(), kOtherTasksLabel);
  ASSERT_EQ(m.operation_breakdown_sec.size(), static_cast<size_t>(names));
  EXPECT_EQ(m.operation_breakdown_sec.back().first, "op" + std::to_string(names - 1));
}

TEST_F(PerformanceMonitorTest, LadderStepsBecomeTimelineEvents) {
  memory::DegradationLadderOptions options;
  options.requested_chunk_size_rows = 8192;
  options.recovery_readings = 1;
  options.collect = [] {};
  options.observer = perf_.get();
  memory::DegradationLadder ladder(perf_->shared_memory_monitor(), options);
  perf_->StartOp("scan");
  source_->pool_bytes = MiB(950);  // CRITICAL: collect, release, halve
  ASSERT_OK(ladder.Step());
  clock_.AdvanceMs(5);
  source_->pool_bytes = MiB(10);  // NORMAL: doubles back
  ASSERT_OK(ladder.Step());
  clock_.AdvanceMs(5);
  source_->pool_bytes = MiB(1200);  // EMERGENCY, and still after the re-read: fails
  EXPECT_TRUE(ladder.Step().IsOutOfMemory());
  PerformanceMetrics m = perf_->Metrics(0, 0, 0);
  std::vector<std::string> seen;
  for (const TimelineEvent& e : m.timeline.events) {
    seen.push_back(std::string(TimelineEventName(e.kind)) + "@" + std::to_string(e.time_ns / 1'000'000));
    EXPECT_EQ(m.timeline.label(e.label), "scan");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"collection@0", "pool_release@0", "chunk_halved@0",
                                            "chunk_doubled@5", "collection@10", "pool_release@10",
                                            "chunk_halved@10", "emergency_recheck@10"}));
  EXPECT_EQ(m.timeline.events[2].value, 4096);
  EXPECT_EQ(m.timeline.events.back().value, static_cast<int64_t>(PressureLevel::kEmergency));
}

}  // namespace
}  // namespace fsspeckit::perf
