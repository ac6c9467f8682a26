#include "fsspeckit/memory/memory_monitor.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fsspeckit/log/log.h"
#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"

namespace fsspeckit::memory {
namespace {

using fsspeckit::testing::FakeClock;
using fsspeckit::testing::FakeMemorySource;
using fsspeckit::testing::MiB;

class MemoryMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = std::make_shared<FakeMemorySource>();
    SystemReadings readings;
    readings.rss_bytes = MiB(100);
    readings.mem_available_bytes = MiB(8000);
    source_->SetSystem(readings);
    log::SetLogSink([this](log::LogLevel level, std::string_view message) {
      logged_.emplace_back(level, std::string(message));
    });
  }
  void TearDown() override { log::SetLogSink(nullptr); }

  std::unique_ptr<MemoryMonitor> Make(MemoryLimits limits) {
    MemoryMonitorOptions options;
    options.limits = limits;
    options.source = source_;
    options.now_ns = clock_.Fn();
    auto result = MemoryMonitor::Make(std::move(options));
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return std::move(result).ValueOrDie();
  }

  std::shared_ptr<FakeMemorySource> source_;
  FakeClock clock_;
  std::vector<std::pair<log::LogLevel, std::string>> logged_;
};

TEST_F(MemoryMonitorTest, SystemReadingsAreCachedFor100Ms) {
  auto monitor = Make({MiB(1000), MiB(2000), MiB(512)});
  int reads_after_make = source_->system_reads;
  EXPECT_EQ(monitor->Snapshot().system.rss_bytes, MiB(100));
  SystemReadings changed;
  changed.rss_bytes = MiB(1900);
  changed.mem_available_bytes = MiB(8000);
  source_->SetSystem(changed);

  clock_.AdvanceMs(99);
  EXPECT_EQ(monitor->Snapshot().system.rss_bytes, MiB(100));  // still cached
  EXPECT_EQ(monitor->Level(), PressureLevel::kNormal);
  EXPECT_EQ(source_->system_reads, reads_after_make);

  clock_.AdvanceMs(1);  // 100 ms: expired
  EXPECT_EQ(monitor->Level(), PressureLevel::kCritical);
  EXPECT_EQ(monitor->Snapshot().system.rss_bytes, MiB(1900));
  EXPECT_EQ(source_->system_reads, reads_after_make + 1);
}

TEST_F(MemoryMonitorTest, PoolIsReadFreshDespiteTheCache) {
  auto monitor = Make({MiB(1000), std::nullopt, MiB(512)});
  EXPECT_EQ(monitor->Level(), PressureLevel::kNormal);
  source_->pool_bytes = MiB(950);
  EXPECT_EQ(monitor->Level(), PressureLevel::kCritical);  // same instant, no expiry
  EXPECT_EQ(monitor->Snapshot().pool_bytes, MiB(950));
}

TEST_F(MemoryMonitorTest, FreshSnapshotBypassesTheCache) {
  auto monitor = Make({MiB(1000), std::nullopt, MiB(512)});
  SystemReadings changed;
  changed.mem_available_bytes = MiB(100);
  source_->SetSystem(changed);
  EXPECT_EQ(monitor->Snapshot().system.mem_available_bytes, MiB(8000));
  MemorySnapshot fresh = monitor->FreshSnapshot();
  EXPECT_EQ(fresh.system.mem_available_bytes, MiB(100));
  EXPECT_EQ(monitor->Evaluate(fresh), PressureLevel::kEmergency);
  // and the refreshed readings are what the cache now holds
  EXPECT_EQ(monitor->Level(), PressureLevel::kEmergency);
}

TEST_F(MemoryMonitorTest, ZeroTtlReadsEveryTime) {
  MemoryMonitorOptions options;
  options.source = source_;
  options.now_ns = clock_.Fn();
  options.cache_ttl_ms = 0;
  ASSERT_OK_AND_ASSIGN(auto monitor, MemoryMonitor::Make(std::move(options)));
  int before = source_->system_reads;
  monitor->Level();
  monitor->Level();
  EXPECT_EQ(source_->system_reads, before + 2);
}

