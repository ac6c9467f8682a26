#include "io/parallel_for_internal.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace fsspeckit::io {
namespace {

TEST(ParallelForTest, EachIndexOnceOnSeveralThreads) {
  std::mutex mutex;
  std::multiset<size_t> seen;
  std::set<std::thread::id> threads;
  ParallelFor(3, 103, 2, [&](size_t i) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.insert(i);
    threads.insert(std::this_thread::get_id());
    return true;
  });
  ASSERT_EQ(seen.size(), 100u);
  for (size_t i = 3; i < 103; ++i) EXPECT_EQ(seen.count(i), 1u) << i;
}

TEST(ParallelForTest, AFailureStartsNoFurtherIndex) {
  std::atomic<int> calls{0};
  ParallelFor(0, 1000, 1, [&](size_t i) {
    ++calls;
    return i != 4;
  });
  EXPECT_EQ(calls, 5);  // one thread: indices 0..4, then nothing
  ParallelFor(5, 5, 2, [&](size_t) { return ++calls, true; });
  EXPECT_EQ(calls, 5);  // an empty range calls nothing
}

}  // namespace
}  // namespace fsspeckit::io
