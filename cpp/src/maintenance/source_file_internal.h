// fsspeckit: a data file a maintenance task reads: raw row groups for copying, decoded
// batches for the rest, both checked against the plan.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <utility>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <parquet/arrow/reader.h>

#include "fsspeckit/maintenance/plan.h"
#include "io/row_group_copier_internal.h"
#include "io/whole_read_internal.h"

namespace fsspeckit::maintenance {

struct SourceFile {
  io::CopySource copy;
  std::unique_ptr<parquet::arrow::FileReader> reader;
};

/// Opens `file` as the plan saw it: IOError "changed since the plan" when its size
/// differs. A file of at most io::kWholeReadBytes is read with one request into `pool`.
/// Decoded batches hold at most `batch_rows` rows, allocated from `pool`.
/// `use_threads`: columns decoded on Arrow's CPU pool.
arrow::Result<SourceFile> OpenSourceFile(arrow::fs::FileSystem& fs, const PlannedFile& file,
                                         arrow::MemoryPool* pool, int64_t batch_rows,
                                         bool use_threads = false);

/// A group's files, opened in order; on an object store, where each small file is one
/// GET (a round trip), the next ones are opened while the caller works on the current
/// one: up to `ahead` files, and no more than `ahead_bytes` of them read in advance
/// (from `pool`, so within the budget). `ahead` 0: each opened when asked for.
class SourceFiles {
 public:
  SourceFiles(arrow::fs::FileSystem& fs, const MaintenancePlan& plan, const std::vector<int>& files,
              arrow::MemoryPool* pool, int64_t batch_rows, bool use_threads, int ahead,
              int64_t ahead_bytes);
  ~SourceFiles();  // waits for the files being opened
  /// The next file (of `files`, in order): OpenSourceFile's result.
  arrow::Result<SourceFile> Next();

 private:
  void OpenAhead();

  arrow::fs::FileSystem& fs_;
  const MaintenancePlan& plan_;
  const std::vector<int>& files_;
  arrow::MemoryPool* pool_;
  int64_t batch_rows_;
  bool use_threads_;
  size_t ahead_;
  int64_t ahead_bytes_;
  size_t next_ = 0;  // the next file to open
  std::deque<std::pair<int64_t, std::future<arrow::Result<SourceFile>>>> opening_;  // bytes, file
};

/// Calls `each` with every batch of row group `row_group`, conformed to `schema`
/// (merge::ConformTo: cast where the file's types differ, nulls for columns it lacks).
/// `loose`: casts are unsafe (a schema rewrite's CastPolicy::kLoose) but a value that
/// would become null or overflow an integer fails, naming the column.
arrow::Status ReadRowGroup(SourceFile& source, int row_group, const arrow::Schema& schema,
                           arrow::MemoryPool* pool,
                           const std::function<arrow::Status(std::shared_ptr<arrow::RecordBatch>)>& each,
                           bool loose = false);

}  // namespace fsspeckit::maintenance
