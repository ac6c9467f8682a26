// fsspeckit: insert / update / upsert a table into a Parquet dataset on key columns.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/util/cancel.h>

#include "fsspeckit/io/commit_options.h"
#include "fsspeckit/io/location.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/memory/pressure.h"
#include "fsspeckit/perf/performance_monitor.h"

namespace fsspeckit::merge {

/// The merge's defaults, said once: the bindings, the Python signatures and the CLI's
/// usage read them from here (sizes of files: io::kDefaultMaxRowsPerFile and
/// io::kDefaultRowGroupSize).
inline constexpr int64_t kDefaultMergeMaxPoolBytes = 1024 * memory::kBytesInMiB;
inline constexpr int64_t kDefaultMergeChunkSizeRows = 100'000;

/// Insert adds rows whose key is new, update replaces rows whose key exists, upsert
/// does both.
enum class Strategy : uint8_t { kInsert, kUpdate, kUpsert };
/// "insert", "update", "upsert"; Invalid naming the choices otherwise.
arrow::Result<Strategy> ParseStrategy(std::string_view name);
std::string_view StrategyName(Strategy strategy);

struct MergeOptions {
  Strategy strategy = Strategy::kUpsert;
  std::vector<std::string> key_columns;
  /// Columns existing keys may not change, stored in hive folders or in the files. A new
  /// dataset is hive-partitioned by them; an existing one keeps its own partitioning
  /// (detected from its folders, checked even when not named here).
  std::vector<std::string> partition_columns;
  /// Cast the source to this schema first (as WriteDatasetOptions::schema).
  std::shared_ptr<arrow::Schema> schema;
  /// Apply to every file the merge writes, rewritten files included.
  std::optional<std::string> compression = "snappy";
  std::optional<int64_t> max_rows_per_file = io::kDefaultMaxRowsPerFile;
  std::optional<int64_t> row_group_size = io::kDefaultRowGroupSize;
  /// The budget (memory::Budget is made from these once per merge): a source larger than
  /// its share is refused up front; the degradation ladder runs between row groups.
  memory::MemoryLimits limits{kDefaultMergeMaxPoolBytes, std::nullopt,
                              memory::kDefaultMinSystemAvailableBytes};
  /// Watches the budget (admission and the degradation ladder); nullptr: a monitor of
  /// `limits` on the default pool. Tests pass one over a fake memory source.
  std::shared_ptr<memory::MemoryMonitor> monitor;
  /// (rows done, rows to do) over the rows the merge reads and writes. Called from the
  /// merge's threads; an error it returns aborts the merge (nothing is committed).
  std::function<arrow::Status(int64_t, int64_t)> progress;
  /// The collector hook the ladder runs under pressure (Python: gc.collect).
  std::function<void()> collect;
  /// A stop requested (Ctrl-C, through the bindings) before the commit point cancels
  /// the merge: it is rolled back and fails with Cancelled. Once the journal is written
  /// the merge completes and succeeds, whatever is requested.
  arrow::StopToken stop = arrow::StopToken::Unstoppable();
  /// merge_chunk_size_rows: inserted rows are gathered from the source this many at a
  /// time (rewrites stream row group by row group whatever it is). Positive.
  int64_t chunk_size_rows = kDefaultMergeChunkSizeRows;
  /// Locking (single_writer) and durability of the commit.
  io::CommitOptions commit;
};

struct MergedFile {
  std::string path;
  int64_t row_count = 0;                ///< 0 for preserved files
  std::optional<int64_t> size_bytes;    ///< absent for preserved files
  std::string operation;                ///< "rewritten", "inserted" or "preserved"
};

/// One task as it ran (MergeResult::tasks).
struct TaskRecord {
  std::string kind;           ///< "rewrite" or "insert"
  std::string file;           ///< the rewritten file; empty for inserts
  int64_t rows = 0;           ///< rows written
  double seconds = 0;
  int64_t memory_peak_bytes = 0;
};

/// What spilling a source larger than its share of the budget took (merge/spilled_plan.cc).
struct SpillStats {
  int64_t bytes = 0;   ///< written to the staging folder, re-splits included
  int64_t parts = 0;   ///< parts the source was split into by a hash of its key
  int64_t passes = 0;  ///< scans of the dataset's keys, each for the parts that fit at once
  /// Files whose key columns the passes read (statistics ruled the others out): about the
  /// dataset's files once when the parts are key ranges, up to passes times as many.
  int64_t files_scanned = 0;
};

struct MergeResult {
  Strategy strategy = Strategy::kUpsert;
  int64_t source_count = 0;         ///< source rows after de-duplication (last wins)
  int64_t target_count_before = 0;
  int64_t target_count_after = 0;
  int64_t inserted = 0;             ///< rows written as new
  int64_t updated = 0;              ///< distinct source keys found in the dataset (replaced)
  int64_t deleted = 0;
  /// Source keys found in more than one file (each such file gets the new row).
  int64_t keys_in_several_files = 0;
  std::vector<MergedFile> files;    ///< rewritten, then inserted, then preserved
  /// rewritten_files are new files (a rewrite never keeps its file's name), each
  /// replacing one of removed_files (with the small files a rewrite joined).
  std::vector<std::string> rewritten_files, inserted_files, preserved_files;
  std::vector<std::string> removed_files;
  /// dedup_efficiency here is the share of source rows dropped as duplicate keys (last
  /// wins): never negative, unlike a PerformanceMonitor's (before - after) / before.
  perf::PerformanceMetrics metrics;
  std::vector<TaskRecord> tasks;    ///< in the plan's task order
  SpillStats spill;                 ///< what spilling the source took (zero: it fit)
  /// Calls this process made to the dataset's store, by kind ("list", "info", "open",
  /// "read", "write", "delete", "move", "copy", "mkdir", "lock"; kinds never made are
  /// absent): on an object store each is about one request. Tasks run elsewhere (Ray)
  /// count in their own processes, not here.
  std::map<std::string, int64_t> requests;
};

/// Merges `source` into the Parquet dataset folder at `location`:
///  - plans from footers: per row-group key statistics prune files, then only the key
///    columns of candidate row groups are read to confirm matches (exact hash lookup);
///  - rewrites each affected file row group by row group, replacing matched rows in
///    place (row order kept), and writes inserts as new (hive-partitioned) files, all
///    under a hidden staging folder, every one in the dataset's schema (the source is
///    checked to fit it first; see merge/dataset_schema_internal.h);
///  - commits through a journal (io/commit_journal_internal.h): the dataset is either exactly the old
///    or exactly the new state, whatever fails, including the process being killed.
/// Holds the dataset's lock (io/dataset_lock_internal.h) and first recovers an interrupted merge.
/// An empty source is a no-op (update on a missing dataset still fails).
arrow::Result<MergeResult> Merge(std::shared_ptr<arrow::RecordBatchReader> source,
                                 const io::Location& location, const MergeOptions& options);

/// Completes or rolls back an interrupted merge (PyarrowDatasetIO.recover). A path that
/// does not exist is a path error (nothing is created); `commit.single_writer` as Merge.
arrow::Result<bool> RecoverDataset(const io::Location& location,
                                   const io::CommitOptions& commit = {});

}  // namespace fsspeckit::merge
