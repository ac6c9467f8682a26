// fsspeckit: phases, peaks, pressure statistics and degradation counts of one operation.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <arrow/result.h>

#include "fsspeckit/memory/degradation_ladder.h"
#include "fsspeckit/memory/memory_monitor.h"

namespace fsspeckit::perf {

inline constexpr int64_t kDefaultSampleIntervalMs = 100;

/// What graceful degradation did during an operation.
struct DegradationCounters {
  int64_t collections = 0;            ///< collector hook runs (Python: gc.collect)
  int64_t pool_releases = 0;          ///< MemoryPool::ReleaseUnused() calls
  int64_t chunk_size_reductions = 0;  ///< times the chunk size was halved
  std::optional<int64_t> smallest_chunk_size_rows;  ///< absent: no chunked work
};

/// A report (Python: PerformanceMonitor.get_metrics()). Bytes and seconds here; MiB at
/// the Python edge.
struct PerformanceMetrics {
  double total_process_time_sec = 0;
  int64_t memory_peak_bytes = 0;          ///< Arrow pool peak seen
  int64_t process_memory_peak_bytes = 0;  ///< RSS peak seen (0 when RSS is unknown)
  double throughput_bytes_per_sec = 0;
  double rows_per_sec = 0;
  int64_t files_processed = 0;
  int64_t chunks_processed = 0;
  /// (before - after) / before; negative when rows were added.
  double dedup_efficiency = 0;
  /// Seconds per operation name, in order of first start.
  std::vector<std::pair<std::string, double>> operation_breakdown_sec;
  std::optional<int64_t> system_available_bytes;
  /// Samples per level, indexed by memory::PressureLevel.
  std::array<int64_t, memory::kNumPressureLevels> pressure_counts{};
  DegradationCounters degradation;
};

/// Times named phases of an operation and samples memory between them. The peaks are
/// updated on every TrackMemory() call (the pool read is an atomic load); pressure
/// levels are counted once per sample interval, as the worst level seen in it, so the
/// statistics describe time rather than call frequency and a spike is never lost.
/// Thread-safe.
class PerformanceMonitor : public memory::DegradationObserver {
 public:
  /// `monitor` is shared, e.g. with the chunked scan that degrades under its pressure.
  static std::unique_ptr<PerformanceMonitor> Make(
      std::shared_ptr<memory::MemoryMonitor> monitor,
      std::function<int64_t()> now_ns = nullptr,
      int64_t sample_interval_ms = kDefaultSampleIntervalMs);

  /// Ends the open operation, if any, and starts `name` (repeated names accumulate).
  void StartOp(std::string name);
  /// Adds the open operation's elapsed time to its total; samples memory either way.
  void EndOp();
  /// Updates the peaks; counts the worst level since the last count once the sample
  /// interval has passed.
  void TrackMemory();
  /// The report; takes a fresh sample first.
  PerformanceMetrics Metrics(int64_t total_rows_before, int64_t total_rows_after,
                             int64_t total_bytes);

  void AddFiles(int64_t n);
  void AddChunks(int64_t n);
  void AddRows(int64_t n);
  void AddBytes(int64_t n);
  // DegradationObserver: counts what the ladder of a scan or merge did.
  void OnCollection() override;
  void OnPoolRelease() override;
  void OnChunkSize(int64_t chunk_size_rows, bool reduced) override;

  /// Counter access for the Python attributes that callers may also assign.
  struct Counters {
    int64_t files_processed = 0;
    int64_t chunks_processed = 0;
    int64_t total_rows_processed = 0;
    int64_t total_bytes_processed = 0;
  };
  Counters counters() const;
  void set_counters(const Counters& counters);
  std::optional<std::string> current_op() const;
  int64_t memory_peak_bytes() const;
  int64_t process_memory_peak_bytes() const;
  /// Nanoseconds of the monitor's clock at construction.
  int64_t start_ns() const { return start_ns_; }
  DegradationCounters degradation() const;

  memory::MemoryMonitor& memory_monitor() { return *monitor_; }
  const std::shared_ptr<memory::MemoryMonitor>& shared_memory_monitor() const {
    return monitor_;
  }

 private:
  PerformanceMonitor(std::shared_ptr<memory::MemoryMonitor> monitor,
                     std::function<int64_t()> now_ns, int64_t sample_interval_ms);
  void SampleLocked(bool force);
  void EndOpLocked(int64_t now);

  std::shared_ptr<memory::MemoryMonitor> monitor_;
  std::function<int64_t()> now_ns_;
  const int64_t sample_interval_ns_;
  const int64_t start_ns_;

  mutable std::mutex mutex_;
  Counters counters_;
  std::optional<std::string> current_op_;
  int64_t op_start_ns_ = 0;
  std::vector<std::pair<std::string, int64_t>> breakdown_ns_;
  int64_t memory_peak_bytes_ = 0;
  int64_t process_memory_peak_bytes_ = 0;
  std::array<int64_t, memory::kNumPressureLevels> pressure_counts_{};
  std::optional<int64_t> last_count_ns_;
  std::optional<memory::PressureLevel> worst_uncounted_;
  DegradationCounters degradation_;
};

}  // namespace fsspeckit::perf
