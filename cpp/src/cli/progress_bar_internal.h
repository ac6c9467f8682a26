// fsspeckit: the CLI's one-line progress bar, redrawn in place with the live pressure level.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>

#include <arrow/result.h>

#include "fsspeckit/memory/memory_monitor.h"

namespace fsspeckit::cli {

/// Redraws "[#####     ]  50%  1,000/2,000 rows  memory: NORMAL" on `err` at most every
/// 100 ms (and at 100%). Not thread-safe: callers serialize Update().
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, memory::MemoryMonitor& monitor) : err_(err), monitor_(monitor) {}
  void Update(int64_t done, int64_t total);
  /// Ends the line, if one was drawn.
  void Finish();
  /// What an operation's `progress` option takes: Update on this bar; empty when `quiet`.
  std::function<arrow::Status(int64_t, int64_t)> Callback(bool quiet);

 private:
  std::ostream& err_;
  memory::MemoryMonitor& monitor_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

/// The monitor a command's operation runs under and its progress bar reads: one, made from
/// `limits` (Invalid, a BudgetError, for limits out of range).
arrow::Result<std::shared_ptr<memory::MemoryMonitor>> WatchLimits(const memory::MemoryLimits& limits);

}  // namespace fsspeckit::cli
