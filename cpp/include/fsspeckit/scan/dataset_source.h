// fsspeckit: any pyarrow dataset (CSV, JSON, ORC, IPC, ...) read through Arrow's scanner.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <arrow/compute/expression.h>
#include <arrow/dataset/dataset.h>
#include <arrow/result.h>

#include "fsspeckit/scan/batch_source.h"

namespace fsspeckit::scan {

/// `dataset`'s rows where `filter` holds, in batches of at most `batch_size_rows`, read
/// one batch and one file at a time (wrap it in MakePrefetchSource to read ahead).
/// total_rows() is counted up front. Close() returns once no read of the scan is left
/// running in the background.
arrow::Result<std::unique_ptr<BatchSource>> MakeDatasetSource(
    const std::shared_ptr<arrow::dataset::Dataset>& dataset,
    std::optional<arrow::compute::Expression> filter, int64_t batch_size_rows);

/// How a chunked scan under a pool budget of `max_pool_bytes` reads any pyarrow dataset:
/// Parquet files row group by row group (ParquetBatchSource, read-ahead within a quarter
/// of the budget), any other format through MakeDatasetSource in batches of at most
/// min(`chunk_size_rows`, 128Ki) rows, read ahead on a background thread within a
/// quarter of the budget.
arrow::Result<std::unique_ptr<BatchSource>> OpenDatasetForScan(
    const std::shared_ptr<arrow::dataset::Dataset>& dataset,
    std::optional<arrow::compute::Expression> filter, int64_t max_pool_bytes,
    int64_t chunk_size_rows);

}  // namespace fsspeckit::scan
