// fsspeckit: Parquet compression codec names as users write them.
#pragma once

#include <optional>
#include <string>

#include <arrow/result.h>
#include <arrow/util/type_fwd.h>

namespace fsspeckit::io {

/// "snappy", "gzip", "brotli", "lz4", "zstd", "uncompressed"/"none" (any case); absent
/// means uncompressed. Invalid with the list of codecs otherwise.
arrow::Result<arrow::Compression::type> ParseCompression(const std::optional<std::string>& name);

}  // namespace fsspeckit::io
