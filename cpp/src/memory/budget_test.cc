#include "fsspeckit/memory/budget.h"

#include <gtest/gtest.h>

#include "testing/status_assertions.h"

namespace fsspeckit::memory {
namespace {

constexpr int64_t MiB(int64_t n) { return n * kBytesInMiB; }

const LimitSpelling kPython{"merge_max_memory_mb", "merge_max_process_memory_mb",
                            "merge_min_system_available_mb"};
const LimitSpelling kCli{"--max-memory", "--max-process", "--min-available"};

TEST(BudgetTest, SharesComeFromThePoolLimit) {
  ASSERT_OK_AND_ASSIGN(auto budget, Budget::Make({MiB(64), std::nullopt, 0}));
  EXPECT_EQ(budget->source_bytes(), MiB(32));  // the rest: its index, the scan, the tasks
  EXPECT_EQ(budget->planned_keys_bytes(), MiB(4));
  EXPECT_EQ(budget->admission_bytes(), MiB(64) * 7 / 10);  // where WARNING starts
  EXPECT_EQ(budget->pool()->limit_bytes(), MiB(64));
  EXPECT_EQ(budget->monitor()->limits().max_pool_bytes, MiB(64));
}

TEST(BudgetTest, InvalidLimitsAreRefusedWithATypedDetail) {
  auto made = Budget::Make({0, std::nullopt, 0});
  ASSERT_RAISES(Invalid, made.status());
  ASSERT_NE(GetBudgetError(made.status()), nullptr);
  EXPECT_EQ(SpellBudgetError(made.status(), kCli).message(),
            "--max-memory must be positive: give the Arrow memory budget in MiB, got 0");
}

TEST(BudgetTest, APoolBudgetExceededIsSpelledByEachFrontEndWithItsOption) {
  arrow::Status refused = BudgetExceeded("the source table is 9.0 MiB, more than its budget of 4.0 MiB",
                                         {Limit::kPool}, "merge it in smaller parts");
  ASSERT_RAISES(OutOfMemory, refused);
  EXPECT_EQ(refused.message(), "the source table is 9.0 MiB, more than its budget of 4.0 MiB");
  EXPECT_EQ(SpellBudgetError(refused, kPython).message(),
            "the source table is 9.0 MiB, more than its budget of 4.0 MiB; to go on, raise "
            "merge_max_memory_mb or merge it in smaller parts");
  EXPECT_EQ(SpellBudgetError(refused, kCli).message(),
            "the source table is 9.0 MiB, more than its budget of 4.0 MiB; to go on, raise "
            "--max-memory or merge it in smaller parts");
  EXPECT_EQ(GetBudgetError(SpellBudgetError(refused, kCli)), nullptr);  // said once
}

TEST(BudgetTest, APlainOutOfMemoryBecomesThePoolBudgets) {
  arrow::Status plain = arrow::Status::OutOfMemory("allocating 64 bytes ... (rethrown by Parquet)");
  arrow::Status named = AsPoolBudgetError(plain, "merge the source in smaller parts");
  EXPECT_EQ(SpellBudgetError(named, kPython).message(),
            "allocating 64 bytes ... (rethrown by Parquet); to go on, raise merge_max_memory_mb or "
            "merge the source in smaller parts");
  arrow::Status system = BudgetExceeded("low", {Limit::kSystem});
  EXPECT_EQ(AsPoolBudgetError(system).detail(), system.detail());  // kept as it is
  EXPECT_EQ(SpellBudgetError(system, kPython).message(),
            "low; to go on, lower merge_min_system_available_mb (0 turns the check off)");
  EXPECT_TRUE(AsPoolBudgetError(arrow::Status::IOError("x")).IsIOError());
}

}  // namespace
}  // namespace fsspeckit::memory
