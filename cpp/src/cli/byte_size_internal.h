// fsspeckit: human byte sizes ("512MiB", "1.5GB", "2048") at the CLI edge.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <arrow/result.h>

namespace fsspeckit::cli {

/// Parses a size: a number with an optional unit B, K/KB/KiB, M/MB/MiB, G/GB/GiB,
/// T/TB/TiB (case-insensitive, binary multiples throughout, as the library's "MB" are
/// MiB). A bare number means MiB, matching the Python *_mb parameters.
arrow::Result<int64_t> ParseByteSize(std::string_view text);

}  // namespace fsspeckit::cli
