// fsspeckit: the commit journal that makes dataset writes all-or-nothing, even across crashes.
#pragma once

#include "fsspeckit/io/test_hooks.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

namespace fsspeckit::io {

/// Names inside a dataset folder; the leading "_" hides them from dataset readers.
inline constexpr const char* kJournalName = "_fsspeckit_merge_journal";
/// Staging folders of merges and dataset writes; whatever is in one that no journal
/// names was never committed.
inline constexpr const char* kStagingPrefix = "_fsspeckit-staging-";
/// Staged files do not end in ".parquet", so readers that glob "**/*.parquet" (DuckDB,
/// Polars) skip them as well as those that skip "_" folders (pyarrow).
inline constexpr const char* kStagedSuffix = ".staged";

/// What a write does to the dataset once every new file is complete in its staging
/// folder: move each staged file to its place (replacing a file it rewrites), then
/// delete the files it replaces by other names (an overwrite's old files).
struct Journal {
  std::string staging_dir;
  std::vector<std::pair<std::string, std::string>> moves;  ///< (staged, final)
  std::vector<std::string> deletes;
};

/// Writes the journal beside the data (temporary name, then a rename) and returns when
/// it is complete: from here on the merge is committed and a crash rolls forward.
/// `durable` (local disks): the staged files and their folders are synced first, then
/// the journal and the dataset folder, so the commit also survives a power loss.
/// IOError naming the journal's path and the cause (a full disk) when it cannot be
/// written; then nothing was committed, unless IsCommitUnknown(error): the final rename
/// failed and whether it happened could not be read back (the store stopped answering),
/// so the staged files must stay for Recover() to settle.
/// `checked_absent`: the caller's listing just showed no journal (CheckUnchanged), so
/// none is asked for first.
arrow::Status WriteJournal(arrow::fs::FileSystem& fs, const std::string& dataset_dir,
                           const Journal& journal, bool durable = true,
                           bool checked_absent = false);

/// The error when another commit's journal is found where this one is to be written.
arrow::Status JournalAppeared(const std::string& dataset_dir);

/// The error of a WriteJournal whose outcome is unknown (see there).
bool IsCommitUnknown(const arrow::Status& status);

class AtomicObjectStore;
class DatasetLock;
struct DatasetSnapshot;

/// The checks before the commit point of a write holding `lock`: `alongside` (the
/// caller's own, e.g. its listing of what was staged; may be empty), that the lock is
/// still this process's, and that the dataset's files are still `planned`. On Arrow's
/// object stores they are made at once (each is a round trip, none needs another's
/// answer); elsewhere in that order. Returns the first failure in that order (then
/// nothing may be committed), else OK; the journal is written only after all of them.
/// `operation` ("merge", "write") names it in errors.
arrow::Status CheckBeforeJournal(arrow::fs::FileSystem& fs, const std::string& dataset_dir,
                                 DatasetLock& lock, const DatasetSnapshot& planned,
                                 const std::string& operation,
                                 const std::function<arrow::Status()>& alongside = {});

/// How ApplyJournal deletes on an object store whose lock store offers plain deletions
/// (AtomicObjectStore::supports_delete): one request per object, none asking first and
/// none putting a folder marker back, where Arrow's S3 DeleteFile makes three in a row
/// (HEAD, DELETE, the parent's marker PUT) and its DeleteDir seven.
struct DirectDeletes {
  AtomicObjectStore* store = nullptr;  ///< not owned; nullptr: the filesystem deletes
  /// Every object in the staging folder, listed once nothing more was being staged
  /// (StagedObjects): each is deleted with `store`, and so is the folder's own marker.
  /// nullopt: the folder goes with DeleteDir, which lists it again.
  std::optional<std::vector<std::string>> staged_objects;
};

/// The objects that may exist for `listed` (a listing of a staging folder on an object
/// store): a file's path; for a folder, the name of its marker (path + "/"), which a
/// listing cannot tell apart from a folder implied by the files below it.
std::vector<std::string> StagedObjects(const std::vector<arrow::fs::FileInfo>& listed);

/// Carries out a journal: moves still pending (a move whose staged file is gone was
/// already done), deletions still pending, then removes the staging folder and the
/// journal. Idempotent. `durable`: the folders changed are synced before the journal
/// is removed. `hooks`: a crash test's (TestHooks::before_commit_move); may be nullptr.
/// `fresh`: the journal was just written by this process and nothing of it is applied
/// yet, so no move needs asking whether it is still pending (one round trip each on an
/// object store). `direct` (may be nullptr), on an object store whose store deletes:
/// after every move, the replaced and the staged files are deleted all at once, then
/// the journal.
arrow::Status ApplyJournal(arrow::fs::FileSystem& fs, const std::string& dataset_dir,
                           const Journal& journal, bool durable = true,
                           const TestHooks* hooks = nullptr, bool fresh = false,
                           const DirectDeletes* direct = nullptr);

/// The journal of `dataset_dir` when one is there (a commit in progress, or one that
/// crashed after its commit point), nullopt when none is. IOError when one is there but
/// is not a complete fsspeckit journal (damage from outside: never guessed at).
arrow::Result<std::optional<Journal>> ReadJournal(arrow::fs::FileSystem& fs,
                                                  const std::string& dataset_dir);

struct RecoveryReport {
  bool rolled_forward = false;     ///< a committed write was completed
  int staging_dirs_removed = 0;    ///< uncommitted writes rolled back
};

/// Brings the dataset to a consistent state after an interrupted merge or write: a
/// journal is applied (it had committed), then staging folders that no journal names
/// are removed. Nothing to do on a clean dataset. Call it holding the DatasetLock.
/// A journal is trusted only as far as fsspeckit writes them: its staging folder must be
/// a `_fsspeckit-staging-*` folder directly inside the dataset and every move must come
/// from inside it; any other journal stops recovery with an error, touching nothing.
arrow::Result<RecoveryReport> Recover(arrow::fs::FileSystem& fs, const std::string& dataset_dir);

}  // namespace fsspeckit::io
