// fsspeckit: what the driver of a merge holds between plan and commit.
#pragma once

#include <memory>
#include <optional>

#include "fsspeckit/io/dataset_lock.h"
#include "fsspeckit/merge/key_index.h"
#include "fsspeckit/merge/merge_steps.h"
#include "fsspeckit/perf/performance_monitor.h"
#include "io/staged_commit_internal.h"
#include "source_rows.h"

namespace fsspeckit::merge {

/// Rows a task reads: the whole source (in the driver), or exactly the task's rows in
/// the task's order (`routed`, read back from the staged source elsewhere). `keys`
/// indexes `rows` for rewrites.
struct TaskSource {
  SourceRows rows;
  std::shared_ptr<KeyIndex> keys;
  bool routed = false;
};

struct PlannedMerge::State {
  io::Location location;
  MergeOptions options;
  Plan plan;
  std::unique_ptr<io::DatasetLock> lock;
  std::optional<io::StagedCommit> staging;  ///< removed unless committed
  std::shared_ptr<memory::MemoryMonitor> monitor;
  std::unique_ptr<perf::PerformanceMonitor> perf;
  std::shared_ptr<TaskSource> source;
  int64_t source_bytes = 0;
};

}  // namespace fsspeckit::merge
