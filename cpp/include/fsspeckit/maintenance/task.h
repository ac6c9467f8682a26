// fsspeckit: the second of a maintenance operation's steps: one group of files rewritten
// into new files, written only under the task's own attempt folder.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>
#include <arrow/util/cancel.h>

#include "fsspeckit/io/test_hooks.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/maintenance/plan.h"
#include "fsspeckit/memory/budget.h"
#include "fsspeckit/perf/performance_monitor.h"

namespace fsspeckit::maintenance {

/// What a task reports: metadata only; `staged` files lie under its attempt folder.
struct TaskResult {
  int64_t group = -1;
  std::string attempt;
  std::vector<io::WrittenFile> staged;  ///< path, rows, bytes, in row order
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int64_t row_groups_copied = 0;        ///< copied raw, never decoded
  int64_t row_groups_encoded = 0;       ///< written from decoded rows
  int64_t spill_buckets = 0;            ///< deduplication: keys resolved in this many hash buckets
  int64_t memory_peak_bytes = 0;        ///< the watched pool's peak while the task ran
  double seconds = 0;

  /// The result as bytes (codec.cc), for the driver's commit.
  std::string Serialize() const;
  static arrow::Result<TaskResult> Deserialize(std::string_view bytes);
};

struct TaskOptions {
  /// The operation's budget (in its process); nullptr: one of `limits` for this task.
  std::shared_ptr<memory::Budget> budget;
  memory::MemoryLimits limits;
  /// The collector hook the task's degradation ladder runs (Python: gc.collect).
  std::function<void()> collect;
  /// Rows read since the last call; an error aborts the task.
  std::function<arrow::Status(int64_t)> advance;
  /// Names this attempt's files; empty: a fresh unique id.
  std::string attempt;
  /// Checked at every row group: a stop requested fails the task with Cancelled.
  arrow::StopToken stop = arrow::StopToken::Unstoppable();
  /// Crash points for tests (TestHooks::after_rewrite_row_group); nullptr in production.
  std::shared_ptr<const io::TestHooks> hooks;
  /// Decode and encode a file's columns on Arrow's CPU pool: for a task that runs alone
  /// (one group, or a budget that admits one task at a time), not beside another.
  bool use_threads = false;
  /// Labels the task's memory checks and counts its ladder's steps; may be nullptr.
  perf::PerformanceMonitor* perf = nullptr;
};

/// `<staging_dir>/task-<group>-<attempt>`.
std::string TaskDir(const std::string& staging_dir, int64_t group, const std::string& attempt);

/// Rewrites group `group` of `plan` into files under TaskDir(staging_dir, group,
/// attempt): a compaction joins the group's rows in dataset order (file path, then row),
/// copying row groups raw where io::RowGroupCopier can and decoding the small ones into
/// full row groups; a deduplication writes one row per key. IOError when a source file
/// changed since the plan; OutOfMemory (the budget's) when it does not fit.
arrow::Result<TaskResult> RunTask(const MaintenancePlan& plan, const std::string& staging_dir,
                                  int64_t group, std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options);

}  // namespace fsspeckit::maintenance
