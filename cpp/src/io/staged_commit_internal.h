// fsspeckit: the one commit protocol of dataset writes and merges (staging folder + journal).
#pragma once

#include "fsspeckit/io/commit_options.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/status.h>
#include <arrow/util/cancel.h>

#include "io/commit_journal_internal.h"
#include "io/dataset_lock_internal.h"
#include "io/dataset_snapshot_internal.h"

namespace fsspeckit::io {

/// A write in progress: a fresh hidden staging folder of the dataset, the staged files
/// and where each goes, the files it deletes. Commit() writes the journal (from then
/// the write is done, even across a crash) and applies it. Dropped uncommitted, it
/// removes its staging folder: the dataset was never touched. The caller holds the
/// DatasetLock for the whole life of the object.
class StagedCommit {
 public:
  StagedCommit(std::shared_ptr<arrow::fs::FileSystem> fs, std::string dataset_dir);
  StagedCommit(StagedCommit&&) = default;
  StagedCommit& operator=(StagedCommit&&) = delete;
  ~StagedCommit();

  /// `<dataset>/_fsspeckit-staging-<id>`: everything staged goes below it.
  const std::string& dir() const { return journal_.staging_dir; }

  /// `staged` becomes `final_path`, which must not exist yet (IOError naming it, with
  /// `fix` telling the caller what to do).
  arrow::Status AddNew(const std::string& staged, const std::string& final_path,
                       std::string_view fix);
  /// `staged` becomes `final_path` with no request asking whether it exists: a name
  /// carrying a fresh UniqueId (ReplacementPath, maintenance's names), or a file an
  /// overwrite replaces on purpose (the caller's basename_template).
  void AddMove(const std::string& staged, const std::string& final_path);
  /// `path` is removed by the commit.
  void AddDelete(const std::string& path);
  /// A recursive listing of dir() made once nothing more was being staged (the merge's
  /// check of what its tasks staged): where the commit deletes with plain requests
  /// (DirectDeletes), it deletes what this lists rather than listing the folder again,
  /// so it must hold everything there (an earlier attempt's files too).
  void SetStagedListing(const std::vector<arrow::fs::FileInfo>& listed) {
    staged_objects_ = StagedObjects(listed);
  }

  /// The commit point: the checks (CheckBeforeJournal: `alongside`, which may add the
  /// moves and deletes; the lock still ours; the files still `planned`) at once, then
  /// the journal; then the moves and deletes. A failure before the journal exists
  /// leaves the dataset as it was; after it, the error says the `operation` ("merge",
  /// "write") is committed and the next Recover() completes it. With nothing to do,
  /// only the staging folder is removed. `options.durable`: synced to survive a power
  /// loss; `options.hooks`: a crash test's.
  /// On an object store whose lock store deletes plainly, the replaced files, the
  /// staged files (SetStagedListing, else listed beside the checks) and then the journal
  /// are deleted with it; elsewhere with the filesystem's DeleteFile and DeleteDir.
  arrow::Status Commit(const std::string& operation, DatasetLock& lock,
                       const DatasetSnapshot& planned, const CommitOptions& options,
                       const std::function<arrow::Status()>& alongside = {});

 private:
  arrow::Status ListStaged();

  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::string dataset_dir_;
  Journal journal_;
  std::optional<std::vector<std::string>> staged_objects_;  ///< see DirectDeletes
  bool settled_ = false;  // committed, or moved from
};

/// Ctrl-C before the commit point, as the user sees it: `operation` ("merge", "write")
/// was cancelled and the dataset is unchanged. OK while no stop was requested.
inline arrow::Status CheckNotStopped(const arrow::StopToken& stop, std::string_view operation) {
  arrow::Status status = stop.Poll();
  if (status.ok()) return status;
  return status.WithMessage("the ", operation, " was cancelled (", status.message(),
                            ") before its commit: the dataset is unchanged");
}

}  // namespace fsspeckit::io
