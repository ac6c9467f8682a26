#include "fsspeckit/memory/capped_pool.h"

#include "fsspeckit/memory/budget_error.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "testing/status_assertions.h"

namespace fsspeckit::memory {
namespace {

constexpr int64_t kKiB = 1024;

TEST(CappedMemoryPoolTest, AllocationsPastTheLimitFailAndNameTheBudget) {
  arrow::ProxyMemoryPool parent(arrow::default_memory_pool());
  CappedMemoryPool pool(&parent, 100 * kKiB);
  uint8_t* first = nullptr;
  ASSERT_OK(pool.Allocate(60 * kKiB, &first));
  uint8_t* second = nullptr;
  arrow::Status refused = pool.Allocate(60 * kKiB, &second);
  ASSERT_RAISES(OutOfMemory, refused);
  ASSERT_NE(GetBudgetError(refused), nullptr);  // the front end names the option to raise
  EXPECT_EQ(GetBudgetError(refused)->limits(), std::vector<Limit>{Limit::kPool});
  EXPECT_NE(refused.message().find("past its budget of 0.1 MiB"), std::string::npos);
  EXPECT_TRUE(IsCappedPoolRefusal(refused.message()));
  EXPECT_FALSE(IsCappedPoolRefusal("Out of memory: malloc of size 64 failed"));
  EXPECT_EQ(parent.bytes_allocated(), 60 * kKiB);  // nothing allocated by the refusal
  ASSERT_OK(pool.Allocate(40 * kKiB, &second));  // exactly up to the limit is fine
  EXPECT_EQ(pool.max_memory(), 100 * kKiB);
  pool.Free(first, 60 * kKiB);
  pool.Free(second, 40 * kKiB);
  EXPECT_EQ(pool.bytes_allocated(), 0);
  EXPECT_EQ(parent.bytes_allocated(), 0);
}

TEST(CappedMemoryPoolTest, WhatTheParentHoldsOutsideCountsAgainstTheLimit) {
  arrow::ProxyMemoryPool parent(arrow::default_memory_pool());
  uint8_t* outside = nullptr;
  ASSERT_OK(parent.Allocate(80 * kKiB, &outside));  // e.g. the caller's source table
  CappedMemoryPool pool(&parent, 100 * kKiB);
  uint8_t* inside = nullptr;
  ASSERT_RAISES(OutOfMemory, pool.Allocate(30 * kKiB, &inside));
  ASSERT_OK(pool.Allocate(20 * kKiB, &inside));
  EXPECT_EQ(pool.parent_peak_bytes(), 100 * kKiB);
  pool.Free(inside, 20 * kKiB);
  parent.Free(outside, 80 * kKiB);
}

TEST(CappedMemoryPoolTest, GrowthIsCheckedAndShrinkingAlwaysSucceeds) {
  arrow::ProxyMemoryPool parent(arrow::default_memory_pool());
  CappedMemoryPool pool(&parent, 100 * kKiB);
  uint8_t* buffer = nullptr;
  ASSERT_OK(pool.Allocate(50 * kKiB, &buffer));
  ASSERT_RAISES(OutOfMemory, pool.Reallocate(50 * kKiB, 120 * kKiB, &buffer));
  ASSERT_OK(pool.Reallocate(50 * kKiB, 90 * kKiB, &buffer));
  ASSERT_OK(pool.Reallocate(90 * kKiB, 10 * kKiB, &buffer));
  EXPECT_EQ(pool.bytes_allocated(), 10 * kKiB);
  pool.Free(buffer, 10 * kKiB);
}

TEST(CappedMemoryPoolTest, ConcurrentAllocationsNeverPassTheLimitTogether) {
  arrow::ProxyMemoryPool parent(arrow::default_memory_pool());
  CappedMemoryPool pool(&parent, 64 * kKiB);
  auto churn = [&] {
    for (int i = 0; i < 2000; ++i) {
      uint8_t* buffer = nullptr;
      if (pool.Allocate(24 * kKiB, &buffer).ok()) pool.Free(buffer, 24 * kKiB);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(churn);
  for (auto& thread : threads) thread.join();
  EXPECT_LE(parent.max_memory(), 64 * kKiB);  // at most two of the 24 KiB at once
  EXPECT_EQ(parent.bytes_allocated(), 0);
}

}  // namespace
}  // namespace fsspeckit::memory
