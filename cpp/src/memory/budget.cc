// fsspeckit: one operation's memory budget and its shares.
#include "fsspeckit/memory/budget.h"

#include <arrow/memory_pool.h>

#include "fsspeckit/memory/operation_pool.h"

namespace fsspeckit::memory {

Budget::Budget(const MemoryLimits& limits, std::shared_ptr<MemoryMonitor> monitor)
    : limits_(limits),
      pool_(std::make_unique<CappedMemoryPool>(OperationPool(), limits.max_pool_bytes)),
      monitor_(std::move(monitor)) {}

arrow::Result<std::shared_ptr<Budget>> Budget::Make(const MemoryLimits& limits,
                                                    std::shared_ptr<MemoryMonitor> monitor) {
  ARROW_RETURN_NOT_OK(limits.Validate());
  if (!monitor) {
    ARROW_ASSIGN_OR_RAISE(monitor, MemoryMonitor::Make({limits, kDefaultCacheTtlMs}));
  }
  return std::shared_ptr<Budget>(new Budget(limits, std::move(monitor)));
}

}  // namespace fsspeckit::memory
