// fsspeckit: the commit journal that makes a merge all-or-nothing, even across crashes.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

namespace fsspeckit::merge {

/// Names inside a dataset folder; the leading "_" hides them from dataset readers.
inline constexpr const char* kJournalName = "_fsspeckit_merge_journal";
inline constexpr const char* kStagingPrefix = "_fsspeckit-merge-";

/// What a merge does to the dataset once every new file is complete in its staging
/// folder: move each staged file to its place (replacing the file it rewrites).
struct Journal {
  std::string staging_dir;
  std::vector<std::pair<std::string, std::string>> moves;  ///< (staged, final)
};

/// Writes the journal beside the data (temporary name, then a rename) and returns when
/// it is complete: from here on the merge is committed and a crash rolls forward.
arrow::Status WriteJournal(arrow::fs::FileSystem& fs, const std::string& dataset_dir,
                           const Journal& journal);

/// Carries out a journal: moves still pending (a move whose staged file is gone was
/// already done), then removes the staging folder and the journal. Idempotent.
arrow::Status ApplyJournal(arrow::fs::FileSystem& fs, const std::string& dataset_dir,
                           const Journal& journal);

struct RecoveryReport {
  bool rolled_forward = false;     ///< a committed merge was completed
  int staging_dirs_removed = 0;    ///< uncommitted merges rolled back
};

/// Brings the dataset to a consistent state after an interrupted merge: a complete
/// journal is applied (the merge had committed), then staging folders of merges that
/// never committed are removed. Nothing to do on a clean dataset.
arrow::Result<RecoveryReport> Recover(arrow::fs::FileSystem& fs, const std::string& dataset_dir);

}  // namespace fsspeckit::merge
