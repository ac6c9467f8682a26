// fsspeckit: one operation's memory budget: its limits, its capped pool, its monitor, and
// the share of the pool each part of the operation may take.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <arrow/result.h>

#include "fsspeckit/memory/budget_error.h"
#include "fsspeckit/memory/capped_pool.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/memory/pressure.h"

namespace fsspeckit::memory {

/// Made once per operation (a merge, a maintenance run) from its limits, and handed to
/// every part of it: every place that enforces the budget reads it here.
///
///  - pool():             an allocation that would take the Arrow pool past
///                        max_pool_bytes fails (BudgetError kPool) instead of overshooting;
///  - monitor():          levels for the degradation ladder (UsageLevel: relieve above
///                        kWarningUsage, shrink above kCriticalUsage, stop at the limit);
///  - source_bytes():     what a merge's source (or one pass of a spilled source) may
///                        hold in memory: half, the rest is for its index, the scan and
///                        the tasks;
///  - planned_keys_bytes(): key columns a merge's plan keeps for its rewrites;
///  - admission_bytes():  tasks run side by side only while their estimated peaks, beside
///                        what the pool holds, stay below where the ladder starts relieving.
class Budget {
 public:
  /// Validates `limits` (InvalidLimit). `monitor`: watches them (tests pass one over a
  /// fake memory source); nullptr: one of `limits` over the process's readings.
  static arrow::Result<std::shared_ptr<Budget>> Make(const MemoryLimits& limits,
                                                     std::shared_ptr<MemoryMonitor> monitor = nullptr);

  const MemoryLimits& limits() const { return limits_; }
  CappedMemoryPool* pool() { return pool_.get(); }
  const std::shared_ptr<MemoryMonitor>& monitor() const { return monitor_; }

  int64_t source_bytes() const { return limits_.max_pool_bytes / 2; }
  int64_t planned_keys_bytes() const { return limits_.max_pool_bytes / 16; }
  int64_t admission_bytes() const {
    return static_cast<int64_t>(static_cast<double>(limits_.max_pool_bytes) * kWarningUsage);
  }


 private:
  Budget(const MemoryLimits& limits, std::shared_ptr<MemoryMonitor> monitor);

  MemoryLimits limits_;
  std::unique_ptr<CappedMemoryPool> pool_;
  std::shared_ptr<MemoryMonitor> monitor_;
};

}  // namespace fsspeckit::memory
