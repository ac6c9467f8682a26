// fsspeckit: file sizes and row counts of a Parquet dataset (collect_dataset_stats_pyarrow).
#include "fsspeckit/io/dataset_stats.h"

#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "fsspeckit/io/dataset_files.h"

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
  auto stat = [&]() -> arrow::Result<FileStats> {
    ARROW_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(path));
    FileStats stats{path, 0, 0};
    ARROW_ASSIGN_OR_RAISE(stats.size_bytes, input->GetSize());
    std::shared_ptr<parquet::FileMetaData> metadata;
    PARQUET_CATCH_NOT_OK(metadata = parquet::ReadMetaData(input));
    stats.num_rows = metadata->num_rows();
    return stats;
  };
  auto stats = stat();
  if (!stats.ok()) {
    return arrow::Status::IOError("cannot read Parquet file '", path, "': ",
                                  stats.status().message());
  }
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