TEST_F(MemoryMonitorTest, CheckPressureLogsAWarningWithTheDetailedStatus) {
  auto monitor = Make({MiB(1024), MiB(4096), MiB(512)});
  logged_.clear();
  EXPECT_EQ(monitor->CheckPressure(), PressureLevel::kNormal);
  EXPECT_TRUE(logged_.empty());
  source_->pool_bytes = MiB(800);
  EXPECT_EQ(monitor->CheckPressure(), PressureLevel::kWarning);
  ASSERT_EQ(logged_.size(), 1u);
  EXPECT_EQ(logged_[0].first, log::LogLevel::kWarning);
  EXPECT_EQ(logged_[0].second,
            "Memory pressure detected: warning. PyArrow: 800.0/1024 MB | "
            "Process RSS: 100.0/4096 MB | System Available: 8000.0 MB (min: 512 MB)");
}

TEST_F(MemoryMonitorTest, DetailedStatusLeavesOutAbsentReadingsAndUnsetLimits) {
  auto monitor = Make({MiB(2048), std::nullopt, MiB(512)});
  MemorySnapshot snapshot;
  snapshot.pool_bytes = MiB(1.25);
  EXPECT_EQ(monitor->DetailedStatus(snapshot), "PyArrow: 1.2/2048 MB");
  snapshot.system.rss_bytes = MiB(300);
  EXPECT_EQ(monitor->DetailedStatus(snapshot), "PyArrow: 1.2/2048 MB | Process RSS: 300.0 MB");
  ASSERT_OK(monitor->SetLimits({MiB(0.5), MiB(1000), 0}));
  snapshot.system.mem_available_bytes = MiB(10);
  EXPECT_EQ(monitor->DetailedStatus(snapshot),
            "PyArrow: 1.2/0.5 MB | Process RSS: 300.0/1000 MB | "
            "System Available: 10.0 MB (min: 0 MB)");
}

TEST_F(MemoryMonitorTest, MissingSystemReadingsLogTheFallbackOnce) {
  source_->SetSystem({});
  logged_.clear();
  auto monitor = Make({MiB(1000), MiB(2000), MiB(512)});
  ASSERT_EQ(logged_.size(), 1u);
  EXPECT_EQ(logged_[0].first, log::LogLevel::kDebug);
  EXPECT_EQ(logged_[0].second,
            "psutil not available; system memory thresholds will be ignored.");
  // Only the pool is evaluated.
  source_->pool_bytes = MiB(10);
  EXPECT_EQ(monitor->Level(), PressureLevel::kNormal);
}

TEST_F(MemoryMonitorTest, InvalidLimitsAreRejectedAndOldOnesKept) {
  MemoryMonitorOptions options;
  options.limits.max_pool_bytes = 0;
  options.source = source_;
  ASSERT_RAISES(Invalid, MemoryMonitor::Make(options).status());
  auto monitor = Make({MiB(1000), std::nullopt, MiB(512)});
  ASSERT_RAISES(Invalid, monitor->SetLimits({-1, std::nullopt, 0}));
  EXPECT_EQ(monitor->limits().max_pool_bytes, MiB(1000));
}

TEST(ShouldCheckTest, EveryNthChunkStartingAtZero) {
  ASSERT_OK_AND_ASSIGN(bool at_zero, MemoryMonitor::ShouldCheck(0, 10));
  EXPECT_TRUE(at_zero);
  ASSERT_OK_AND_ASSIGN(bool at_five, MemoryMonitor::ShouldCheck(5, 10));
  EXPECT_FALSE(at_five);
  ASSERT_OK_AND_ASSIGN(bool at_twenty, MemoryMonitor::ShouldCheck(20, 10));
  EXPECT_TRUE(at_twenty);
  ASSERT_RAISES(Invalid, MemoryMonitor::ShouldCheck(3, 0).status());
}

TEST(MemoryMonitorRealTest, DefaultMonitorReadsThisProcess) {
  ASSERT_OK_AND_ASSIGN(auto monitor, MemoryMonitor::Make());
  MemorySnapshot snapshot = monitor->Snapshot();
  EXPECT_TRUE(snapshot.system.rss_bytes.has_value());
  EXPECT_TRUE(SystemAvailableBytes(snapshot.system).has_value());
}

}  // namespace
}  // namespace fsspeckit::memory
