// fsspeckit: a scripted MemorySource and clock for deterministic monitor tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/memory/memory_source.h"

namespace fsspeckit::testing {

/// Readings are whatever the test last set; counts how often the system was read.
class FakeMemorySource : public memory::MemorySource {
 public:
  int64_t ReadPoolBytes() override { return pool_bytes.load(); }
  memory::SystemReadings ReadSystem() override {
    std::lock_guard<std::mutex> lock(mutex);
    ++system_reads;
    return system;
  }
  void SetSystem(memory::SystemReadings readings) {
    std::lock_guard<std::mutex> lock(mutex);
    system = std::move(readings);
  }

  std::atomic<int64_t> pool_bytes{0};
  int system_reads = 0;
  std::mutex mutex;
  memory::SystemReadings system;
};

/// A clock the test advances by hand.
struct FakeClock {
  std::shared_ptr<std::atomic<int64_t>> now_ns = std::make_shared<std::atomic<int64_t>>(0);
  void AdvanceMs(int64_t ms) { *now_ns += ms * 1'000'000; }
  std::function<int64_t()> Fn() const {
    auto now = now_ns;
    return [now] { return now->load(); };
  }
};

inline constexpr int64_t MiB(double mib) {
  return static_cast<int64_t>(mib * memory::kBytesInMiB);
}

}  // namespace fsspeckit::testing
