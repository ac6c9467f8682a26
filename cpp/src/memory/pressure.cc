// fsspeckit: memory pressure levels and the limits they are judged against.
#include "fsspeckit/memory/pressure.h"

#include "fsspeckit/memory/byte_text.h"

#include <algorithm>
#include <cstdio>

namespace fsspeckit::memory {

std::string_view PressureLevelName(PressureLevel level) {
  switch (level) {
    case PressureLevel::kNormal:
      return "normal";
    case PressureLevel::kWarning:
      return "warning";
    case PressureLevel::kCritical:
      return "critical";
    case PressureLevel::kEmergency:
      return "emergency";
  }
  return "unknown";
}

PressureLevel MaxPressure(PressureLevel a, PressureLevel b) { return std::max(a, b); }


arrow::Status MemoryLimits::Validate() const {
  if (max_pool_bytes <= 0) {
    return InvalidLimit(Limit::kPool,
                        "must be positive: give the Arrow memory budget in MiB, got " + LimitMibText(max_pool_bytes));
  }
  if (max_rss_bytes && *max_rss_bytes < 0) {
    return InvalidLimit(Limit::kRss,
                        "must be positive, or 0 or None to not watch the process RSS, got " +
                            LimitMibText(*max_rss_bytes));
  }
  if (min_system_available_bytes < 0) {
    return InvalidLimit(Limit::kSystem, "must be 0 or more (0 turns the system check off), got " +
                                            LimitMibText(min_system_available_bytes));
  }
  return arrow::Status::OK();
}

std::vector<Limit> ExceededLimits(int64_t pool_bytes, const SystemReadings& system,
                                  const MemoryLimits& limits) {
  std::vector<Limit> exceeded;
  if (UsageLevel(pool_bytes, limits.max_pool_bytes) == PressureLevel::kEmergency) {
    exceeded.push_back(Limit::kPool);
  }
  if (limits.max_rss_bytes && *limits.max_rss_bytes > 0 && system.rss_bytes &&
      UsageLevel(*system.rss_bytes, *limits.max_rss_bytes) == PressureLevel::kEmergency) {
    exceeded.push_back(Limit::kRss);
  }
  std::optional<int64_t> available = SystemAvailableBytes(system);
  if (limits.min_system_available_bytes > 0 && available &&
      HeadroomLevel(*available, limits.min_system_available_bytes) == PressureLevel::kEmergency) {
    exceeded.push_back(Limit::kSystem);
  }
  return exceeded;
}

PressureLevel UsageLevel(int64_t used_bytes, int64_t limit_bytes) {
  // The same double ratio the original computes from MiB floats (dividing both sides
  // by 2^20 is exact), so boundaries land identically: 0.7 exactly is NORMAL.
  double ratio = static_cast<double>(used_bytes) / static_cast<double>(limit_bytes);
  if (ratio >= 1.0) return PressureLevel::kEmergency;
  if (ratio > kCriticalUsage) return PressureLevel::kCritical;
  if (ratio > kWarningUsage) return PressureLevel::kWarning;
  return PressureLevel::kNormal;
}

PressureLevel HeadroomLevel(int64_t available_bytes, int64_t min_bytes) {
  double available = static_cast<double>(available_bytes);
  double minimum = static_cast<double>(min_bytes);
  if (available < minimum) return PressureLevel::kEmergency;
  if (available < 1.5 * minimum) return PressureLevel::kCritical;
  if (available < 2.0 * minimum) return PressureLevel::kWarning;
  return PressureLevel::kNormal;
}

PressureLevel EvaluatePressure(int64_t pool_bytes, const SystemReadings& system,
                               const MemoryLimits& limits) {
  PressureLevel level = UsageLevel(pool_bytes, limits.max_pool_bytes);
  if (limits.max_rss_bytes && *limits.max_rss_bytes > 0 && system.rss_bytes) {
    level = MaxPressure(level, UsageLevel(*system.rss_bytes, *limits.max_rss_bytes));
  }
  if (limits.min_system_available_bytes > 0) {
    if (std::optional<int64_t> available = SystemAvailableBytes(system)) {
      level = MaxPressure(level, HeadroomLevel(*available, limits.min_system_available_bytes));
    }
  }
  return level;
}

}  // namespace fsspeckit::memory
