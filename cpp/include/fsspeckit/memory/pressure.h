// fsspeckit: memory pressure levels and the limits they are judged against.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/status.h>

#include "fsspeckit/memory/budget_error.h"
#include "fsspeckit/memory/memory_snapshot.h"

namespace fsspeckit::memory {

/// Ordered by severity, so the most severe of two levels is the larger.
enum class PressureLevel : int { kNormal = 0, kWarning = 1, kCritical = 2, kEmergency = 3 };
inline constexpr int kNumPressureLevels = 4;

/// "normal", "warning", "critical", "emergency" (the Python enum values).
std::string_view PressureLevelName(PressureLevel level);

/// The more severe of the two.
PressureLevel MaxPressure(PressureLevel a, PressureLevel b);

/// The monitor's defaults (the guide's MemoryMonitor(max_pyarrow_mb=2048,
/// min_system_available_mb=512)); front ends read them from here.
inline constexpr int64_t kDefaultMaxPoolBytes = 2048 * kBytesInMiB;
inline constexpr int64_t kDefaultMinSystemAvailableBytes = 512 * kBytesInMiB;

/// Usage ratios where the levels start (UsageLevel): above kWarningUsage the ladder
/// relieves, above kCriticalUsage it shrinks, at 1 it stops.
inline constexpr double kWarningUsage = 0.7;
inline constexpr double kCriticalUsage = 0.9;

struct MemoryLimits {
  /// Budget for the Arrow pool (Python: max_pyarrow_mb). Must be positive.
  int64_t max_pool_bytes = kDefaultMaxPoolBytes;
  /// Budget for the process RSS (Python: max_process_memory_mb); absent or 0: RSS is
  /// not evaluated.
  std::optional<int64_t> max_rss_bytes;
  /// Headroom to keep on the system or container (Python: min_system_available_mb);
  /// 0: not evaluated.
  int64_t min_system_available_bytes = kDefaultMinSystemAvailableBytes;

  /// Invalid naming the limit (a BudgetError, which each front end spells as its own
  /// option) and the fix when a value is out of range.
  arrow::Status Validate() const;
};

/// A budget's level: used/limit >= 1.0 EMERGENCY, > 0.9 CRITICAL, > 0.7 WARNING.
PressureLevel UsageLevel(int64_t used_bytes, int64_t limit_bytes);

/// Headroom's level: available < 1x minimum EMERGENCY, < 1.5x CRITICAL, < 2x WARNING.
PressureLevel HeadroomLevel(int64_t available_bytes, int64_t min_bytes);

/// The limits at EMERGENCY in these readings (the ones to change), in Limit order.
std::vector<Limit> ExceededLimits(int64_t pool_bytes, const SystemReadings& system,
                                  const MemoryLimits& limits);

/// The most severe level over every configured limit whose reading is present.
PressureLevel EvaluatePressure(int64_t pool_bytes, const SystemReadings& system,
                               const MemoryLimits& limits);

}  // namespace fsspeckit::memory
