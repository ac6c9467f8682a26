// fsspeckit: dataset maintenance (the original's compact_parquet_dataset and friends):
// executing a plan locally, and what the execution reports.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/util/cancel.h>

#include "fsspeckit/io/commit_options.h"
#include "fsspeckit/io/location.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/maintenance/plan.h"
#include "fsspeckit/memory/budget_error.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/memory/pressure.h"
#include "fsspeckit/perf/performance_monitor.h"

namespace fsspeckit::maintenance {

/// The budget of a maintenance run when none is given: the merge's.
inline constexpr int64_t kDefaultMaintenanceMaxPoolBytes = 1024 * memory::kBytesInMiB;

struct ExecuteOptions {
  /// The budget (one memory::Budget per run): the Arrow pool never passes max_pool_bytes;
  /// the degradation ladder runs between files.
  memory::MemoryLimits limits{kDefaultMaintenanceMaxPoolBytes, std::nullopt,
                              memory::kDefaultMinSystemAvailableBytes};
  /// Watches the budget; nullptr: a monitor of `limits`. Tests pass one over a fake source.
  std::shared_ptr<memory::MemoryMonitor> monitor;
  /// (rows done, rows to do), from the tasks' threads; an error aborts (nothing committed).
  std::function<arrow::Status(int64_t, int64_t)> progress;
  /// The collector hook the ladder runs under pressure (Python: gc.collect).
  std::function<void()> collect;
  /// A stop requested before the commit point cancels the run (dataset unchanged).
  arrow::StopToken stop = arrow::StopToken::Unstoppable();
  /// Locking (single_writer), durability, crash hooks of the commit.
  io::CommitOptions commit;
};

/// One phase as the original reports it: "lock", "drift_check", "stage", "write",
/// "validate", "publish", "cleanup".
struct PhaseOutcome {
  std::string phase;
  bool succeeded = true;
  std::string error;  ///< empty when it succeeded
  double seconds = 0;
};

/// One task as it ran.
struct TaskRecord {
  std::string partition;
  int64_t files_read = 0;
  int64_t files_written = 0;
  int64_t rows_read = 0;
  int64_t rows_written = 0;
  int64_t row_groups_copied = 0;
  int64_t row_groups_encoded = 0;
  int64_t spill_buckets = 0;  ///< deduplication keys spilled by hash (0: resolved in memory)
  double seconds = 0;
  int64_t memory_peak_bytes = 0;
};

/// The original's MaintenanceResult (succeeded, phase outcomes, validation, publication,
/// metrics, error) with the files and bytes before and after and the memory timeline.
struct MaintenanceResult {
  Operation operation = Operation::kCompaction;
  bool succeeded = false;
  /// The failure (OK when it succeeded): the dataset is as it was, unless `committed`.
  arrow::Status status;
  std::string failed_phase;       ///< the phase `status` failed in
  /// The journal was written: the new files are the dataset (completed by recover when
  /// the moves were interrupted).
  bool committed = false;
  std::vector<PhaseOutcome> phases;
  /// Validation: rows the staged files hold against the rows they must hold.
  std::optional<bool> validated;
  int64_t staged_rows = 0;
  int64_t expected_rows = 0;
  std::vector<io::WrittenFile> published;  ///< final paths, rows and bytes
  std::vector<std::string> removed;        ///< source files the commit removed
  int64_t files_before = 0, files_after = 0;  ///< of the files the plan considered
  int64_t bytes_before = 0, bytes_after = 0;
  int64_t rows_before = 0, rows_after = 0;
  int64_t row_groups_copied = 0;           ///< copied raw, never decoded
  int64_t row_groups_encoded = 0;
  std::vector<TaskRecord> tasks;           ///< in the plan's group order
  perf::PerformanceMetrics metrics;        ///< phases, peaks, timeline
  /// Calls this process made to the dataset's store, by kind, as MergeResult::requests
  /// (tasks run elsewhere count in their own processes).
  std::map<std::string, int64_t> requests;
};

/// "<Phase> phase failed: <why>" for a failed result, the budget's limits named as
/// `names` spell them (each front end its own); empty when it succeeded.
std::string FailureMessage(const MaintenanceResult& result, const memory::LimitSpelling& names);

/// Executes `plan` on the dataset at `location` (the planned one) in this process:
/// takes the dataset's lock, completes an interrupted commit, refuses a dataset changed
/// since the plan (before anything is written), runs the groups as tasks (two at once
/// when the budget admits them) into a staging folder, validates what they staged, and
/// commits through the journal (checking again that nothing changed). Failures are in
/// the result (succeeded false, the dataset unchanged, no staging left), as the original
/// returns them; a plan for another dataset is Invalid. A plan with no group is a no-op.
arrow::Result<MaintenanceResult> ExecuteMaintenance(const MaintenancePlan& plan,
                                                    const io::Location& location,
                                                    const ExecuteOptions& options);

}  // namespace fsspeckit::maintenance
