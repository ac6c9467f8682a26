// fsspeckit: reading a Parquet file's footer, with one wording for what goes wrong.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/result.h>
#include <parquet/metadata.h>

namespace fsspeckit::io {

/// `status` as a failure to read the Parquet file at `path`: IOError "cannot read Parquet
/// file '<path>': <why>", except OutOfMemory, which stays the budget's. OK stays OK.
arrow::Status ParquetReadError(const arrow::Status& status, const std::string& path);

/// The footer of `input`, the file at `path` (errors as ParquetReadError).
arrow::Result<std::shared_ptr<parquet::FileMetaData>> ReadFooter(
    const std::shared_ptr<arrow::io::RandomAccessFile>& input, const std::string& path);

/// Opens `path` on `fs` and reads its footer (errors as ParquetReadError).
arrow::Result<std::shared_ptr<parquet::FileMetaData>> ReadFooter(arrow::fs::FileSystem& fs,
                                                                 const std::string& path);
/// Opens the file `info` names by what a listing said of it (an object store asks no HEAD
/// for a known size; by path when the size is unknown) and reads its footer.
arrow::Result<std::shared_ptr<parquet::FileMetaData>> ReadFooter(arrow::fs::FileSystem& fs,
                                                                 const arrow::fs::FileInfo& info);
/// The footers of `files`, opened by what a listing said of them (an object store asks no
/// HEAD for a known size), many at once on an object store (WorkersFor): one round trip
/// for a few dozen files rather than one each. In `files`' order.
std::vector<arrow::Result<std::shared_ptr<parquet::FileMetaData>>> ReadFooters(
    arrow::fs::FileSystem& fs, const std::vector<arrow::fs::FileInfo>& files);

}  // namespace fsspeckit::io
