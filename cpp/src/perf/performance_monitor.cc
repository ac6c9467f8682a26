// fsspeckit: phases, peaks, pressure statistics and degradation counts of one operation.
#include "fsspeckit/perf/performance_monitor.h"

#include <algorithm>
#include <iterator>

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

int PerformanceMonitor::LabelLocked(const std::string& name) {
  auto it = label_index_.find(name);
  if (it != label_index_.end()) return it->second;
  if (labels_.size() + 1 >= kTimelineLabelCapacity && name != kOtherTasksLabel) {
    return LabelLocked(kOtherTasksLabel);  // say, a merge rewriting thousands of files
  }
  labels_.push_back(name);
  return label_index_[name] = static_cast<int>(labels_.size()) - 1;
}

int PerformanceMonitor::ThreadLabelLocked() const {
  const std::thread::id thread = std::this_thread::get_id();
  for (auto it = thread_tasks_.rbegin(); it != thread_tasks_.rend(); ++it) {
    if (it->first == thread) return it->second;
  }
  return current_op_label_;
}

void PerformanceMonitor::SampleLocked(bool force) {
  memory::MemorySnapshot snapshot = monitor_->Snapshot();
  memory_peak_bytes_ = std::max(memory_peak_bytes_, snapshot.pool_bytes);
  if (snapshot.system.rss_bytes) {
    process_memory_peak_bytes_ = std::max(process_memory_peak_bytes_, *snapshot.system.rss_bytes);
  }
  int64_t now = now_ns_();
  memory::PressureLevel level = monitor_->Evaluate(snapshot);
  TimelineSample sample{now - start_ns_, snapshot.pool_bytes, snapshot.system.rss_bytes,
                        memory::SystemAvailableBytes(snapshot.system), level,
                        ThreadLabelLocked(), chunk_size_rows_};
  samples_.Add(sample);
  worst_uncounted_ = worst_uncounted_ ? memory::MaxPressure(*worst_uncounted_, level) : level;
  if (force || !last_count_ns_ || now - *last_count_ns_ >= sample_interval_ns_) {
    ++pressure_counts_[static_cast<int>(*worst_uncounted_)];
    worst_uncounted_.reset();
    last_count_ns_ = now;
  }
}

void PerformanceMonitor::AddPhaseTimeLocked(const std::string& name, int64_t start_ns,
                                            int64_t end_ns) {
  auto it = std::find_if(breakdown_.begin(), breakdown_.end(),
                         [&](const PhaseTime& entry) { return entry.name == name; });
  if (it != breakdown_.end()) {
    it->total_ns += end_ns - start_ns;
  } else {
    // A phase timed as a task may end before one that started earlier.
    auto later = std::find_if(breakdown_.begin(), breakdown_.end(),
                              [&](const PhaseTime& entry) { return entry.first_start_ns > start_ns; });
    breakdown_.insert(later, {name, start_ns, end_ns - start_ns});
  }
  phases_.Add({start_ns - start_ns_, end_ns - start_ns_, LabelLocked(name)});
}

void PerformanceMonitor::EndOpLocked(int64_t now) {
  if (!current_op_) return;
  AddPhaseTimeLocked(*current_op_, op_start_ns_, now);
  current_op_.reset();
  current_op_label_ = -1;
}

PerformanceMonitor::Task PerformanceMonitor::StartTask(const std::string& label,
                                                       const std::string& phase) {
  std::lock_guard<std::mutex> lock(mutex_);
  thread_tasks_.emplace_back(std::this_thread::get_id(), LabelLocked(label));
  return Task(*this, phase, now_ns_());
}

PerformanceMonitor::Task::~Task() {
  std::lock_guard<std::mutex> lock(owner_.mutex_);
  auto& tasks = owner_.thread_tasks_;
  const std::thread::id thread = std::this_thread::get_id();
  for (auto it = tasks.rbegin(); it != tasks.rend(); ++it) {
    if (it->first == thread) {
      tasks.erase(std::next(it).base());
      break;
    }
  }
  if (!phase_.empty()) owner_.AddPhaseTimeLocked(phase_, start_ns_, owner_.now_ns_());
}

void PerformanceMonitor::StartOp(std::string name) {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t now = now_ns_();
  EndOpLocked(now);
  current_op_label_ = LabelLocked(name);
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
  const int64_t now = now_ns_();
  double seconds = static_cast<double>(now - start_ns_) / 1e9;
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
  for (const PhaseTime& phase : breakdown_) {
    metrics.operation_breakdown_sec.emplace_back(phase.name, static_cast<double>(phase.total_ns) / 1e9);
  }
  metrics.system_available_bytes = memory::SystemAvailableBytes(monitor_->Snapshot().system);
  metrics.pressure_counts = pressure_counts_;
  metrics.degradation = degradation_;
  metrics.timeline = TimelineLocked(now);
  return metrics;
}

Timeline PerformanceMonitor::TimelineLocked(int64_t now) const {
  Timeline timeline;
  timeline.limits = monitor_->limits();
  timeline.labels = labels_;
  timeline.samples = samples_.items();
  timeline.events = events_.items();
  timeline.phases = phases_.items();
  if (current_op_) timeline.phases.push_back({op_start_ns_ - start_ns_, now - start_ns_, current_op_label_});
  timeline.checks = samples_.added();
  timeline.sample_bucket_ns = samples_.bucket_ns();
  return timeline;
}

void PerformanceMonitor::AddEventLocked(TimelineEventKind kind, int64_t value) {
  TimelineEvent event;
  event.time_ns = now_ns_() - start_ns_;
  event.kind = kind;
  event.value = value;
  event.label = ThreadLabelLocked();
  events_.Add(event);
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
  AddEventLocked(TimelineEventKind::kCollection, 0);
}

void PerformanceMonitor::OnPoolRelease() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++degradation_.pool_releases;
  AddEventLocked(TimelineEventKind::kPoolRelease, 0);
}

void PerformanceMonitor::OnChunkSize(int64_t chunk_size_rows, bool reduced) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (reduced) ++degradation_.chunk_size_reductions;
  std::optional<int64_t>& smallest = degradation_.smallest_chunk_size_rows;
  smallest = smallest ? std::min(*smallest, chunk_size_rows) : chunk_size_rows;
  if (reduced) {
    AddEventLocked(TimelineEventKind::kChunkHalved, chunk_size_rows);
  } else if (chunk_size_rows_ && chunk_size_rows > *chunk_size_rows_) {
    AddEventLocked(TimelineEventKind::kChunkDoubled, chunk_size_rows);
  }
  chunk_size_rows_ = chunk_size_rows;
}

void PerformanceMonitor::OnEmergencyRecheck(memory::PressureLevel level_after) {
  std::lock_guard<std::mutex> lock(mutex_);
  AddEventLocked(TimelineEventKind::kEmergencyRecheck, static_cast<int64_t>(level_after));
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
