// fsspeckit: the memory cgroup (v1 or v2) that bounds this process, and its headroom.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fsspeckit/memory/memory_snapshot.h"

namespace fsspeckit::memory {

/// One directory of the memory cgroup hierarchy.
struct CgroupDir {
  int version = 0;  ///< 1 or 2
  std::string path;
};

/// The directories of this process's memory cgroup, from its own up to the root of the
/// mounted hierarchy, resolved from the text of /proc/self/cgroup and
/// /proc/self/mountinfo. A v1 memory controller wins over the v2 unified hierarchy
/// (hybrid systems mount v2 without the memory controller). Empty when no memory
/// controller is mounted or the process's cgroup lies outside every mount.
std::vector<CgroupDir> ResolveMemoryCgroupDirs(std::string_view proc_self_cgroup,
                                               std::string_view mountinfo);

/// A memory limit file's value: "max" (v2) and values of 2^62 or more (v1 writes
/// LONG_MAX rounded down to a page, 9223372036854771712) mean no limit.
std::optional<int64_t> ParseCgroupLimit(std::string_view text);

/// Reads usage, limits and reclaimable cache along a cgroup path through files opened
/// once. A limit anywhere on the path binds the process, so the reading reports the
/// level with the least headroom (v2: the smaller of memory.max and memory.high).
/// Thread-safe.
class CgroupMemoryReader {
 public:
  /// nullptr when `dirs` is empty or its first (own) directory has no usage file.
  static std::unique_ptr<CgroupMemoryReader> Open(const std::vector<CgroupDir>& dirs);
  ~CgroupMemoryReader();

  /// Usage and reclaimable cache are read every time; the limits only when
  /// `refresh_limits` (or on the first call), since administrators change them rarely
  /// and each level costs a read. Without a limit anywhere on the path the usage is
  /// informational and read only with the limits.
  CgroupReading Read(bool refresh_limits = true);

 private:
  struct Level;
  explicit CgroupMemoryReader(std::vector<Level> levels);
  std::mutex mutex_;
  std::vector<Level> levels_;
  bool limits_read_ = false;
  int64_t unlimited_usage_bytes_ = 0;  // own usage, as last read, when nothing is limited
};

}  // namespace fsspeckit::memory
