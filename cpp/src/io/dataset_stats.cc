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

}  // namespace

arrow::Result<DatasetStats> CollectDatasetStats(const Location& location,
                                                const std::vector<std::string>& partition_filter) {
  arrow::fs::FileSystem& fs = *location.filesystem;
  ARROW_ASSIGN_OR_RAISE(DatasetPath found, ListDatasetPath(fs, location.path));
  std::vector<arrow::fs::FileInfo> files;
  for (arrow::fs::FileInfo& file : found.files) {
    if (found.is_file || Wanted(file.path().substr(location.path.size() + 1), partition_filter)) {
      files.push_back(std::move(file));
    }
  }
  if (files.empty()) {
    return PathError(arrow::StatusCode::IOError,
                     "No Parquet files found under " + location.path +
                         (partition_filter.empty() ? "" : " matching the partition filter"));
  }
  // Sizes from the listing, row counts from the footers, read many at once.
  auto footers = ReadFooters(fs, files);
  DatasetStats stats;
  for (size_t i = 0; i < files.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto metadata, std::move(footers[i]));
    FileStats file{files[i].path(), files[i].size(), metadata->num_rows()};
    if (file.size_bytes < 0) {  // a listing without sizes (some fsspec filesystems)
      ARROW_ASSIGN_OR_RAISE(auto asked, fs.GetFileInfo(file.path));
      file.size_bytes = asked.size();
    }
    stats.total_bytes += file.size_bytes;
    stats.total_rows += file.num_rows;
    stats.files.push_back(std::move(file));
  }
  return stats;
}

}  // namespace fsspeckit::io
