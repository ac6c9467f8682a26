// fsspeckit: graceful degradation between chunks: collect, release, shrink, stop.
#include "fsspeckit/memory/degradation_ladder.h"

#include <algorithm>

#include <arrow/memory_pool.h>

#include "fsspeckit/log/log.h"
#include "fsspeckit/memory/steady_clock.h"
#include "fsspeckit/memory/operation_pool.h"

namespace fsspeckit::memory {
DegradationLadder::DegradationLadder(std::shared_ptr<MemoryMonitor> monitor,
                                     DegradationLadderOptions options)
    : monitor_(std::move(monitor)),
      options_(std::move(options)),
      floor_rows_(std::min(options_.min_chunk_size_rows, options_.requested_chunk_size_rows)),
      chunk_size_rows_(options_.requested_chunk_size_rows) {
  if (!options_.pool) options_.pool = OperationPool();
  if (options_.observer) options_.observer->OnChunkSize(chunk_size_rows_, false);
}

void DegradationLadder::Relieve(bool force) {
  int64_t now = SteadyNowNs();
  if (!force && last_relief_ns_ &&
      now - *last_relief_ns_ < options_.relieve_interval_ms * 1'000'000) {
    return;
  }
  last_relief_ns_ = now;
  if (options_.collect) {
    options_.collect();
    if (options_.observer) options_.observer->OnCollection();
  }
  options_.pool->ReleaseUnused();
  if (options_.observer) options_.observer->OnPoolRelease();
}

void DegradationLadder::Shrink() {
  readahead_ = false;
  if (chunk_size_rows_ <= floor_rows_) return;
  chunk_size_rows_ = std::max(floor_rows_, chunk_size_rows_ / 2);
  if (options_.observer) options_.observer->OnChunkSize(chunk_size_rows_, true);
}

arrow::Status DegradationLadder::Step() {
  PressureLevel level = monitor_->Level();
  last_level_ = level;
  if (level == PressureLevel::kNormal) {
    if (++normal_streak_ >= options_.recovery_readings) {
      normal_streak_ = 0;
      if (chunk_size_rows_ < options_.requested_chunk_size_rows) {
        chunk_size_rows_ = std::min(options_.requested_chunk_size_rows, chunk_size_rows_ * 2);
        if (options_.observer) options_.observer->OnChunkSize(chunk_size_rows_, false);
      }
      if (chunk_size_rows_ == options_.requested_chunk_size_rows) readahead_ = true;
    }
    return arrow::Status::OK();
  }
  normal_streak_ = 0;
  bool emergency = level == PressureLevel::kEmergency;
  Relieve(/*force=*/emergency);
  if (level >= PressureLevel::kCritical) Shrink();
  if (!emergency) return arrow::Status::OK();

  // Collecting and releasing may have been enough: look again, past the cache.
  MemorySnapshot snapshot = monitor_->FreshSnapshot();
  last_level_ = monitor_->Evaluate(snapshot);
  if (options_.observer) options_.observer->OnEmergencyRecheck(last_level_);
  if (last_level_ != PressureLevel::kEmergency) return arrow::Status::OK();
  std::string status = monitor_->DetailedStatus(snapshot);
  log::Log(log::LogLevel::kError, "Memory limit exceeded (EMERGENCY): " + status);
  return BudgetExceeded("Peak memory usage exceeded limit: " + status,
                        ExceededLimits(snapshot.pool_bytes, snapshot.system, monitor_->limits()));
}

}  // namespace fsspeckit::memory
