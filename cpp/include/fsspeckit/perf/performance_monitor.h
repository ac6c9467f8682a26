// fsspeckit: phases, peaks, pressure statistics and degradation counts of one operation.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arrow/result.h>

#include "fsspeckit/memory/degradation_ladder.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/perf/timeline.h"

namespace fsspeckit::perf {

inline constexpr int64_t kDefaultSampleIntervalMs = 100;
/// The timeline's bounds: about 60 bytes a sample, so under 100 KiB for any operation.
inline constexpr size_t kTimelineSampleCapacity = 1024;
inline constexpr size_t kTimelineEventCapacity = 256;
inline constexpr size_t kTimelinePhaseCapacity = 128;
/// Distinct phase and task names kept; later ones are recorded as kOtherTasksLabel.
inline constexpr size_t kTimelineLabelCapacity = 512;
inline constexpr const char* kOtherTasksLabel = "(other tasks)";
/// Samples closer than this share a point from the start (the buckets grow from here).
inline constexpr int64_t kTimelineFirstBucketNs = 1'000'000;

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
  /// Every memory check, degradation step and phase, downsampled to a bounded size.
  Timeline timeline;
};

/// Times named phases of an operation and samples memory between them. The peaks are
/// updated on every TrackMemory() call (the pool read is an atomic load); pressure
/// levels are counted once per sample interval, as the worst level seen in it, so the
/// statistics describe time rather than call frequency and a spike is never lost.
/// Every check is also a timeline sample, labelled with the thread's task or else the
/// current phase; the ladder's steps are timeline events. Thread-safe.
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
  /// Labels this thread's memory checks while it lives (e.g. "rewrite part-3.parquet").
  /// With a `phase`, its duration is also timed as that phase: for work that overlaps
  /// the current phase, like inserts written beside rewrites.
  class Task {
   public:
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task();

   private:
    friend class PerformanceMonitor;
    Task(PerformanceMonitor& owner, std::string phase, int64_t start_ns)
        : owner_(owner), phase_(std::move(phase)), start_ns_(start_ns) {}
    PerformanceMonitor& owner_;
    std::string phase_;  // empty: not timed as a phase
    int64_t start_ns_;
  };
  [[nodiscard]] Task StartTask(const std::string& label, const std::string& phase = "");

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
  void OnEmergencyRecheck(memory::PressureLevel level_after) override;

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
  // Adds to the phase's total (in order of first start) and to the timeline's phases.
  void AddPhaseTimeLocked(const std::string& name, int64_t start_ns, int64_t end_ns);
  int LabelLocked(const std::string& name);
  // The innermost task of the calling thread, else the current phase.
  int ThreadLabelLocked() const;
  void AddEventLocked(TimelineEventKind kind, int64_t value);
  Timeline TimelineLocked(int64_t now) const;

  std::shared_ptr<memory::MemoryMonitor> monitor_;
  std::function<int64_t()> now_ns_;
  const int64_t sample_interval_ns_;
  const int64_t start_ns_;

  mutable std::mutex mutex_;
  Counters counters_;
  std::optional<std::string> current_op_;
  int current_op_label_ = -1;
  int64_t op_start_ns_ = 0;
  struct PhaseTime {
    std::string name;
    int64_t first_start_ns;
    int64_t total_ns;
  };
  std::vector<PhaseTime> breakdown_;  // in order of first start
  // The timeline: names by index, each thread's open tasks (innermost last), series.
  std::vector<std::string> labels_;
  std::unordered_map<std::string, int> label_index_;
  std::vector<std::pair<std::thread::id, int>> thread_tasks_;
  std::optional<int64_t> chunk_size_rows_;
  BucketedSeries<TimelineSample> samples_{kTimelineSampleCapacity, kTimelineFirstBucketNs};
  BucketedSeries<TimelineEvent> events_{kTimelineEventCapacity, kTimelineFirstBucketNs};
  BucketedSeries<PhaseSpan> phases_{kTimelinePhaseCapacity, kTimelineFirstBucketNs};
  int64_t memory_peak_bytes_ = 0;
  int64_t process_memory_peak_bytes_ = 0;
  std::array<int64_t, memory::kNumPressureLevels> pressure_counts_{};
  std::optional<int64_t> last_count_ns_;
  std::optional<memory::PressureLevel> worst_uncounted_;
  DegradationCounters degradation_;
};

}  // namespace fsspeckit::perf
