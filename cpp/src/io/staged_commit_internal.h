// fsspeckit: the one commit protocol of dataset writes and merges (staging folder + journal).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <arrow/filesystem/filesystem.h>
#include <arrow/status.h>

#include "fsspeckit/io/commit_journal.h"
#include "fsspeckit/io/dataset_lock.h"
#include "fsspeckit/io/dataset_snapshot.h"

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
  /// `staged` replaces the existing file at `final_path`.
  void AddReplacement(const std::string& staged, const std::string& final_path);
  /// `path` is removed by the commit.
  void AddDelete(const std::string& path);

  /// The commit point (CommitJournal: the lock still ours, the files still `planned`,
  /// then the journal), then the moves and deletes. A failure before the journal exists
  /// leaves the dataset as it was; after it, the error says the `operation` ("merge",
  /// "write") is committed and the next Recover() completes it. With nothing to do,
  /// only the staging folder is removed. `durable`: synced to survive a power loss.
  arrow::Status Commit(const std::string& operation, DatasetLock& lock,
                       const DatasetSnapshot& planned, bool durable);

 private:
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::string dataset_dir_;
  Journal journal_;
  bool settled_ = false;  // committed, or moved from
};

}  // namespace fsspeckit::io
