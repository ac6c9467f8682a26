#include "fsspeckit/memory/degradation_ladder.h"

#include <gtest/gtest.h>

#include <vector>

#include "fsspeckit/log/log.h"
#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"

namespace fsspeckit::memory {
namespace {

using fsspeckit::testing::FakeMemorySource;
using fsspeckit::testing::MiB;

struct RecordingObserver : DegradationObserver {
  void OnCollection() override { ++collections; }
  void OnPoolRelease() override { ++releases; }
  void OnChunkSize(int64_t rows, bool reduced) override {
    sizes.push_back(rows);
    reductions += reduced;
  }
  int collections = 0, releases = 0, reductions = 0;
  std::vector<int64_t> sizes;
};

class DegradationLadderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = std::make_shared<FakeMemorySource>();
    MemoryMonitorOptions options;
    options.limits = {MiB(1000), std::nullopt, 0};  // only the pool counts
    options.source = source_;
    options.cache_ttl_ms = 0;
    monitor_ = std::shared_ptr<MemoryMonitor>(MemoryMonitor::Make(options).ValueOrDie());
    log::SetLogSink([this](log::LogLevel level, std::string_view message) {
      if (level == log::LogLevel::kError) errors_.emplace_back(message);
    });
  }
  void TearDown() override { log::SetLogSink(nullptr); }

  DegradationLadder Make(int64_t requested, int64_t floor, int64_t relieve_interval_ms = 0) {
    DegradationLadderOptions options;
    options.requested_chunk_size_rows = requested;
    options.min_chunk_size_rows = floor;
    options.relieve_interval_ms = relieve_interval_ms;
    options.collect = [this] {
      ++collect_calls_;
      if (collect_frees_) source_->pool_bytes = 0;
    };
    options.observer = &observer_;
    return DegradationLadder(monitor_, options);
  }

  // Pool fill that produces each level against the 1000 MiB budget.
  void Set(PressureLevel level) {
    static constexpr double kMiB[] = {10, 800, 950, 1000};
    source_->pool_bytes = MiB(kMiB[static_cast<int>(level)]);
  }

  std::shared_ptr<FakeMemorySource> source_;
  std::shared_ptr<MemoryMonitor> monitor_;
  RecordingObserver observer_;
  int collect_calls_ = 0;
  bool collect_frees_ = false;
  std::vector<std::string> errors_;
};

TEST_F(DegradationLadderTest, ScriptedPressureShrinksToTheFloorAndRecovers) {
  DegradationLadder ladder = Make(1000, 100);
  using L = PressureLevel;
  const std::vector<std::pair<L, int64_t>> script = {
      {L::kWarning, 1000}, {L::kCritical, 500}, {L::kCritical, 250}, {L::kCritical, 125},
      {L::kCritical, 100}, {L::kCritical, 100},  // the floor holds
      {L::kNormal, 100},   {L::kNormal, 100},   {L::kNormal, 200},   // 3 normals: double
      {L::kWarning, 200},  {L::kNormal, 200},   {L::kNormal, 200},   {L::kNormal, 400},
      {L::kNormal, 400},   {L::kNormal, 400},   {L::kNormal, 800},
      {L::kNormal, 800},   {L::kNormal, 800},   {L::kNormal, 1000},  // capped at requested
  };
  for (size_t i = 0; i < script.size(); ++i) {
    Set(script[i].first);
    ASSERT_OK(ladder.Step());
    EXPECT_EQ(ladder.chunk_size_rows(), script[i].second) << "step " << i;
    if (i >= 1 && i < script.size() - 1) EXPECT_FALSE(ladder.readahead()) << "step " << i;
  }
  EXPECT_TRUE(ladder.readahead());  // back at the requested size
  // WARNING and CRITICAL steps each ran the collector and released the pool.
  EXPECT_EQ(collect_calls_, 7);
  EXPECT_EQ(observer_.collections, 7);
  EXPECT_EQ(observer_.releases, 7);
  EXPECT_EQ(observer_.reductions, 4);
  EXPECT_EQ(observer_.sizes.front(), 1000);
  EXPECT_EQ(observer_.sizes.back(), 1000);
}

TEST_F(DegradationLadderTest, WarningAloneKeepsTheChunkSizeAndReadahead) {
  DegradationLadder ladder = Make(1000, 100);
  Set(PressureLevel::kWarning);
  ASSERT_OK(ladder.Step());
  EXPECT_EQ(ladder.chunk_size_rows(), 1000);
  EXPECT_TRUE(ladder.readahead());
  EXPECT_EQ(collect_calls_, 1);
}

TEST_F(DegradationLadderTest, ReliefIsThrottledWhilePressurePersists) {
  DegradationLadder ladder = Make(1000, 100, /*relieve_interval_ms=*/60'000);
  Set(PressureLevel::kWarning);
  for (int i = 0; i < 5; ++i) ASSERT_OK(ladder.Step());
  EXPECT_EQ(collect_calls_, 1);
  Set(PressureLevel::kCritical);
  ASSERT_OK(ladder.Step());
  EXPECT_EQ(collect_calls_, 1);  // still within the interval
  EXPECT_EQ(ladder.chunk_size_rows(), 500);  // shrinking is not throttled
}

TEST_F(DegradationLadderTest, EmergencyRelievedByTheCollectorContinuesSmaller) {
  DegradationLadder ladder = Make(1000, 100, /*relieve_interval_ms=*/60'000);
  Set(PressureLevel::kWarning);
  ASSERT_OK(ladder.Step());  // uses up the throttle window
  collect_frees_ = true;     // the collector drops the last references
  Set(PressureLevel::kEmergency);
  ASSERT_OK(ladder.Step());  // an emergency always runs the collector
  EXPECT_EQ(collect_calls_, 2);
  EXPECT_EQ(ladder.chunk_size_rows(), 500);
  EXPECT_EQ(ladder.last_level(), PressureLevel::kNormal);
  EXPECT_TRUE(errors_.empty());
}

TEST_F(DegradationLadderTest, PersistentEmergencyStopsWithOutOfMemory) {
  DegradationLadder ladder = Make(1000, 100);
  Set(PressureLevel::kEmergency);
  arrow::Status st = ladder.Step();
  ASSERT_RAISES(OutOfMemory, st);
  EXPECT_EQ(st.message(), "Peak memory usage exceeded limit: PyArrow: 1000.0/1000 MB");
  EXPECT_EQ(SpellBudgetError(st, {"max_pyarrow_mb", "rss", "system"}).message(),
            "Peak memory usage exceeded limit: PyArrow: 1000.0/1000 MB; to go on, raise "
            "max_pyarrow_mb");
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0], "Memory limit exceeded (EMERGENCY): PyArrow: 1000.0/1000 MB");
  EXPECT_EQ(collect_calls_, 1);
  EXPECT_EQ(ladder.chunk_size_rows(), 500);
}

TEST_F(DegradationLadderTest, FloorAboveTheRequestedSizeIsTheRequestedSize) {
  DegradationLadder ladder = Make(10, 1024);
  Set(PressureLevel::kCritical);
  ASSERT_OK(ladder.Step());
  EXPECT_EQ(ladder.chunk_size_rows(), 10);
  EXPECT_FALSE(ladder.readahead());
}

}  // namespace
}  // namespace fsspeckit::memory
