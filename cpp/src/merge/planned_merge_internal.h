// fsspeckit: what the driver of a merge holds between plan and commit.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <optional>

#include "io/dataset_lock_internal.h"
#include "io/dataset_snapshot_internal.h"
#include "fsspeckit/memory/capped_pool.h"
#include "merge/key_index_internal.h"
#include "merge/target_scan_internal.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/perf/performance_monitor.h"
#include "io/staged_commit_internal.h"
#include "merge/source_rows_internal.h"

namespace fsspeckit::merge {

/// Rows a task reads: the whole source (in the driver), or exactly the task's rows in
/// the task's order (`routed`, read back from the staged source elsewhere). `keys`
/// indexes `rows` for rewrites. In the driver, `planned_keys` holds the key columns the
/// plan read, by file path: each rewrite takes its file's row groups out of it (only
/// its own entry, so rewrites on several threads never touch the same one).
struct TaskSource {
  SourceRows rows;
  std::shared_ptr<KeyIndex> keys;
  bool routed = false;
  std::map<std::string, std::map<int, PlannedKeys>> planned_keys;
};

struct PlannedMerge::State {
  /// First: everything below may hold buffers from it.
  std::unique_ptr<memory::CappedMemoryPool> pool;
  io::Location location;
  MergeOptions options;
  Plan plan;
  std::unique_ptr<io::DatasetLock> lock;
  io::DatasetSnapshot planned_files;  ///< the commit refuses a dataset changed since
  std::optional<io::StagedCommit> staging;  ///< removed unless committed
  std::shared_ptr<memory::MemoryMonitor> monitor;
  std::unique_ptr<perf::PerformanceMonitor> perf;
  std::shared_ptr<TaskSource> source;
  int64_t source_bytes = 0;
};

// Every MemoryError of a merge names an option to change: the ladder's name the limit
// exceeded; an allocation that failed is the Arrow budget's.
inline arrow::Status NameTheBudget(arrow::Status status) {
  if (!status.IsOutOfMemory() || status.message().find("merge_") != std::string::npos) {
    return status;
  }
  return status.WithMessage(status.message(), "; to go on, raise ", kMergeLimitNames.pool,
                            " or merge the source in smaller parts");
}

}  // namespace fsspeckit::merge
