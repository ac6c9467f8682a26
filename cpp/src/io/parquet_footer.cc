// fsspeckit: reading a Parquet file's footer, with one wording for what goes wrong.
#include "io/parquet_footer_internal.h"

#include <parquet/file_reader.h>

#include "io/parallel_for_internal.h"
#include "io/thread_edge_internal.h"

namespace fsspeckit::io {

arrow::Status ParquetReadError(const arrow::Status& status, const std::string& path) {
  if (status.ok()) return status;
  const arrow::StatusCode code =
      status.IsOutOfMemory() ? arrow::StatusCode::OutOfMemory : arrow::StatusCode::IOError;
  return arrow::Status(code, "cannot read Parquet file '" + path + "': " + status.message(),
                       status.detail());
}

arrow::Result<std::shared_ptr<parquet::FileMetaData>> ReadFooter(
    const std::shared_ptr<arrow::io::RandomAccessFile>& input, const std::string& path) {
  std::shared_ptr<parquet::FileMetaData> metadata;
  // The Parquet reader reports a damaged footer by throwing.
  ARROW_RETURN_NOT_OK(ParquetReadError(CatchAtEdge("", [&] {
                                         metadata = parquet::ReadMetaData(input);
                                         return arrow::Status::OK();
                                       }),
                                       path));
  return metadata;
}

arrow::Result<std::shared_ptr<parquet::FileMetaData>> ReadFooter(arrow::fs::FileSystem& fs,
                                                                 const std::string& path) {
  auto input = fs.OpenInputFile(path);
  if (!input.ok()) return ParquetReadError(input.status(), path);
  return ReadFooter(*input, path);
}

arrow::Result<std::shared_ptr<parquet::FileMetaData>> ReadFooter(arrow::fs::FileSystem& fs,
                                                                 const arrow::fs::FileInfo& info) {
  auto input = info.size() >= 0 ? fs.OpenInputFile(info) : fs.OpenInputFile(info.path());
  if (!input.ok()) return ParquetReadError(input.status(), info.path());
  return ReadFooter(*input, info.path());
}

std::vector<arrow::Result<std::shared_ptr<parquet::FileMetaData>>> ReadFooters(
    arrow::fs::FileSystem& fs, const std::vector<arrow::fs::FileInfo>& files) {
  std::vector<arrow::Result<std::shared_ptr<parquet::FileMetaData>>> footers(
      files.size(), arrow::Status::UnknownError("not read"));
  ParallelFor(0, files.size(), WorkersFor(fs, 1), [&](size_t i) {
    footers[i] = ReadFooter(fs, files[i]);
    return true;  // every file is read: each has its own answer
  });
  return footers;
}

}  // namespace fsspeckit::io
