// fsspeckit: one merge at a time per dataset.
#include "fsspeckit/io/dataset_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <arrow/io/interfaces.h>

namespace fsspeckit::io {
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
    // flock: the kernel releases it when the holder exits, however it exits, so there is
    // no stale lock to judge. The holder unlinks the file when done; a lock taken on a
    // file that was unlinked meanwhile is worthless, hence the inode check and retry.
    for (int attempt = 0; attempt < 3; ++attempt) {
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
      struct stat held, current;
      if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &current) == 0 &&
          held.st_ino == current.st_ino && held.st_dev == current.st_dev) {
        auto lock = std::unique_ptr<DatasetLock>(new DatasetLock(std::move(fs), path));
        lock->fd_ = fd;
        return lock;
      }
      ::close(fd);  // the previous holder removed this file just now: take a fresh one
    }
    return Busy(path, "its lock file keeps changing");
  }
  ARROW_ASSIGN_OR_RAISE(auto info, fs->GetFileInfo(path));
  if (info.type() != arrow::fs::FileType::NotFound) return Busy(path, "lock file present");
  ARROW_ASSIGN_OR_RAISE(auto out, fs->OpenOutputStream(path));
  ARROW_RETURN_NOT_OK(out->Close());
  return std::unique_ptr<DatasetLock>(new DatasetLock(std::move(fs), path));
}

DatasetLock::~DatasetLock() {
  if (fd_ >= 0) {
    ::unlink(path_.c_str());  // while still holding it: see Acquire's inode check
    ::close(fd_);             // releases the flock
  } else {
    (void)fs_->DeleteFile(path_);
  }
}

}  // namespace fsspeckit::io
