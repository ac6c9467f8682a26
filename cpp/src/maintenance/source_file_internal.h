// fsspeckit: a data file a maintenance task reads: raw row groups for copying, decoded
// batches for the rest, both checked against the plan.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <parquet/arrow/reader.h>

#include "fsspeckit/maintenance/plan.h"
#include "io/row_group_copier_internal.h"

namespace fsspeckit::maintenance {

struct SourceFile {
  io::CopySource copy;
  std::unique_ptr<parquet::arrow::FileReader> reader;
};

/// Opens `file` as the plan saw it: IOError "changed since the plan" when its size
/// differs. A file of at most kWholeFileReadBytes is read with one request into `pool`.
/// Decoded batches hold at most `batch_rows` rows, allocated from `pool`.
/// `use_threads`: columns decoded on Arrow's CPU pool.
arrow::Result<SourceFile> OpenSourceFile(arrow::fs::FileSystem& fs, const PlannedFile& file,
                                         arrow::MemoryPool* pool, int64_t batch_rows,
                                         bool use_threads = false);

/// Calls `each` with every batch of row group `row_group`, conformed to `schema`
/// (merge::ConformTo: cast where the file's types differ, nulls for columns it lacks).
arrow::Status ReadRowGroup(SourceFile& source, int row_group, const arrow::Schema& schema,
                           arrow::MemoryPool* pool,
                           const std::function<arrow::Status(std::shared_ptr<arrow::RecordBatch>)>& each);

}  // namespace fsspeckit::maintenance
