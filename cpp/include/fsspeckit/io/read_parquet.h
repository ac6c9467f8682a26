// fsspeckit: reading a Parquet file or dataset folder into a table.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/result.h>
#include <arrow/table.h>

#include "fsspeckit/io/location.h"

namespace fsspeckit::io {

struct ReadParquetOptions {
  /// Columns to read, in this order; absent: all (partition keys included).
  std::optional<std::vector<std::string>> columns;
  /// Rows to keep; pushed down to row-group statistics and partition values.
  std::optional<arrow::compute::Expression> filter;
  bool use_threads = true;
};

/// A file, or every Parquet file below a folder (hive `key=value/` folders become
/// columns; names starting with `_` or `.` are skipped). Path errors for a missing
/// path, KeyError for unknown columns, IOError naming the file for unreadable Parquet.
arrow::Result<std::shared_ptr<arrow::Table>> ReadParquet(const Location& location,
                                                         const ReadParquetOptions& options = {});

/// The schema ReadParquet would read (partition keys included), from the footers alone.
arrow::Result<std::shared_ptr<arrow::Schema>> ReadParquetSchema(const Location& location);

}  // namespace fsspeckit::io
