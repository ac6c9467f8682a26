// fsspeckit: the first of a merge's three steps (plan, tasks, commit, with plain data
// between them): what the planner decided, and the driver's side until the commit.
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
#include "fsspeckit/memory/budget.h"
#include "fsspeckit/merge/merge.h"

namespace fsspeckit::merge {

struct TaskInput;   // task.h
struct TaskResult;  // task.h

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
/// A rewrite may also take inserted rows, `appended_rows` (in source order), written
/// after the file's own: a file rewritten anyway takes the new keys rather than a new
/// small file being left behind by every merge. And it may join further small files of
/// the same folder (`joined`), whose rows follow in the one file written in `file`'s
/// place; they are removed. `source_rows` then covers every file's keys.
struct JoinedFile {
  std::string path;
  std::vector<int> row_groups;  ///< those holding source keys
};

/// Rows a spilled merge wrote for a task while planning: batch `batch` of the Arrow IPC
/// file Plan::spill_files[file].
struct SpilledRows {
  int32_t file = 0;
  int32_t batch = 0;
  int64_t rows = 0;
  /// A rewrite's rows: the row group of its file whose keys they replace (a rewrite
  /// loads them row group by row group); -1 for inserted rows.
  int32_t row_group = -1;
};

struct MergeTask {
  TaskKind kind = TaskKind::kRewrite;
  std::string file;
  std::vector<int> row_groups;
  std::vector<int64_t> source_rows;
  /// A spilled merge's task reads its rows from these, in order (`source_rows` is empty).
  std::vector<SpilledRows> spilled_rows;
  std::vector<int64_t> appended_rows;
  std::vector<JoinedFile> joined;
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
  /// A spilled merge's files of rows for its tasks, under staging_dir (no staged source).
  std::vector<std::string> spill_files;
  SpillStats spill;              ///< zero unless the source was spilled
  Strategy strategy = Strategy::kUpsert;
  std::vector<std::string> key_columns;
  /// The dataset's schema (its files' union, partition folders excluded; the source's
  /// when it has no files): every file the merge writes has it.
  std::shared_ptr<arrow::Schema> schema;
  /// The hive partitioning of inserted files: the dataset's, else the caller's.
  std::vector<std::string> partition_by;
  io::WriteDatasetOptions write;  ///< compression and sizes for every file written
  int64_t chunk_size_rows = kDefaultMergeChunkSizeRows;  ///< inserted rows gathered this many at a time
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

/// The driver's side of a merge between plan and commit: the plan, the dataset's lock,
/// the staging folder (removed if the merge ends uncommitted), the source in memory.
class PlannedMerge {
 public:
  struct State;  // planned_merge_internal.h
  explicit PlannedMerge(std::unique_ptr<State> state);
  ~PlannedMerge();

  const Plan& plan() const;
  /// What task `task` reads when it runs in this process: the source in memory, or
  /// (a spilled merge) its rows read back from the staged source into the budget's pool.
  arrow::Result<TaskInput> local_input(int64_t task) const;  // task.h
  /// The merge's budget (options.limits, watched by options.monitor when given).
  const std::shared_ptr<memory::Budget>& budget() const;
  perf::PerformanceMonitor& perf();
  /// The dataset's filesystem as the merge uses it: every call counted by kind, for
  /// MergeResult::requests. Tasks run in this process go through it too.
  const std::shared_ptr<arrow::fs::FileSystem>& filesystem() const;

 private:
  friend arrow::Result<MergeResult> Commit(std::unique_ptr<PlannedMerge> planned,
                                           std::vector<TaskResult> results);
  State& state() { return *state_; }

  std::unique_ptr<State> state_;
};

/// Validates, loads the source, takes the dataset's lock, settles an interrupted
/// merge, plans. With `stage_source`, writes the source to plan.source_path so tasks
/// can run in other processes or on other machines.
arrow::Result<std::unique_ptr<PlannedMerge>> MakePlan(std::shared_ptr<arrow::RecordBatchReader> source,
                                                      const io::Location& location,
                                                      const MergeOptions& options,
                                                      bool stage_source);

}  // namespace fsspeckit::merge
