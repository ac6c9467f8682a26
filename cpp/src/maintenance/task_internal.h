// fsspeckit: what a maintenance task's kinds (compaction, deduplication) share.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>

#include "fsspeckit/maintenance/task.h"
#include "fsspeckit/memory/capped_pool.h"
#include "fsspeckit/memory/degradation_ladder.h"

namespace fsspeckit::maintenance {

/// The other way out a maintenance budget error names besides raising the budget.
inline constexpr const char* kBudgetAlternative =
    "compact with a smaller target_rows_per_file (decoded row groups are joined up to it)";

struct TaskRun {
  const MaintenancePlan& plan;
  const Group& group;
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string dir;  ///< this attempt's folder
  memory::DegradationLadder& ladder;
  std::function<arrow::Status(int64_t)> advance;  ///< rows read; checks the stop token
  memory::CappedMemoryPool& pool;
  TaskResult& result;
  bool use_threads = false;  ///< TaskOptions::use_threads
};

/// Rows decoded and joined into one row group: the plan's, fewer when four copies of
/// them would not fit in what is left of the budget (at least 1,024).
int64_t JoinedRows(const MaintenancePlan& plan, const Group& group,
                   const memory::CappedMemoryPool& pool);
/// Decoded rows waiting to be joined are written once they hold this much: a fifth of
/// what is left of the budget (they are copied once more while encoded).
int64_t MaxPendingBytes(const memory::CappedMemoryPool& pool);
/// A dictionary page's limit: its hash table takes several times the page while it is
/// built, for every column at once; at most Parquet's 1 MiB.
int64_t DictionaryPageBytes(const memory::CappedMemoryPool& pool, const arrow::Schema& schema);
/// The raw copy's buffer: 4 MiB, less under a small budget.
int64_t CopyBufferBytes(const memory::CappedMemoryPool& pool);

/// Files a task opens ahead of the one it works on (SourceFiles): none on a local disk,
/// io::WorkersFor's count on an object store, where each open is a round trip.
int FilesAhead(const arrow::fs::FileSystem& fs);

/// The deduplication task: one row per key of the group's files (dedup.cc).
arrow::Result<std::vector<io::WrittenFile>> Deduplicate(TaskRun& run);
/// The ordered compaction task: the group's rows sorted (ordered.cc).
arrow::Result<std::vector<io::WrittenFile>> SortGroup(TaskRun& run);
/// Deduplication's first pass alone: per row of the group in dataset order, whether it
/// is its key's survivor (dedup.cc).
arrow::Result<std::vector<bool>> Survivors(TaskRun& run);
/// The repartition task (with the plan's key columns, only each key's survivor): every row into its hive folder (repartition.cc).
arrow::Result<std::vector<io::WrittenFile>> RepartitionGroup(TaskRun& run);

}  // namespace fsspeckit::maintenance
