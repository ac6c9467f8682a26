// fsspeckit: what the driver of a merge holds between plan and commit.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <optional>

#include "io/counting_filesystem_internal.h"
#include "io/dataset_lock_internal.h"
#include "io/dataset_snapshot_internal.h"
#include "fsspeckit/memory/budget.h"
#include "merge/key_index_internal.h"
#include "merge/rewrite_reader_internal.h"
#include "merge/target_scan_internal.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"
#include "fsspeckit/perf/performance_monitor.h"
#include "io/staged_commit_internal.h"
#include "merge/source_rows_internal.h"

namespace fsspeckit::merge {

/// Rows a task reads: the whole source (in the driver), or exactly the task's rows in
/// the task's order (`routed`, read back from the staged source elsewhere). `keys`
/// indexes `rows` for rewrites. In the driver, `planned_keys` holds the key columns the
/// plan read, by file path: each rewrite takes its file's row groups out of it (only
/// its own entry, so rewrites on several threads never touch the same one), and
/// `planned_footers` the footers it parsed of the files to rewrite, taken the same way:
/// a merge touching 2,000 small files parsed each footer twice (a tenth of its time).
struct TaskSource {
  SourceRows rows;
  std::shared_ptr<KeyIndex> keys;
  bool routed = false;
  /// Routed: where the task's MergeTask::appended_rows are in `rows` (after its own).
  std::vector<int64_t> appended_rows;
  std::map<std::string, std::map<int, PlannedKeys>> planned_keys;
  std::map<std::string, PlannedFooter> planned_footers;
  /// The dataset's first file's footer, whose encodings the inserts follow (read only:
  /// its rewrite may run at the same time and free its own planned_footers entry).
  std::shared_ptr<parquet::FileMetaData> first_footer;
  /// A spilled merge's rewrite: its replacing rows row group by row group (`rows` and
  /// `keys` are then empty and only name the columns).
  LoadReplacingRows load_replacing;
};

/// A spilled merge's rows for a task (MergeTask::spilled_rows), read a piece at a time.
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> ReadSpilledRows(
    arrow::fs::FileSystem& fs, const Plan& plan, std::vector<SpilledRows> pieces,
    arrow::MemoryPool* pool);

/// Fewer rows than this make a small row group, or a small file: a rewrite joins row
/// groups this small on average, and inserted rows this few go into a file rewritten
/// anyway rather than into a file of their own.
inline constexpr int64_t kSmallRows = 64 * 1024;

struct PlannedMerge::State {
  /// First: everything below may hold buffers from its pool.
  std::shared_ptr<memory::Budget> budget;
  io::Location location;  ///< its filesystem counts its calls into `requests`
  std::shared_ptr<io::RequestCounts> requests = std::make_shared<io::RequestCounts>();
  MergeOptions options;
  Plan plan;
  std::unique_ptr<io::DatasetLock> lock;
  io::DatasetSnapshot planned_files;  ///< the commit refuses a dataset changed since
  std::optional<io::StagedCommit> staging;  ///< removed unless committed
  std::unique_ptr<perf::PerformanceMonitor> perf;
  std::shared_ptr<TaskSource> source;
  int64_t source_bytes = 0;
};

// Every MemoryError of a merge is its budget's: the ladder's name the limits exceeded; an
// allocation refused (or rethrown by Parquet as a plain message) is the pool's.
inline arrow::Status NameTheBudget(arrow::Status status) {
  return memory::AsPoolBudgetError(std::move(status), "merge the source in smaller parts");
}

}  // namespace fsspeckit::merge
