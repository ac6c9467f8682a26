// fsspeckit: how write_parquet encodes, for writers that assemble files themselves.
#pragma once

#include <memory>

#include <arrow/result.h>
#include <parquet/properties.h>

#include "fsspeckit/io/write_parquet.h"

namespace fsspeckit::io {

/// The Parquet properties WriteParquet writes `options` with (codec, row group size,
/// plain columns, pool); Invalid for an unknown codec or a row group size below 1.
arrow::Result<std::shared_ptr<parquet::WriterProperties>> ParquetWriterProperties(
    const WriteParquetOptions& options);

}  // namespace fsspeckit::io
