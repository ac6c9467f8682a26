// fsspeckit: the second of a merge's steps: one task (a rewrite or the inserts), run where
// the executor puts it, writing only under its own attempt folder.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/memory_pool.h>
#include <arrow/result.h>
#include <arrow/util/cancel.h>

#include "fsspeckit/io/test_hooks.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/memory/budget.h"
#include "fsspeckit/merge/plan.h"

namespace fsspeckit::merge {

struct TaskSource;  // the source rows a task reads and the index of their keys

/// What a task reports: metadata only. `staged` files lie under the task's own attempt
/// folder (TaskDir): a retried or duplicated attempt writes elsewhere, and the commit
/// accepts one attempt per task.
struct TaskResult {
  int64_t task = -1;
  std::string attempt;
  std::vector<io::WrittenFile> staged;  ///< path, rows, bytes
  int64_t rows_written = 0;
  int64_t matched_keys = 0;             ///< source rows that replaced a target row
  int64_t memory_peak_bytes = 0;        ///< the watched pool's peak while the task ran
  double seconds = 0;

  std::string Serialize() const;
  static arrow::Result<TaskResult> Deserialize(std::string_view bytes);
};

/// `<staging>/task-<task>-<attempt>`.
std::string TaskDir(const Plan& plan, int64_t task, const std::string& attempt);

struct TaskSource;  // the source rows a task reads and the index of their keys

/// What a task reads besides the dataset: the driver's source in memory, or the rows
/// LoadTaskInput() read back from the staged source.
struct TaskInput {
  std::shared_ptr<TaskSource> source;
};

/// How a task runs where it runs.
struct TaskOptions {
  /// The merge's budget (the driver's, for tasks in its process); nullptr: one of
  /// `limits` for this task, as a task on another machine has.
  std::shared_ptr<memory::Budget> budget;
  memory::MemoryLimits limits;
  /// The collector hook the task's degradation ladder runs (Python: gc.collect).
  std::function<void()> collect;
  /// Rows done since the last call; an error aborts the task.
  std::function<arrow::Status(int64_t)> advance;
  /// Names this attempt's files; empty: a fresh unique id.
  std::string attempt;
  /// Checked at every row group: a stop requested fails the task with Cancelled.
  arrow::StopToken stop = arrow::StopToken::Unstoppable();
  /// Crash points for tests (TestHooks::after_rewrite_row_group); nullptr in production.
  std::shared_ptr<const io::TestHooks> hooks;
};

/// Reads the staged source (plan.source_path) for `task`: only its rows are kept, in
/// `pool` (the task's budget).
arrow::Result<TaskInput> LoadTaskInput(const Plan& plan, int64_t task,
                                       std::shared_ptr<arrow::fs::FileSystem> fs,
                                       arrow::MemoryPool* pool = arrow::default_memory_pool());

/// Runs one task of `plan`, writing only under TaskDir(plan, task, attempt).
arrow::Result<TaskResult> RunTask(const Plan& plan, int64_t task, const TaskInput& input,
                                  std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options);

}  // namespace fsspeckit::merge
