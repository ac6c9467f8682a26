// fsspeckit: file sizes and row counts of a Parquet dataset (collect_dataset_stats_pyarrow).
#include "io/parquet_footer_internal.h"
#include "fsspeckit/io/dataset_stats.h"

#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "io/dataset_files_internal.h"

namespace fsspeckit::io {
namespace {

bool Wanted(const std::string& relative, const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return true;
  for (const std::string& prefix : prefixes) {
    if (relative.starts_with(prefix)) return true;
  }
  return false;
}

arrow::Result<FileStats> StatFile(arrow::fs::FileSystem& fs, const std::string& path) {
  auto input = fs.OpenInputFile(path);
  if (!input.ok()) return ParquetReadError(input.status(), path);
  FileStats stats{path, 0, 0};
  auto size = (*input)->GetSize();
  if (!size.ok()) return ParquetReadError(size.status(), path);
  stats.size_bytes = *size;
  ARROW_ASSIGN_OR_RAISE(auto metadata, ReadFooter(*input, path));
  stats.num_rows = metadata->num_rows();
  return stats;
}

}  // namespace

arrow::Result<DatasetStats> CollectDatasetStats(const Location& location,
                                                const std::vector<std::string>& partition_filter) {
  arrow::fs::FileSystem& fs = *location.filesystem;
  ARROW_ASSIGN_OR_RAISE(arrow::fs::FileInfo info, fs.GetFileInfo(location.path));
  if (info.type() == arrow::fs::FileType::NotFound) {
    return PathError(arrow::StatusCode::IOError, "Dataset path does not exist: " + location.path);
  }
  std::vector<std::string> paths;
  if (info.IsFile()) {
    paths.push_back(location.path);
  } else {
    ARROW_ASSIGN_OR_RAISE(auto files, ListDataFiles(fs, location.path));
    for (std::string& file : files) {
      if (Wanted(file.substr(location.path.size() + 1), partition_filter)) {
        paths.push_back(std::move(file));
      }
    }
  }
  if (paths.empty()) {
    return PathError(arrow::StatusCode::IOError,
                     "No Parquet files found under " + location.path +
                         (partition_filter.empty() ? "" : " matching the partition filter"));
  }
  DatasetStats stats;
  for (const std::string& path : paths) {
    ARROW_ASSIGN_OR_RAISE(FileStats file, StatFile(fs, path));
    stats.total_bytes += file.size_bytes;
    stats.total_rows += file.num_rows;
    stats.files.push_back(std::move(file));
  }
  return stats;
}

}  // namespace fsspeckit::io
