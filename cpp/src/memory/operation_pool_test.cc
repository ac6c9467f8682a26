#include "fsspeckit/memory/operation_pool.h"

#include <cstdlib>

#include <arrow/buffer.h>
#include <arrow/memory_pool.h>
#include <gtest/gtest.h>

#include "fsspeckit/memory/budget.h"
#include "testing/status_assertions.h"

namespace fsspeckit::memory {
namespace {

constexpr int64_t MiB(int64_t n) { return n * kBytesInMiB; }

TEST(OperationPoolTest, IsTheDefaultPoolUnlessAnotherIsNamed) {
  const char* named = std::getenv(kOperationPoolVariable);
  if (!named || !*named) {
    EXPECT_EQ(OperationPool(), arrow::default_memory_pool());
  } else if (OperationPool() != arrow::default_memory_pool()) {
    EXPECT_EQ(OperationPool()->backend_name(), named);
  }
}

TEST(OperationPoolTest, CountsItsOwnBytesAndTheDefaultPools) {
  arrow::MemoryPool* pool = OperationPool();
  const int64_t before = pool->bytes_allocated();
  ASSERT_OK_AND_ASSIGN(auto own, arrow::AllocateBuffer(MiB(3), pool));
  EXPECT_EQ(pool->bytes_allocated() - before, MiB(3));
  // pyarrow's tables, and what Arrow allocates from the default pool on its own.
  ASSERT_OK_AND_ASSIGN(auto outside, arrow::AllocateBuffer(MiB(5), arrow::default_memory_pool()));
  EXPECT_EQ(pool->bytes_allocated() - before, MiB(8));
  EXPECT_GE(pool->max_memory(), pool->bytes_allocated());
  own.reset();
  outside.reset();
  EXPECT_EQ(pool->bytes_allocated(), before);
}

TEST(OperationPoolTest, ABudgetCountsTheDefaultPoolAgainstItsLimit) {
  ASSERT_OK_AND_ASSIGN(auto budget, Budget::Make({MiB(16), std::nullopt, 0}));
  ASSERT_OK_AND_ASSIGN(auto outside, arrow::AllocateBuffer(MiB(12), arrow::default_memory_pool()));
  EXPECT_LE(budget->pool()->available_bytes(), MiB(4));
  ASSERT_RAISES(OutOfMemory, arrow::AllocateBuffer(MiB(6), budget->pool()).status());
  outside.reset();
  ASSERT_OK(arrow::AllocateBuffer(MiB(6), budget->pool()).status());
}

}  // namespace
}  // namespace fsspeckit::memory
