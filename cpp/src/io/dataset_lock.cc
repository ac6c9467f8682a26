// fsspeckit: one merge or dataset write at a time per dataset.
#include "io/dataset_lock_internal.h"
#include "io/counting_filesystem_internal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fsspeckit/io/location.h"
#include "fsspeckit/io/atomic_object_store.h"

namespace fsspeckit::io {
namespace {

arrow::Status Busy(const std::string& path, const std::string& detail) {
  return arrow::Status::IOError("another merge is running on this dataset (", detail,
                                "); wait for it to finish, or delete '", path,
                                "' if no merge is running");
}

// flock: the kernel releases it when the holder exits, however it exits, so there is no
// stale lock to judge. The holder unlinks the file when done; a lock taken on a file
// that was unlinked meanwhile is worthless, hence the inode check and retry.
arrow::Result<int> LockLocalFile(const std::string& path) {
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
      return fd;
    }
    ::close(fd);  // the previous holder removed this file just now: take a fresh one
  }
  return Busy(path, "its lock file keeps changing");
}

LeaseOptions LeaseFor(const CommitOptions& options) {
  LeaseOptions lease;
  if (options.hooks && options.hooks->lease_ms > 0) lease.lease_ms = options.hooks->lease_ms;
  return lease;
}

}  // namespace

arrow::Result<std::unique_ptr<DatasetLock>> DatasetLock::Acquire(
    std::shared_ptr<arrow::fs::FileSystem> fs, const std::string& dataset_dir,
    const CommitOptions& options) {
  auto lock = std::unique_ptr<DatasetLock>(new DatasetLock());
  lock->path_ = dataset_dir + "/" + kLockName;
  if (IsLocalDisk(*fs)) {
    (void)fs->CreateDir(dataset_dir, /*recursive=*/true);
    ARROW_ASSIGN_OR_RAISE(lock->fd_, LockLocalFile(lock->path_));
    return lock;
  }
  // The conditional writes are the store's own (the provider knows its classes), counted
  // when the operation counts its requests.
  const auto counting = std::dynamic_pointer_cast<CountingFileSystem>(fs);
  arrow::Result<std::shared_ptr<AtomicObjectStore>> found =
      AtomicStoreFor(counting ? counting->base() : fs);
  std::shared_ptr<AtomicObjectStore> store = found.ok() ? *found : nullptr;
  if (store && counting) store = counting->Counted(std::move(store));
  if (store) {
    lock->store_ = store;
    ARROW_ASSIGN_OR_RAISE(lock->lease_, LeaseLock::Acquire(std::move(store), lock->path_, LeaseFor(options)));
    return lock;
  }
  if (options.single_writer) return lock;
  if (!found.ok()) {  // the store has conditional writes, but this process cannot make them
    return arrow::Status::Invalid("fsspeckit cannot lock '", dataset_dir, "': ",
                                  found.status().message());
  }
  return arrow::Status::Invalid(
      "fsspeckit cannot lock '", dataset_dir, "': the '", fs->type_name(),
      "' filesystem offers no atomic create, so two writers at once could lose or duplicate "
      "rows. If no other process writes to this dataset meanwhile, say so with "
      "single_writer=True (CLI: --single-writer)");
}

arrow::Status DatasetLock::CheckHeld() { return lease_ ? lease_->CheckHeld() : arrow::Status::OK(); }

DatasetLock::~DatasetLock() {
  if (fd_ >= 0) {
    ::unlink(path_.c_str());  // while still holding it: see LockLocalFile's inode check
    ::close(fd_);             // releases the flock
  }
  // lease_ deletes its lock object itself
}

}  // namespace fsspeckit::io
