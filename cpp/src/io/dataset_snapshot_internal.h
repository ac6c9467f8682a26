// fsspeckit: what a dataset's files looked like when a write planned against them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

namespace fsspeckit::io {

/// Size and modification time of every visible file below a dataset folder (names
/// starting with "_" or "." at any level are fsspeckit's own or hidden, and left out).
/// Listing is one request per 1,000 objects on S3, so this is cheap beside a merge.
struct DatasetSnapshot {
  struct Entry {
    int64_t size_bytes = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Entry&) const = default;
  };
  std::map<std::string, Entry> files;
  bool journal_listed = false;  ///< a commit journal was in the listing
  /// What Recover() removes was listed: a staging folder or a journal being written
  /// (a writer that died); with journal_listed, the listing says whether to recover.
  bool leftovers_listed = false;
  /// The listing itself (recursive, as the store gave it): a plan reads its data files
  /// from it (DataFilesIn) instead of listing again, a round trip on an object store.
  std::vector<arrow::fs::FileInfo> listed;
  bool NeedsRecovery() const { return journal_listed || leftovers_listed; }
};

arrow::Result<DatasetSnapshot> TakeSnapshot(arrow::fs::FileSystem& fs, const std::string& dir);

/// OK when the dataset's files are those of `planned`, same sizes and times; otherwise
/// IOError naming a file that appeared, vanished or changed: the dataset was written by
/// someone else since `operation` ("merge", "write") planned, and committing would
/// half-apply both; or naming a commit journal in the listing (a writer that skipped the
/// lock is committing), so that the journal's own write need not ask first. Checked
/// under the lock, before the journal.
arrow::Status CheckUnchanged(arrow::fs::FileSystem& fs, const std::string& dir,
                             const DatasetSnapshot& planned, const std::string& operation);
/// The same check against `now`, a snapshot just taken (a listing that served more).
arrow::Status CheckUnchanged(const DatasetSnapshot& now, const std::string& dir,
                             const DatasetSnapshot& planned, const std::string& operation);

}  // namespace fsspeckit::io
