// fsspeckit: one reading of every memory signal, in bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

namespace fsspeckit::memory {

inline constexpr int64_t kBytesInMiB = 1024 * 1024;

/// The memory cgroup that leaves this process the least headroom (cgroup v1 or v2).
struct CgroupReading {
  int version = 0;                      ///< 1 or 2
  std::string path;                     ///< the cgroup's directory, e.g. /sys/fs/cgroup/...
  std::optional<int64_t> limit_bytes;   ///< absent when no level on the path has a limit
  int64_t usage_bytes = 0;              ///< memory.current / memory.usage_in_bytes
  int64_t reclaimable_bytes = 0;        ///< inactive file cache, not counted as used

  /// limit - (usage - reclaimable), or absent without a limit. May be negative.
  std::optional<int64_t> headroom_bytes() const {
    if (!limit_bytes) return std::nullopt;
    return *limit_bytes - (usage_bytes - reclaimable_bytes);
  }
};

/// Pressure stall information (/proc/pressure/memory): % of wall time stalled, 10 s average.
struct PsiReading {
  double some_avg10 = 0;  ///< at least one task stalled on memory
  double full_avg10 = 0;  ///< all non-idle tasks stalled (thrashing)
};

/// Readings from the operating system. Each is absent where the platform lacks it;
/// an absent reading is never reported or evaluated as zero.
struct SystemReadings {
  std::optional<int64_t> rss_bytes;            ///< process resident set
  std::optional<int64_t> mem_available_bytes;  ///< MemAvailable of the host or VM
  std::optional<CgroupReading> cgroup;
  std::optional<PsiReading> psi;
};

struct MemorySnapshot {
  int64_t pool_bytes = 0;  ///< Arrow default pool, bytes allocated now
  SystemReadings system;
};

/// What this process can still use: the smaller of MemAvailable and the tightest
/// cgroup headroom (clamped at 0). Absent when neither is known. psutil-based monitors
/// see only MemAvailable, which is blind to container limits.
inline std::optional<int64_t> SystemAvailableBytes(const SystemReadings& system) {
  std::optional<int64_t> available = system.mem_available_bytes;
  if (system.cgroup) {
    if (std::optional<int64_t> headroom = system.cgroup->headroom_bytes()) {
      int64_t clamped = std::max<int64_t>(*headroom, 0);
      available = available ? std::min(*available, clamped) : clamped;
    }
  }
  return available;
}

}  // namespace fsspeckit::memory
