// fsspeckit: one merge or dataset write at a time per dataset.
#pragma once

#include <memory>
#include <string>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

#include "fsspeckit/io/commit_options.h"
#include "io/lease_lock_internal.h"

namespace fsspeckit::io {

inline constexpr const char* kLockName = "_fsspeckit_merge.lock";

/// Held for the duration of a merge or dataset write, as `_fsspeckit_merge.lock`:
/// - local disk: an flock, released by the kernel when the holder exits however it
///   exits (a file left by a killed holder is simply locked again);
/// - filesystems with conditional writes (S3; fsspec's memory filesystem, under an
///   in-process mutex; see atomic_object_store.h): a LeaseLock,
///   renewed in the background; a killed holder blocks others until its lease ends
///   (30 s; a test shortens it through TestHooks, test_hooks.h);
/// - anything else: no lock can be taken atomically, so Acquire refuses unless the
///   caller declared `single_writer` (then nothing is locked).
class DatasetLock {
 public:
  /// IOError naming the holder when another merge holds the dataset; Invalid when the
  /// filesystem cannot be locked and no single writer was declared.
  static arrow::Result<std::unique_ptr<DatasetLock>> Acquire(
      std::shared_ptr<arrow::fs::FileSystem> fs, const std::string& dataset_dir,
      const CommitOptions& options = {});
  ~DatasetLock();

  /// OK while the lock is still this process's: the check a commit makes before its
  /// journal (an object-store lease can be lost by a holder stalled past it).
  arrow::Status CheckHeld();

  /// The store the lease is kept in, whose plain deletions (AtomicObjectStore::Delete) a
  /// commit under the lock may use; nullptr on local disks and where nothing is locked.
  /// Lives as long as the lock.
  AtomicObjectStore* store() const { return store_.get(); }

 private:
  DatasetLock() = default;
  std::string path_;
  int fd_ = -1;                        ///< the flocked descriptor on local disk
  std::shared_ptr<AtomicObjectStore> store_;  ///< shared with lease_
  std::unique_ptr<LeaseLock> lease_;   ///< on object stores with conditional writes
};

}  // namespace fsspeckit::io
