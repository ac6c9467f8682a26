// fsspeckit: making a commit survive a power loss on local disks (fsync).
#pragma once

#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/status.h>

namespace fsspeckit::io {

// Both do nothing on filesystems other than local disk: object stores are durable once
// a write returns, and others offer no way to ask. Errors name the path and the cause.

/// fsyncs the contents of each file (each must exist).
arrow::Status SyncFiles(arrow::fs::FileSystem& fs, const std::vector<std::string>& files);

/// fsyncs the folder holding each path and every folder above it up to and including
/// `root`: a new, renamed or deleted name is durable only once the folder naming it is,
/// and a new folder only once its parent is. Paths may be gone (deleted).
arrow::Status SyncFolders(arrow::fs::FileSystem& fs, const std::string& root,
                          const std::vector<std::string>& paths);

}  // namespace fsspeckit::io
