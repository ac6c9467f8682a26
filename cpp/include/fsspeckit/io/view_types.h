// fsspeckit: Arrow view types (string_view, binary_view, list_view) replaced at the edge.
#pragma once

#include <memory>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/type.h>

namespace fsspeckit::io {

/// `type` with every view type replaced by its offset-based equivalent (string_view ->
/// utf8, binary_view -> binary, list_view -> list, large_list_view -> large_list),
/// nested ones included. polars exports strings as string_view, and Arrow's take and
/// other kernels a merge needs have no view kernels; Parquet stores both alike, so
/// nothing is lost. Types without views are returned as they are (the same pointer).
std::shared_ptr<arrow::DataType> WithoutViewTypes(const std::shared_ptr<arrow::DataType>& type);

/// The schema with WithoutViewTypes applied to every field (metadata kept).
std::shared_ptr<arrow::Schema> WithoutViewTypes(const std::shared_ptr<arrow::Schema>& schema);

/// The array converted to WithoutViewTypes(its type); the same array when it has none.
arrow::Result<std::shared_ptr<arrow::Array>> WithoutViewTypes(
    const std::shared_ptr<arrow::Array>& array);

/// Every column converted; the same batch when there is nothing to convert.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> WithoutViewTypes(
    const std::shared_ptr<arrow::RecordBatch>& batch);

/// `data` as it is when its schema has no view types, else its batches converted on the fly.
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> WithoutViewTypes(
    std::shared_ptr<arrow::RecordBatchReader> data);

}  // namespace fsspeckit::io
