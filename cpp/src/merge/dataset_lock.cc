// fsspeckit: one merge at a time per dataset.
#include "fsspeckit/merge/dataset_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <arrow/io/interfaces.h>

namespace fsspeckit::merge {
namespace {

arrow::Status Busy(const std::string& path, const std::string& holder) {
  return arrow::Status::IOError("another merge is running on this dataset (", holder,
                                "); wait for it to finish, or delete '", path,
                                "' if no merge is running");
}

}  // namespace

arrow::Result<std::unique_ptr<DatasetLock>> DatasetLock::Acquire(
    std::shared_ptr<arrow::fs::FileSystem> fs, const std::string& dataset_dir) {
  const std::string path = dataset_dir + "/" + kLockName;
  (void)fs->CreateDir(dataset_dir, /*recursive=*/true);
  const std::string me = std::to_string(::getpid());
  if (fs->type_name() == "local") {
    for (int attempt = 0; attempt < 2; ++attempt) {
      int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
      if (fd >= 0) {
        ssize_t written = ::write(fd, me.data(), me.size());
        ::close(fd);
        if (written != static_cast<ssize_t>(me.size())) {
          return arrow::Status::IOError("cannot write lock file '", path, "'");
        }
        return std::unique_ptr<DatasetLock>(new DatasetLock(std::move(fs), path));
      }
      if (errno != EEXIST) {
        return arrow::Status::IOError("cannot create lock file '", path, "': ", std::strerror(errno));
      }
      std::string owner;
      std::ifstream(path) >> owner;
      pid_t pid = static_cast<pid_t>(std::atol(owner.c_str()));
      if (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM)) {
        return Busy(path, "process " + owner);
      }
      ::unlink(path.c_str());  // the holder is gone (killed): take the lock over
    }
    return Busy(path, "lock file keeps reappearing");
  }
  ARROW_ASSIGN_OR_RAISE(auto info, fs->GetFileInfo(path));
  if (info.type() != arrow::fs::FileType::NotFound) return Busy(path, "lock file present");
  ARROW_ASSIGN_OR_RAISE(auto out, fs->OpenOutputStream(path));
  ARROW_RETURN_NOT_OK(out->Write(me.data(), static_cast<int64_t>(me.size())));
  ARROW_RETURN_NOT_OK(out->Close());
  return std::unique_ptr<DatasetLock>(new DatasetLock(std::move(fs), path));
}

DatasetLock::~DatasetLock() { (void)fs_->DeleteFile(path_); }

}  // namespace fsspeckit::merge
