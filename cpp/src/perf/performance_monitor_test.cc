#include "fsspeckit/perf/performance_monitor.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fsspeckit::perf
