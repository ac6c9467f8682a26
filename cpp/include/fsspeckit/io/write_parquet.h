// fsspeckit: writing one Parquet file, all or nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/status.h>

#include "fsspeckit/io/location.h"

namespace fsspeckit::io {

struct WriteParquetOptions {
  /// Codec name (see ParseCompression); absent: uncompressed.
  std::optional<std::string> compression = "snappy";
  /// Rows per row group; absent: Parquet's default (1Mi rows).
  std::optional<int64_t> row_group_size;
  /// Column paths ("a" or "a.b") written without dictionary encoding. Rewrites pass the
  /// columns whose dictionary the original writer gave up on, to skip that wasted work.
  std::vector<std::string> plain_columns;
  /// Each batch of `data` becomes row groups of its own (split at row_group_size), its
  /// pages written straight to the file. Otherwise batches are buffered into row groups
  /// of row_group_size rows, each column's pages held in memory until the group is full:
  /// the copies and growing buffers that costs are worth it only to join small batches.
  bool row_group_per_batch = false;
  /// Where the writer's buffers come from (a merge's capped pool); nullptr: the default.
  arrow::MemoryPool* pool = nullptr;
};

/// Streams `data` into a hidden temporary file beside `location.path` and renames it
/// into place once complete, so a failure leaves nothing behind and an existing file
/// stays intact until the new one is whole (on object stores, where an object appears
/// only whole, straight under its name). Parent folders are created. Returns the file's
/// size in bytes (so that nobody needs to ask the store).
arrow::Result<int64_t> WriteParquet(std::shared_ptr<arrow::RecordBatchReader> data,
                           const Location& location, const WriteParquetOptions& options = {});

}  // namespace fsspeckit::io
