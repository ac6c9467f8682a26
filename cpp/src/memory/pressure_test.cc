#include "fsspeckit/memory/pressure.h"

#include <gtest/gtest.h>

#include "testing/fake_memory_source.h"
#include "testing/status_assertions.h"

namespace fsspeckit::memory {
namespace {

using fsspeckit::testing::MiB;
using L = PressureLevel;

TEST(PressureTest, NamesMatchThePythonEnumValues) {
  EXPECT_EQ(PressureLevelName(L::kNormal), "normal");
  EXPECT_EQ(PressureLevelName(L::kWarning), "warning");
  EXPECT_EQ(PressureLevelName(L::kCritical), "critical");
  EXPECT_EQ(PressureLevelName(L::kEmergency), "emergency");
}

TEST(PressureTest, MaxPressureIsTheMoreSevere) {
  EXPECT_EQ(MaxPressure(L::kNormal, L::kWarning), L::kWarning);
  EXPECT_EQ(MaxPressure(L::kEmergency, L::kCritical), L::kEmergency);
  EXPECT_EQ(MaxPressure(L::kCritical, L::kCritical), L::kCritical);
}

TEST(PressureTest, UsageBoundariesAreExact) {
  const int64_t limit = MiB(1000);
  EXPECT_EQ(UsageLevel(0, limit), L::kNormal);
  EXPECT_EQ(UsageLevel(MiB(700), limit), L::kNormal);         // exactly 0.7
  EXPECT_EQ(UsageLevel(MiB(700) + 1, limit), L::kWarning);    // just above
  EXPECT_EQ(UsageLevel(MiB(900), limit), L::kWarning);        // exactly 0.9
  EXPECT_EQ(UsageLevel(MiB(900) + 1, limit), L::kCritical);
  EXPECT_EQ(UsageLevel(limit - 1, limit), L::kCritical);
  EXPECT_EQ(UsageLevel(limit, limit), L::kEmergency);         // exactly 1.0
  EXPECT_EQ(UsageLevel(limit * 3, limit), L::kEmergency);
}

TEST(PressureTest, HeadroomBoundariesAreExact) {
  const int64_t minimum = MiB(512);
  EXPECT_EQ(HeadroomLevel(MiB(1024), minimum), L::kNormal);      // exactly 2x
  EXPECT_EQ(HeadroomLevel(MiB(1024) - 1, minimum), L::kWarning);
  EXPECT_EQ(HeadroomLevel(MiB(768), minimum), L::kWarning);      // exactly 1.5x
  EXPECT_EQ(HeadroomLevel(MiB(768) - 1, minimum), L::kCritical);
  EXPECT_EQ(HeadroomLevel(MiB(512), minimum), L::kCritical);     // exactly 1x
  EXPECT_EQ(HeadroomLevel(MiB(512) - 1, minimum), L::kEmergency);
  EXPECT_EQ(HeadroomLevel(0, minimum), L::kEmergency);
}

class EvaluateTest : public ::testing::Test {
 protected:
  MemoryLimits limits_{MiB(1000), MiB(2000), MiB(500)};
  SystemReadings Readings(std::optional<int64_t> rss, std::optional<int64_t> available) {
    SystemReadings readings;
    readings.rss_bytes = rss;
    readings.mem_available_bytes = available;
    return readings;
  }
};

TEST_F(EvaluateTest, EachSignalCanRaiseTheLevelAlone) {
  EXPECT_EQ(EvaluatePressure(MiB(10), Readings(MiB(10), MiB(8000)), limits_), L::kNormal);
  EXPECT_EQ(EvaluatePressure(MiB(950), Readings(MiB(10), MiB(8000)), limits_), L::kCritical);
  EXPECT_EQ(EvaluatePressure(MiB(10), Readings(MiB(1500), MiB(8000)), limits_), L::kWarning);
  EXPECT_EQ(EvaluatePressure(MiB(10), Readings(MiB(10), MiB(499)), limits_), L::kEmergency);
}

TEST_F(EvaluateTest, LevelIsTheMaxOverSignals) {
  // pool WARNING, rss CRITICAL, system WARNING -> CRITICAL
  EXPECT_EQ(EvaluatePressure(MiB(800), Readings(MiB(1900), MiB(900)), limits_), L::kCritical);
  // pool EMERGENCY beats everything normal
  EXPECT_EQ(EvaluatePressure(MiB(1000), Readings(MiB(10), MiB(8000)), limits_), L::kEmergency);
}

TEST_F(EvaluateTest, AbsentReadingsAreNotEvaluatedAsZero) {
  // No RSS and no system reading: only the pool counts. Zero available would be EMERGENCY.
  EXPECT_EQ(EvaluatePressure(MiB(10), Readings(std::nullopt, std::nullopt), limits_),
            L::kNormal);
  EXPECT_EQ(EvaluatePressure(MiB(800), Readings(std::nullopt, std::nullopt), limits_),
            L::kWarning);
}

TEST_F(EvaluateTest, UnsetLimitsTurnSignalsOff) {
  MemoryLimits limits{MiB(1000), std::nullopt, 0};
  EXPECT_EQ(EvaluatePressure(MiB(10), Readings(MiB(100000), MiB(1)), limits), L::kNormal);
  limits.max_rss_bytes = 0;  // 0 disables too, as in the original
  EXPECT_EQ(EvaluatePressure(MiB(10), Readings(MiB(100000), MiB(1)), limits), L::kNormal);
}

TEST_F(EvaluateTest, ContainerHeadroomBindsWhenTighterThanMemAvailable) {
  SystemReadings readings = Readings(MiB(10), MiB(20000));  // the host looks empty
  readings.cgroup = CgroupReading{2, "/sys/fs/cgroup/app", MiB(1000), MiB(900), MiB(100)};
  // headroom = 1000 - (900 - 100) = 200 MiB < 500 MiB minimum
  EXPECT_EQ(SystemAvailableBytes(readings), MiB(200));
  EXPECT_EQ(EvaluatePressure(MiB(10), readings, limits_), L::kEmergency);
  readings.cgroup->limit_bytes.reset();  // unlimited container: host MemAvailable rules
  EXPECT_EQ(SystemAvailableBytes(readings), MiB(20000));
  EXPECT_EQ(EvaluatePressure(MiB(10), readings, limits_), L::kNormal);
}

TEST_F(EvaluateTest, OverfullCgroupClampsHeadroomAtZero) {
  SystemReadings readings = Readings(std::nullopt, std::nullopt);
  readings.cgroup = CgroupReading{1, "/x", MiB(100), MiB(150), 0};
  EXPECT_EQ(SystemAvailableBytes(readings), 0);
}

const LimitSpelling kMerge{"merge_max_memory_mb", "merge_max_process_memory_mb",
                          "merge_min_system_available_mb"};

TEST(MemoryLimitsTest, ValidateNamesTheLimitAsEachFrontEndSpellsIt) {
  EXPECT_TRUE(MemoryLimits{}.Validate().ok());
  arrow::Status st = MemoryLimits{0, std::nullopt, 0}.Validate();
  ASSERT_RAISES(Invalid, st);
  EXPECT_EQ(st.message(),
            "max_pool_bytes must be positive: give the Arrow memory budget in MiB, got 0");
  EXPECT_EQ(SpellBudgetError(st, kMerge).message(),
            "merge_max_memory_mb must be positive: give the Arrow memory budget in MiB, got 0");
  st = MemoryLimits{MiB(1), -5, 0}.Validate();
  ASSERT_RAISES(Invalid, st);
  EXPECT_EQ(GetBudgetError(st)->limits(), std::vector<Limit>{Limit::kRss});
  st = MemoryLimits{MiB(1), std::nullopt, -1}.Validate();
  ASSERT_RAISES(Invalid, SpellBudgetError(st, kMerge));
  EXPECT_NE(SpellBudgetError(st, kMerge).message().find("merge_min_system_available_mb must be 0"),
            std::string::npos);
}

TEST(PressureTest, ExceededLimitsAreTheOnesAtEmergency) {
  MemoryLimits limits{MiB(100), MiB(1000), MiB(512)};
  SystemReadings system;
  system.rss_bytes = MiB(200);
  system.mem_available_bytes = MiB(344);  // a 600 MiB container, as in issue 13
  EXPECT_EQ(ExceededLimits(MiB(10), system, limits), std::vector<Limit>{Limit::kSystem});
  system.mem_available_bytes = MiB(4096);
  EXPECT_EQ(ExceededLimits(MiB(100), system, limits), std::vector<Limit>{Limit::kPool});
  system.rss_bytes = MiB(1000);
  EXPECT_EQ(ExceededLimits(MiB(100), system, limits), (std::vector<Limit>{Limit::kPool, Limit::kRss}));
  EXPECT_TRUE(ExceededLimits(MiB(10), SystemReadings{}, limits).empty());
}

TEST(PressureTest, ValidationNamesTheValueInMiB) {
  MemoryLimits limits;
  limits.max_rss_bytes = -MiB(1);
  EXPECT_EQ(SpellBudgetError(limits.Validate(), kMerge).message(),
            "merge_max_process_memory_mb must be positive, or 0 or None to not watch the "
            "process RSS, got -1");
}

}  // namespace
}  // namespace fsspeckit::memory
