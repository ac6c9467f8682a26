// fsspeckit: writing a Parquet dataset folder (append or overwrite), all or nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/type_fwd.h>
#include <arrow/util/cancel.h>

#include "fsspeckit/io/commit_options.h"
#include "fsspeckit/io/location.h"

namespace fsspeckit::io {

inline constexpr int64_t kDefaultMaxRowsPerFile = 5'000'000;
inline constexpr int64_t kDefaultRowGroupSize = 500'000;

struct WriteDatasetOptions {
  /// "append" (existing files stay; new names never collide) or "overwrite" (the
  /// dataset's .parquet files are replaced once the new ones are complete).
  std::string mode = "append";
  /// File names; must contain "{i}". Absent: "part-<16 random hex>-{i}.parquet".
  std::optional<std::string> basename_template;
  /// Cast the data to this schema first (missing nullable columns become nulls,
  /// columns not in the schema are kept after it).
  std::shared_ptr<arrow::Schema> schema;
  /// Partition columns; they become folders and leave the files.
  std::vector<std::string> partition_by;
  /// "hive" (key=value/) or "directory" (value/).
  std::string partitioning_flavor = "hive";
  std::optional<std::string> compression = "snappy";
  std::optional<int64_t> max_rows_per_file = kDefaultMaxRowsPerFile;
  /// Rows per row group (capped at max_rows_per_file).
  std::optional<int64_t> row_group_size = kDefaultRowGroupSize;
  /// WriteDataset: a stop requested (Ctrl-C, through the bindings) before the commit
  /// point cancels the write (polled between input batches); the dataset is unchanged.
  arrow::StopToken stop = arrow::StopToken::Unstoppable();
  /// Locking and durability of the commit (WriteDataset; WriteFiles does not commit).
  CommitOptions commit;
};

struct WrittenFile {
  std::string path;
  int64_t row_count = 0;
  int64_t size_bytes = 0;
};

struct WriteDatasetResult {
  std::vector<WrittenFile> files;
  int64_t total_rows = 0;
};

/// Invalid for a bad mode, codec, size or template (the checks WriteDataset makes first).
arrow::Status ValidateWriteOptions(const WriteDatasetOptions& options);

/// Streams `data` into files under a hidden staging folder of the dataset
/// (`_fsspeckit-staging-<id>/`, files named `*.staged`: invisible to readers), then
/// commits through the journal (io/commit_journal_internal.h): the moves into place and, for
/// "overwrite", the removal of the old files. Holds the dataset lock and first
/// settles an interrupted merge or write. Any failure before the commit leaves the
/// dataset as it was; after it, Recover() completes it.
arrow::Result<WriteDatasetResult> WriteDataset(std::shared_ptr<arrow::RecordBatchReader> data,
                                               const Location& location,
                                               const WriteDatasetOptions& options = {});

}  // namespace fsspeckit::io
