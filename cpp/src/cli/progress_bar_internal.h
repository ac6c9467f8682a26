// fsspeckit: the CLI's one-line progress bar, redrawn in place with the live pressure level.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>

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

 private:
  std::ostream& err_;
  memory::MemoryMonitor& monitor_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace fsspeckit::cli
