// fsspeckit: the Parquet files of a dataset folder.
#include "fsspeckit/io/dataset_files.h"

#include <algorithm>

namespace fsspeckit::io {

arrow::Result<std::vector<std::string>> ListParquetFiles(arrow::fs::FileSystem& fs,
                                                         const std::string& dir,
                                                         HiddenFiles hidden) {
  arrow::fs::FileSelector selector;
  selector.base_dir = dir;
  selector.recursive = true;
  selector.allow_not_found = true;
  ARROW_ASSIGN_OR_RAISE(auto infos, fs.GetFileInfo(selector));
  std::vector<std::string> files;
  for (const auto& info : infos) {
    if (!info.IsFile() || !info.path().ends_with(".parquet")) continue;
    if (hidden == HiddenFiles::kSkip) {
      std::string relative = info.path().substr(std::min(info.path().size(), dir.size() + 1));
      if (relative.starts_with("_") || relative.starts_with(".") ||
          relative.find("/_") != std::string::npos || relative.find("/.") != std::string::npos) {
        continue;
      }
    }
    files.push_back(info.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace fsspeckit::io
