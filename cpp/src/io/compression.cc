// fsspeckit: Parquet compression codec names as users write them.
#include "io/compression_internal.h"

#include <algorithm>
#include <cctype>

#include <arrow/util/compression.h>

namespace fsspeckit::io {

arrow::Result<arrow::Compression::type> ParseCompression(const std::optional<std::string>& name) {
  if (!name) return arrow::Compression::UNCOMPRESSED;
  std::string lower = *name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty()) return arrow::Status::Invalid("Compression codec must be a non-empty string");
  if (lower == "none" || lower == "uncompressed") return arrow::Compression::UNCOMPRESSED;
  if (lower == "snappy") return arrow::Compression::SNAPPY;
  if (lower == "gzip") return arrow::Compression::GZIP;
  if (lower == "brotli") return arrow::Compression::BROTLI;
  if (lower == "lz4") return arrow::Compression::LZ4;
  if (lower == "zstd") return arrow::Compression::ZSTD;
  return arrow::Status::Invalid("Invalid compression codec: '", *name,
                                "'. Must be one of: brotli, gzip, lz4, snappy, uncompressed, zstd");
}

}  // namespace fsspeckit::io
