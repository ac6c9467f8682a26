// fsspeckit: what the local executor adds to a task run in the planning process.
#pragma once

#include <string>

#include "fsspeckit/merge/task.h"
#include "fsspeckit/perf/performance_monitor.h"

namespace fsspeckit::merge {

struct LocalTaskContext {
  /// Labels the task's memory checks ("rewrite part-3.parquet") and counts its ladder's
  /// steps; may be nullptr.
  perf::PerformanceMonitor* perf = nullptr;
  /// For an insert task run beside rewrites: the phase its time counts as.
  std::string insert_phase;
  /// A rewrite decodes a row group's columns on Arrow's CPU pool. Off when tasks already
  /// run side by side on every core: the hand-offs would cost more than they overlap.
  bool decode_in_parallel = true;
};

/// RunTask (task.h), told where it runs.
arrow::Result<TaskResult> RunTask(const Plan& plan, int64_t task, const TaskInput& input,
                                  std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options, const LocalTaskContext& local);

}  // namespace fsspeckit::merge
