// fsspeckit: making a commit survive a power loss on local disks (fsync).
#pragma once

#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/status.h>

namespace fsspeckit::io {

// Both do nothing on filesystems other than local disk: object stores are durable once
// a write returns, and others offer no way to ask. Errors name the path and the cause.

/// Asks the kernel to start writing `file` to disk now, without waiting: called as each
/// staged file is complete, so a durable commit's fsyncs find the work mostly done
/// (RocksDB's bytes_per_sync). Best effort; nothing for files not on local disk.
void StartWriteback(arrow::fs::FileSystem& fs, const std::string& file);

/// fsyncs the contents of each file (each must exist).
arrow::Status SyncFiles(arrow::fs::FileSystem& fs, const std::vector<std::string>& files);

/// fsyncs the folder holding each path and every folder above it up to and including
/// `root`: a new, renamed or deleted name is durable only once the folder naming it is,
/// and a new folder only once its parent is. Paths may be gone (deleted).
arrow::Status SyncFolders(arrow::fs::FileSystem& fs, const std::string& root,
                          const std::vector<std::string>& paths);

}  // namespace fsspeckit::io
