// fsspeckit: file sizes and row counts of a Parquet dataset (collect_dataset_stats_pyarrow).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "fsspeckit/io/location.h"

namespace fsspeckit::io {

struct FileStats {
  std::string path;
  int64_t size_bytes = 0;
  int64_t num_rows = 0;  ///< from the footer
};

struct DatasetStats {
  std::vector<FileStats> files;  ///< sorted by path
  int64_t total_bytes = 0;
  int64_t total_rows = 0;
};

/// The data files of the file or folder at `location` (those every reader and merge
/// sees: dataset_files.h), each opened once for its size and footer. `partition_filter`, when not
/// empty, keeps files whose path relative to the folder starts with one of its prefixes
/// (`"day=2025-01-01"`). A path error (IOError) when the path is missing or no file
/// matches; IOError naming the file when one is not readable Parquet.
arrow::Result<DatasetStats> CollectDatasetStats(const Location& location,
                                                const std::vector<std::string>& partition_filter);

}  // namespace fsspeckit::io
