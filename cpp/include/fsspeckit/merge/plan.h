// fsspeckit: a merge as three steps with plain data between them: plan, tasks, commit.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/util/cancel.h>

#include "fsspeckit/io/location.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/memory/capped_pool.h"
#include "fsspeckit/memory/degradation_ladder.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/merge/merge.h"

namespace fsspeckit::merge {

enum class TaskKind : uint8_t { kRewrite, kInsert };
std::string_view TaskKindName(TaskKind kind);

/// A data file as the plan saw it; the commit refuses to replace a file that changed.
struct PlannedFile {
  std::string path;
  int64_t size_bytes = 0;
  int64_t rows = 0;
};

/// One independent unit of work: rewrite `file` (its `row_groups` hold source keys),
/// or write inserted rows as new files. `source_rows` are row numbers of the source:
/// the rows replacing keys found in the file, or the rows inserted (in source order).
struct MergeTask {
  TaskKind kind = TaskKind::kRewrite;
  std::string file;
  std::vector<int> row_groups;
  std::vector<int64_t> source_rows;
  int64_t work_rows = 0;         ///< rows read and written (progress)
  int64_t estimated_bytes = 0;   ///< memory the task holds at its peak (admission)
};

/// What the planner decided, as a value another process can run tasks from.
struct Plan {
  std::string dataset_dir;
  std::string staging_dir;
  /// The source as planned against, staged as one Parquet file under staging_dir for
  /// tasks that run elsewhere; empty when only in-process tasks run.
  std::string source_path;
  int64_t source_rows = 0;       ///< rows of the (cast) source before de-duplication
  Strategy strategy = Strategy::kUpsert;
  std::vector<std::string> key_columns;
  /// The dataset's schema (its files' union, partition folders excluded; the source's
  /// when it has no files): every file the merge writes has it.
  std::shared_ptr<arrow::Schema> schema;
  /// The hive partitioning of inserted files: the dataset's, else the caller's.
  std::vector<std::string> partition_by;
  io::WriteDatasetOptions write;  ///< compression and sizes for every file written
  int64_t chunk_size_rows = 100'000;  ///< inserted rows gathered this many at a time
  int64_t source_row_bytes = 0;       ///< the source's bytes per row (read sizes)
  std::vector<PlannedFile> files; ///< every data file of the dataset, in path order
  std::vector<MergeTask> tasks;   ///< rewrites largest first, then the inserts
  int64_t source_count = 0;       ///< distinct source keys
  int64_t target_rows = 0;
  int64_t updated = 0;
  int64_t keys_in_several_files = 0;

  std::string Serialize() const;
  static arrow::Result<Plan> Deserialize(std::string_view bytes);
};

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
  /// Drives the task's degradation ladder; nullptr: a monitor of `limits`.
  std::shared_ptr<memory::MemoryMonitor> monitor;
  memory::MemoryLimits limits;
  std::function<void()> collect;
  memory::DegradationObserver* observer = nullptr;
  /// Rows done since the last call; an error aborts the task.
  std::function<arrow::Status(int64_t)> advance;
  /// Names this attempt's files; empty: a fresh unique id.
  std::string attempt;
  /// The merge's capped pool (the driver's); nullptr: one of `limits` for this task.
  memory::CappedMemoryPool* pool = nullptr;
  /// Checked at every row group: a stop requested fails the task with Cancelled.
  arrow::StopToken stop = arrow::StopToken::Unstoppable();
  /// Labels the task's memory checks ("rewrite part-3.parquet"); may be nullptr.
  perf::PerformanceMonitor* perf = nullptr;
  /// For an insert task run beside rewrites: the phase its time counts as.
  std::string insert_phase;
  /// A rewrite decodes a row group's columns on Arrow's CPU pool. Off when tasks already
  /// run side by side on every core: the hand-offs would cost more than they overlap.
  bool decode_in_parallel = true;
};

/// Reads the staged source (plan.source_path) for `task`: only its rows are kept.
arrow::Result<TaskInput> LoadTaskInput(const Plan& plan, int64_t task,
                                       std::shared_ptr<arrow::fs::FileSystem> fs);

/// Runs one task of `plan`, writing only under TaskDir(plan, task, attempt).
arrow::Result<TaskResult> RunTask(const Plan& plan, int64_t task, const TaskInput& input,
                                  std::shared_ptr<arrow::fs::FileSystem> fs,
                                  const TaskOptions& options);

/// The driver's side of a merge between plan and commit: the plan, the dataset's lock,
/// the staging folder (removed if the merge ends uncommitted), the source in memory.
class PlannedMerge {
 public:
  struct State;  // planned_merge_internal.h
  explicit PlannedMerge(std::unique_ptr<State> state);
  ~PlannedMerge();

  const Plan& plan() const;
  /// The in-memory source, for tasks run in this process.
  TaskInput local_input() const;
  /// The monitor of the merge's budget (options.monitor, or one of options.limits).
  const std::shared_ptr<memory::MemoryMonitor>& monitor() const;
  perf::PerformanceMonitor& perf();
  State& state() { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

/// Validates, loads the source, takes the dataset's lock, settles an interrupted
/// merge, plans. With `stage_source`, writes the source to plan.source_path so tasks
/// can run in other processes or on other machines.
arrow::Result<std::unique_ptr<PlannedMerge>> MakePlan(std::shared_ptr<arrow::RecordBatchReader> source,
                                                      const io::Location& location,
                                                      const MergeOptions& options,
                                                      bool stage_source);

/// Checks that every task reported exactly once and that the files it staged exist as
/// reported, that the files it replaces are unchanged since the plan, then commits
/// through the journal and describes the result.
arrow::Result<MergeResult> Commit(std::unique_ptr<PlannedMerge> planned,
                                  std::vector<TaskResult> results);

}  // namespace fsspeckit::merge
