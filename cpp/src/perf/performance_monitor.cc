// fsspeckit: phases, peaks, pressure statistics and degradation counts of one operation.
#include "fsspeckit/perf/performance_monitor.h"

#include <algorithm>
#include "fsspeckit/memory/steady_clock.h"

namespace fsspeckit::perf {
PerformanceMonitor::PerformanceMonitor(std::shared_ptr<memory::MemoryMonitor> monitor,
                                       std::function<int64_t()> now_ns,
                                       int64_t sample_interval_ms)
    : monitor_(std::move(monitor)),
      now_ns_(now_ns ? std::move(now_ns) : memory::SteadyNowNs),
      sample_interval_ns_(sample_interval_ms * 1'000'000),
      start_ns_(now_ns_()) {}

std::unique_ptr<PerformanceMonitor> PerformanceMonitor::Make(
    std::shared_ptr<memory::MemoryMonitor> monitor, std::function<int64_t()> now_ns,
    int64_t sample_interval_ms) {
  return std::unique_ptr<PerformanceMonitor>(
      new PerformanceMonitor(std::move(monitor), std::move(now_ns), sample_interval_ms));
}

void PerformanceMonitor::SampleLocked(bool force) {
  memory::MemorySnapshot snapshot = monitor_->Snapshot();
  memory_peak_bytes_ = std::max(memory_peak_bytes_, snapshot.pool_bytes);
  if (snapshot.system.rss_bytes) {
    process_memory_peak_bytes_ = std::max(process_memory_peak_bytes_, *snapshot.system.rss_bytes);
  }
  int64_t now = now_ns_();
  memory::PressureLevel level = monitor_->Evaluate(snapshot);
  worst_uncounted_ = worst_uncounted_ ? memory::MaxPressure(*worst_uncounted_, level) : level;
  if (force || !last_count_ns_ || now - *last_count_ns_ >= sample_interval_ns_) {
    ++pressure_counts_[static_cast<int>(*worst_uncounted_)];
    worst_uncounted_.reset();
    last_count_ns_ = now;
  }
}

void PerformanceMonitor::EndOpLocked(int64_t now) {
  if (!current_op_) return;
  auto it = std::find_if(breakdown_ns_.begin(), breakdown_ns_.end(),
                         [&](const auto& entry) { return entry.first == *current_op_; });
  if (it == breakdown_ns_.end()) {
    breakdown_ns_.emplace_back(*current_op_, now - op_start_ns_);
  } else {
    it->second += now - op_start_ns_;
  }
  current_op_.reset();
}

void PerformanceMonitor::StartOp(std::string name) {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t now = now_ns_();
  EndOpLocked(now);
  current_op_ = std::move(name);
  op_start_ns_ = now;
  SampleLocked(/*force=*/false);
}

void PerformanceMonitor::EndOp() {
  std::lock_guard<std::mutex> lock(mutex_);
  EndOpLocked(now_ns_());
  SampleLocked(/*force=*/false);
}

void PerformanceMonitor::TrackMemory() {
  std::lock_guard<std::mutex> lock(mutex_);
  SampleLocked(/*force=*/false);
}

PerformanceMetrics PerformanceMonitor::Metrics(int64_t total_rows_before,
                                               int64_t total_rows_after,
                                               int64_t total_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  SampleLocked(/*force=*/true);
  PerformanceMetrics metrics;
  double seconds = static_cast<double>(now_ns_() - start_ns_) / 1e9;
  metrics.total_process_time_sec = seconds;
  metrics.memory_peak_bytes = memory_peak_bytes_;
  metrics.process_memory_peak_bytes = process_memory_peak_bytes_;
  if (seconds > 0) {
    metrics.throughput_bytes_per_sec = static_cast<double>(total_bytes) / seconds;
    metrics.rows_per_sec = static_cast<double>(total_rows_before) / seconds;
  }
  metrics.files_processed = counters_.files_processed;
  metrics.chunks_processed = counters_.chunks_processed;
  if (total_rows_before > 0) {
    metrics.dedup_efficiency = static_cast<double>(total_rows_before - total_rows_after) /
                               static_cast<double>(total_rows_before);
  }
  for (const auto& [name, ns] : breakdown_ns_) {
    metrics.operation_breakdown_sec.emplace_back(name, static_cast<double>(ns) / 1e9);
  }
  metrics.system_available_bytes = memory::SystemAvailableBytes(monitor_->Snapshot().system);
  metrics.pressure_counts = pressure_counts_;
  metrics.degradation = degradation_;
  return metrics;
}

void PerformanceMonitor::AddFiles(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_.files_processed += n;
}

void PerformanceMonitor::AddChunks(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_.chunks_processed += n;
}

void PerformanceMonitor::AddRows(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_.total_rows_processed += n;
}

void PerformanceMonitor::AddBytes(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_.total_bytes_processed += n;
}

void PerformanceMonitor::OnCollection() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++degradation_.collections;
}

void PerformanceMonitor::OnPoolRelease() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++degradation_.pool_releases;
}

void PerformanceMonitor::OnChunkSize(int64_t chunk_size_rows, bool reduced) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (reduced) ++degradation_.chunk_size_reductions;
  std::optional<int64_t>& smallest = degradation_.smallest_chunk_size_rows;
  smallest = smallest ? std::min(*smallest, chunk_size_rows) : chunk_size_rows;
}

PerformanceMonitor::Counters PerformanceMonitor::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

void PerformanceMonitor::set_counters(const Counters& counters) {
  std::lock_guard<std::mutex> lock(mutex_);
  counters_ = counters;
}

std::optional<std::string> PerformanceMonitor::current_op() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_op_;
}

int64_t PerformanceMonitor::memory_peak_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return memory_peak_bytes_;
}

int64_t PerformanceMonitor::process_memory_peak_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return process_memory_peak_bytes_;
}

DegradationCounters PerformanceMonitor::degradation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return degradation_;
}

}  // namespace fsspeckit::perf
