// fsspeckit: the memory monitor: readings, a 100 ms cache, pressure levels, status text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <arrow/result.h>

#include "fsspeckit/memory/memory_snapshot.h"
#include "fsspeckit/memory/memory_source.h"
#include "fsspeckit/memory/pressure.h"

namespace fsspeckit::memory {

inline constexpr int64_t kDefaultCacheTtlMs = 100;

struct MemoryMonitorOptions {
  MemoryLimits limits;
  /// System readings younger than this are reused; the pool is always read fresh
  /// (an atomic load), so allocations show up at once. 0 disables the cache.
  int64_t cache_ttl_ms = kDefaultCacheTtlMs;
  /// Where readings come from; nullptr: ProcfsMemorySource on the default Arrow pool.
  std::shared_ptr<MemorySource> source;
  /// Monotonic clock in nanoseconds; nullptr: std::chrono::steady_clock.
  std::function<int64_t()> now_ns;
};

/// Watches the Arrow pool, the process RSS and the system/container headroom, and
/// grades them into four pressure levels. Thread-safe.
class MemoryMonitor {
 public:
  static arrow::Result<std::unique_ptr<MemoryMonitor>> Make(MemoryMonitorOptions options = {});

  /// Pool bytes now; system readings from the cache when younger than cache_ttl_ms.
  MemorySnapshot Snapshot();
  /// All readings now, refreshing the cache (used by the emergency re-check).
  MemorySnapshot FreshSnapshot();

  /// The level of a snapshot against the current limits. Does not log.
  PressureLevel Evaluate(const MemorySnapshot& snapshot) const;
  /// The current level (cached system readings), without copying a snapshot. Does not
  /// log; this is the hot-path check of scans and merges (tens of nanoseconds cached).
  PressureLevel Level();
  /// The current level; when it is not normal, logs a warning with the detailed
  /// status, as the original check_memory_pressure() does.
  PressureLevel CheckPressure();

  /// "PyArrow: 512.0/1024 MB | Process RSS: 2048.0/4096 MB | System Available: 1024.0 MB
  /// (min: 512 MB)", leaving out readings that are absent.
  std::string DetailedStatus(const MemorySnapshot& snapshot) const;

  MemoryLimits limits() const;
  /// Replaces the limits after validating them; the previous ones stay on error.
  arrow::Status SetLimits(const MemoryLimits& limits);
  int64_t cache_ttl_ms() const { return cache_ttl_ms_; }

  /// chunks_processed % check_interval == 0; Invalid unless check_interval > 0.
  static arrow::Result<bool> ShouldCheck(int64_t chunks_processed, int64_t check_interval);

 private:
  MemoryMonitor(MemoryMonitorOptions options);
  MemorySnapshot TakeSnapshot(bool fresh);
  // Re-reads the system when the cached readings are older than the TTL (or `force`).
  void RefreshLocked(bool force);

  std::shared_ptr<MemorySource> source_;
  std::function<int64_t()> now_ns_;
  const int64_t cache_ttl_ms_;

  mutable std::mutex mutex_;
  MemoryLimits limits_;
  SystemReadings cached_system_;
  int64_t cached_at_ns_ = 0;
  bool has_cache_ = false;
};

}  // namespace fsspeckit::memory
