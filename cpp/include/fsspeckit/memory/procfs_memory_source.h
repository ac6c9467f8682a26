// fsspeckit: memory readings from Linux procfs and cgroupfs through kept-open files.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "fsspeckit/memory/memory_source.h"

namespace arrow {
class MemoryPool;
}

namespace fsspeckit::memory {

inline constexpr int64_t kDefaultSlowRefreshMs = 1000;

struct ProcfsMemorySourceOptions {
  /// The pool to watch; nullptr means OperationPool(), which counts the pool pyarrow
  /// reports through pa.total_allocated_bytes() and the one operations allocate from.
  arrow::MemoryPool* pool = nullptr;
  /// Where procfs is mounted; tests point this at a fixture tree.
  std::string proc_root = "/proc";
  /// Readings that change slowly are re-read at most this often: the kernel updates
  /// PSI averages every 2 s, and cgroup limits change only when an administrator sets
  /// them. MemAvailable too, while more than half of MemTotal is available (this
  /// process's own RSS growth is subtracted meanwhile); below that, on every call, as
  /// RSS and cgroup usage always are.
  int64_t slow_refresh_ms = kDefaultSlowRefreshMs;
};

/// Reads /proc/self/statm, /proc/meminfo, /proc/pressure/memory and the memory cgroup
/// files of this process, each through a file descriptor opened once and re-read with
/// pread (about 0.5 us for statm instead of 2 us for open+read+close). Files that do
/// not exist make their reading absent. Thread-safe.
class ProcfsMemorySource : public MemorySource {
 public:
  static std::unique_ptr<ProcfsMemorySource> Open(ProcfsMemorySourceOptions options = {});
  ~ProcfsMemorySource() override;

  int64_t ReadPoolBytes() override;
  SystemReadings ReadSystem() override;

 private:
  struct Files;
  explicit ProcfsMemorySource(arrow::MemoryPool* pool, std::unique_ptr<Files> files,
                              int64_t slow_refresh_ms);
  std::optional<int64_t> ReadAvailable(std::optional<int64_t> rss_bytes, int64_t now_ns,
                                       std::array<char, 4096>& buffer);
  arrow::MemoryPool* pool_;
  std::unique_ptr<Files> files_;
  const int64_t slow_refresh_ns_;
};

}  // namespace fsspeckit::memory
