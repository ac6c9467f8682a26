// fsspeckit: the Parquet files of a dataset folder.
#pragma once

#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

namespace fsspeckit::io {

enum class HiddenFiles { kSkip, kInclude };

/// Every `.parquet` file below `dir`, sorted; none when `dir` does not exist. kSkip
/// leaves out anything under a name starting with `_` or `.` (staging folders, as
/// dataset readers do); kInclude keeps them (an overwrite removes leftovers too).
arrow::Result<std::vector<std::string>> ListParquetFiles(arrow::fs::FileSystem& fs,
                                                         const std::string& dir,
                                                         HiddenFiles hidden);

}  // namespace fsspeckit::io
