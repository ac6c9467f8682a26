// fsspeckit: one merge at a time per dataset.
#pragma once

#include <memory>
#include <string>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

namespace fsspeckit::io {

inline constexpr const char* kLockName = "_fsspeckit_merge.lock";

/// Held for the duration of a merge or dataset write. On local disk it is an flock on
/// `_fsspeckit_merge.lock` (released by the kernel when the holder exits, even when
/// killed; a file left by a killed holder is simply locked again); on other filesystems the lock file's existence is the lock, and the check
/// and the creation are separate requests (two merges starting within the same instant
/// are not excluded).
class DatasetLock {
 public:
  /// IOError naming the holder when another merge holds the dataset.
  static arrow::Result<std::unique_ptr<DatasetLock>> Acquire(
      std::shared_ptr<arrow::fs::FileSystem> fs, const std::string& dataset_dir);
  ~DatasetLock();

 private:
  DatasetLock(std::shared_ptr<arrow::fs::FileSystem> fs, std::string path)
      : fs_(std::move(fs)), path_(std::move(path)) {}
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::string path_;
  int fd_ = -1;  ///< the flocked descriptor on local disk
};

}  // namespace fsspeckit::io
