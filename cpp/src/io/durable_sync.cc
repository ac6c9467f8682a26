// fsspeckit: making a commit survive a power loss on local disks (fsync).
#include "io/durable_sync_internal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "fsspeckit/io/location.h"
#include "io/unique_name_internal.h"

namespace fsspeckit::io {
namespace {

arrow::Status Fsync(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    return arrow::Status::IOError("cannot open '", path, "' to sync it to disk: ",
                                  std::strerror(errno));
  }
  int result = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (result != 0) {
    return arrow::Status::IOError("cannot sync '", path, "' to disk: ", std::strerror(error));
  }
  return arrow::Status::OK();
}

}  // namespace

void StartWriteback(arrow::fs::FileSystem& fs, const std::string& file) {
  if (!IsLocalDisk(fs)) return;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  ::close(fd);
}

arrow::Status SyncFiles(arrow::fs::FileSystem& fs, const std::vector<std::string>& files) {
  if (!IsLocalDisk(fs)) return arrow::Status::OK();
  // Queue every file's writeback first: the disk then works on all of them at once
  // instead of one fsync round trip after another.
  for (const std::string& file : files) StartWriteback(fs, file);
  for (const std::string& file : files) ARROW_RETURN_NOT_OK(Fsync(file, O_RDONLY));
  return arrow::Status::OK();
}

arrow::Status SyncFolders(arrow::fs::FileSystem& fs, const std::string& root,
                          const std::vector<std::string>& paths) {
  if (!IsLocalDisk(fs)) return arrow::Status::OK();
  std::set<std::string> folders{root};
  for (const std::string& path : paths) {
    for (std::string folder = ParentPath(path); folder.starts_with(root + "/");
         folder = ParentPath(folder)) {
      if (!folders.insert(folder).second) break;  // it and those above are in already
    }
  }
  for (const std::string& folder : folders) {
    ARROW_RETURN_NOT_OK(Fsync(folder, O_RDONLY | O_DIRECTORY));
  }
  return arrow::Status::OK();
}

}  // namespace fsspeckit::io
