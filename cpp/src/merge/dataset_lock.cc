// fsspeckit: one merge at a time per dataset.
#include "fsspeckit/merge/dataset_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <arrow/io/interfaces.h>

namespace fsspeckit::merge {
namespace {

arrow::Status Busy(const std::string& path, const std::string& detail) {
  return arrow::Status::IOError("another merge is running on this dataset (", detail,
                                "); wait for it to finish, or delete '", path,
                                "' if no merge is running");
}

}  // namespace

arrow::Result<std::unique_ptr<DatasetLock>> DatasetLock::Acquire(
    std::shared_ptr<arrow::fs::FileSystem> fs, const std::string& dataset_dir) {
  const std::string path = dataset_dir + "/" + kLockName;
  (void)fs->CreateDir(dataset_dir, /*recursive=*/true);
  if (fs->type_name() == "local") {
    // flock on a file that stays: the kernel releases it when the holder exits, however
    // it exits, so there is no stale lock to judge and no unlink race. The file itself is
    // kept (hidden by its leading "_").
    int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
      return arrow::Status::IOError("cannot open lock file '", path, "': ", std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) return Busy(path, "its lock is held");
      return arrow::Status::IOError("cannot lock '", path, "': ", std::strerror(error));
    }
    auto lock = std::unique_ptr<DatasetLock>(new DatasetLock(std::move(fs), path));
    lock->fd_ = fd;
    return lock;
  }
  ARROW_ASSIGN_OR_RAISE(auto info, fs->GetFileInfo(path));
  if (info.type() != arrow::fs::FileType::NotFound) return Busy(path, "lock file present");
  ARROW_ASSIGN_OR_RAISE(auto out, fs->OpenOutputStream(path));
  ARROW_RETURN_NOT_OK(out->Close());
  return std::unique_ptr<DatasetLock>(new DatasetLock(std::move(fs), path));
}

DatasetLock::~DatasetLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  } else {
    (void)fs_->DeleteFile(path_);
  }
}

}  // namespace fsspeckit::merge
