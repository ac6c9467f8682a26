// fsspeckit: the writing half of WriteDataset, for callers that commit files themselves.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "fsspeckit/io/write_dataset.h"

namespace fsspeckit::io {

/// The writing half of WriteDataset, for callers that commit files themselves (merges):
/// writes `data` as new files under `dir` (a fresh folder) with the options'
/// partitioning, naming, sizes and codec (`mode` is not used) and returns them in path
/// order, paths under `dir`. Row order is kept.
arrow::Result<std::vector<WrittenFile>> WriteFiles(std::shared_ptr<arrow::RecordBatchReader> data,
                                                   std::shared_ptr<arrow::fs::FileSystem> fs,
                                                   const std::string& dir,
                                                   const WriteDatasetOptions& options);

/// TypeError naming the first column Parquet cannot store (intervals, unions, run-end
/// encoded arrays, ...) and its type. Writers call it before creating anything.
arrow::Status CheckParquetStores(const arrow::Schema& schema);

/// `data` with its batches cast to `schema` (see WriteDatasetOptions::schema); TypeError
/// naming the column when a type cannot be cast.
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> CastToSchema(
    std::shared_ptr<arrow::RecordBatchReader> data, std::shared_ptr<arrow::Schema> schema);

}  // namespace fsspeckit::io
