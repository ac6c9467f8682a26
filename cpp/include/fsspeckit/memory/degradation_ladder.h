// fsspeckit: graceful degradation between chunks: collect, release, shrink, stop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <arrow/status.h>

#include "fsspeckit/memory/memory_monitor.h"

namespace arrow {
class MemoryPool;
}

namespace fsspeckit::memory {

/// Told about every step the ladder takes (perf::PerformanceMonitor counts them).
class DegradationObserver {
 public:
  virtual ~DegradationObserver() = default;
  virtual void OnCollection() = 0;
  virtual void OnPoolRelease() = 0;
  /// A chunk size now in use; `reduced` when the ladder halved it.
  virtual void OnChunkSize(int64_t chunk_size_rows, bool reduced) = 0;
  /// An EMERGENCY reading was re-read past the cache after relief; `level_after` is what
  /// the re-read found (still EMERGENCY: the step fails with OutOfMemory).
  virtual void OnEmergencyRecheck(PressureLevel level_after) { (void)level_after; }
};

inline constexpr int64_t kDefaultMinChunkSizeRows = 1024;
inline constexpr int kDefaultRecoveryReadings = 3;
/// While pressure stays at WARNING or above, the collector and the pool release run
/// again at most this often: a full gc.collect() costs milliseconds.
inline constexpr int64_t kDefaultRelieveIntervalMs = 1000;

struct DegradationLadderOptions {
  int64_t requested_chunk_size_rows = 1'000'000;
  /// Halving stops here (or at the requested size, if smaller).
  int64_t min_chunk_size_rows = kDefaultMinChunkSizeRows;
  /// Consecutive NORMAL readings before the chunk size doubles back.
  int recovery_readings = kDefaultRecoveryReadings;
  int64_t relieve_interval_ms = kDefaultRelieveIntervalMs;
  /// The collector hook (Python registers gc.collect); may be empty.
  std::function<void()> collect;
  /// The pool whose unused memory is returned to the OS; nullptr: the default pool.
  arrow::MemoryPool* pool = nullptr;
  /// May be nullptr.
  DegradationObserver* observer = nullptr;
};

/// Runs between chunks (the README's "Graceful degradation is real"):
///  WARNING   -> collector hook and pool->ReleaseUnused();
///  CRITICAL  -> also halve the chunk size (down to the floor) and drop read-ahead;
///  EMERGENCY -> all of that, re-read at once (bypassing the cache), and if still
///               EMERGENCY fail with OutOfMemory("Peak memory usage exceeded limit: ...")
///               carrying a BudgetError with each limit exceeded.
///  After `recovery_readings` consecutive NORMAL readings the chunk size doubles back
///  towards the requested size, and read-ahead returns once it is reached.
/// Not thread-safe: one ladder per scan or merge stream.
class DegradationLadder {
 public:
  DegradationLadder(std::shared_ptr<MemoryMonitor> monitor, DegradationLadderOptions options);

  /// Reads the pressure level and acts on it; OutOfMemory when the emergency persists.
  arrow::Status Step();

  int64_t chunk_size_rows() const { return chunk_size_rows_; }
  bool readahead() const { return readahead_; }
  PressureLevel last_level() const { return last_level_; }
  MemoryMonitor& monitor() { return *monitor_; }

 private:
  void Relieve(bool force);
  void Shrink();

  std::shared_ptr<MemoryMonitor> monitor_;
  DegradationLadderOptions options_;
  int64_t floor_rows_;
  int64_t chunk_size_rows_;
  bool readahead_ = true;
  int normal_streak_ = 0;
  PressureLevel last_level_ = PressureLevel::kNormal;
  std::optional<int64_t> last_relief_ns_;
};

}  // namespace fsspeckit::memory
