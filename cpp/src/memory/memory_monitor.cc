// fsspeckit: the memory monitor: readings, a 100 ms cache, pressure levels, status text.
#include "fsspeckit/memory/memory_monitor.h"

#include "fsspeckit/memory/byte_text.h"

#include <charconv>
#include <cstdio>

#include "fsspeckit/log/log.h"
#include "fsspeckit/memory/procfs_memory_source.h"
#include "fsspeckit/memory/steady_clock.h"

namespace fsspeckit::memory {
namespace {


}  // namespace

MemoryMonitor::MemoryMonitor(MemoryMonitorOptions options)
    : source_(std::move(options.source)),
      now_ns_(std::move(options.now_ns)),
      cache_ttl_ms_(options.cache_ttl_ms),
      limits_(options.limits) {}

arrow::Result<std::unique_ptr<MemoryMonitor>> MemoryMonitor::Make(
    MemoryMonitorOptions options) {
  ARROW_RETURN_NOT_OK(options.limits.Validate());
  if (options.cache_ttl_ms < 0) {
    return arrow::Status::Invalid("cache_ttl_ms must be 0 or more, got: ",
                                  options.cache_ttl_ms);
  }
  if (!options.source) options.source = ProcfsMemorySource::Open();
  if (!options.now_ns) options.now_ns = SteadyNowNs;
  std::unique_ptr<MemoryMonitor> monitor(new MemoryMonitor(std::move(options)));

  MemorySnapshot first = monitor->FreshSnapshot();
  const MemoryLimits& limits = monitor->limits_;
  bool rss_ignored = limits.max_rss_bytes && *limits.max_rss_bytes > 0 &&
                     !first.system.rss_bytes;
  bool system_ignored =
      limits.min_system_available_bytes > 0 && !SystemAvailableBytes(first.system);
  if (rss_ignored || system_ignored) {
    // The migration guide's wording, kept so existing log filters still match.
    log::Log(log::LogLevel::kDebug,
             "psutil not available; system memory thresholds will be ignored.");
  }
  return monitor;
}

void MemoryMonitor::RefreshLocked(bool force) {
  int64_t now = now_ns_();
  if (!force && has_cache_ && now - cached_at_ns_ < cache_ttl_ms_ * 1'000'000) return;
  cached_system_ = source_->ReadSystem();
  cached_at_ns_ = now;
  has_cache_ = true;
}

MemorySnapshot MemoryMonitor::Snapshot() { return TakeSnapshot(/*fresh=*/false); }

MemorySnapshot MemoryMonitor::FreshSnapshot() { return TakeSnapshot(/*fresh=*/true); }

MemorySnapshot MemoryMonitor::TakeSnapshot(bool fresh) {
  MemorySnapshot snapshot;
  snapshot.pool_bytes = source_->ReadPoolBytes();
  std::lock_guard<std::mutex> lock(mutex_);
  RefreshLocked(/*force=*/fresh);
  snapshot.system = cached_system_;
  return snapshot;
}

PressureLevel MemoryMonitor::Evaluate(const MemorySnapshot& snapshot) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return EvaluatePressure(snapshot.pool_bytes, snapshot.system, limits_);
}

PressureLevel MemoryMonitor::Level() {
  int64_t pool_bytes = source_->ReadPoolBytes();
  std::lock_guard<std::mutex> lock(mutex_);
  RefreshLocked(/*force=*/false);
  return EvaluatePressure(pool_bytes, cached_system_, limits_);
}

PressureLevel MemoryMonitor::CheckPressure() {
  // The common, normal case costs no snapshot copy; only a warning needs the readings.
  if (Level() == PressureLevel::kNormal) return PressureLevel::kNormal;
  MemorySnapshot snapshot = Snapshot();
  PressureLevel level = Evaluate(snapshot);
  if (level != PressureLevel::kNormal) {
    std::string message = "Memory pressure detected: ";
    message += PressureLevelName(level);
    message += ". ";
    message += DetailedStatus(snapshot);
    log::Log(log::LogLevel::kWarning, message);
  }
  return level;
}

std::string MemoryMonitor::DetailedStatus(const MemorySnapshot& snapshot) const {
  MemoryLimits limits = this->limits();
  std::string out = "PyArrow: " + MibOneDecimalText(snapshot.pool_bytes) + "/" +
                    LimitMibText(limits.max_pool_bytes) + " MB";
  if (snapshot.system.rss_bytes) {
    out += " | Process RSS: " + MibOneDecimalText(*snapshot.system.rss_bytes);
    if (limits.max_rss_bytes && *limits.max_rss_bytes > 0) {
      out += "/" + LimitMibText(*limits.max_rss_bytes);
    }
    out += " MB";
  }
  if (std::optional<int64_t> available = SystemAvailableBytes(snapshot.system)) {
    out += " | System Available: " + MibOneDecimalText(*available) + " MB (min: " +
           LimitMibText(limits.min_system_available_bytes) + " MB)";
  }
  return out;
}

MemoryLimits MemoryMonitor::limits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return limits_;
}

arrow::Status MemoryMonitor::SetLimits(const MemoryLimits& limits) {
  ARROW_RETURN_NOT_OK(limits.Validate());
  std::lock_guard<std::mutex> lock(mutex_);
  limits_ = limits;
  return arrow::Status::OK();
}

arrow::Result<bool> MemoryMonitor::ShouldCheck(int64_t chunks_processed,
                                               int64_t check_interval) {
  if (check_interval <= 0) {
    return arrow::Status::Invalid("check_interval must be a positive number of chunks, got: ",
                                  check_interval);
  }
  return chunks_processed % check_interval == 0;
}

}  // namespace fsspeckit::memory
