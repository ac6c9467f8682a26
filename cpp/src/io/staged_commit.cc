// fsspeckit: the one commit protocol of dataset writes and merges (staging folder + journal).
#include "staged_commit_internal.h"

#include <utility>

#include "fsspeckit/io/atomic_object_store.h"
#include "fsspeckit/io/location.h"
#include "io/retry_internal.h"
#include "io/unique_name_internal.h"

namespace fsspeckit::io {

StagedCommit::StagedCommit(std::shared_ptr<arrow::fs::FileSystem> fs, std::string dataset_dir)
    : fs_(std::move(fs)), dataset_dir_(std::move(dataset_dir)) {
  journal_.staging_dir = dataset_dir_ + "/" + kStagingPrefix + UniqueId();
}

StagedCommit::~StagedCommit() {
  // Nothing was committed: the dataset is untouched, only the staging folder goes.
  if (fs_ && !settled_) (void)fs_->DeleteDir(journal_.staging_dir);
}

arrow::Status StagedCommit::AddNew(const std::string& staged, const std::string& final_path,
                                   std::string_view fix) {
  ARROW_ASSIGN_OR_RAISE(auto existing, fs_->GetFileInfo(final_path));
  if (existing.type() != arrow::fs::FileType::NotFound) {
    return arrow::Status::IOError("'", final_path, "' already exists; ", fix);
  }
  journal_.moves.emplace_back(staged, final_path);
  return arrow::Status::OK();
}

void StagedCommit::AddMove(const std::string& staged, const std::string& final_path) {
  journal_.moves.emplace_back(staged, final_path);
}

void StagedCommit::AddDelete(const std::string& path) { journal_.deletes.push_back(path); }

arrow::Status StagedCommit::ListStaged() {
  arrow::fs::FileSelector selector;
  selector.base_dir = journal_.staging_dir;
  selector.recursive = true;
  selector.allow_not_found = true;
  ARROW_ASSIGN_OR_RAISE(auto listed, fs_->GetFileInfo(selector));
  SetStagedListing(listed);
  return arrow::Status::OK();
}

arrow::Status StagedCommit::Commit(const std::string& operation, DatasetLock& lock,
                                   const DatasetSnapshot& planned, const CommitOptions& options,
                                   const std::function<arrow::Status()>& alongside) {
  const bool durable = options.durable;
  auto nothing_to_do = [&] { return journal_.moves.empty() && journal_.deletes.empty(); };
  if (!alongside && nothing_to_do()) return arrow::Status::OK();  // dtor cleans
  AtomicObjectStore* store = lock.store();
  const bool direct = store && store->supports_delete() && WritesWholeObjects(*fs_);
  // Deleting the staged files one by one needs their names: listed beside the checks
  // (no round trip of its own) unless the caller listed them.
  std::function<arrow::Status()> beside = alongside;
  if (!beside && direct && !staged_objects_) beside = [this] { return ListStaged(); };
  ARROW_RETURN_NOT_OK(CheckBeforeJournal(*fs_, dataset_dir_, lock, planned, operation, beside));
  if (nothing_to_do()) return arrow::Status::OK();
  for (const std::string& path : staged_objects_.value_or(std::vector<std::string>{})) {
    if (!path.starts_with(dir() + "/")) {  // never delete anything else as staged
      return arrow::Status::Invalid("cannot commit: '", path, "' was handed over as staged but "
                                    "is outside the staging folder '", dir(), "'");
    }
  }
  if (auto status = WriteJournal(*fs_, dataset_dir_, journal_, durable, /*checked_absent=*/true);
      !status.ok()) {
    if (IsCommitUnknown(status)) settled_ = true;  // its staged files are Recover()'s now
    return status;
  }
  settled_ = true;  // committed: from here a failure (or a crash) is completed by Recover()
  const DirectDeletes deletes{direct ? store : nullptr, staged_objects_};
  // The journal can be applied any number of times, so a store that failed transiently
  // (its client already retried each request) is given more tries before recover is asked for.
  bool fresh = true;  // a retry asks which moves are still pending
  auto status = RetryTransient(GetRetryOptions(), [&] {
    return ApplyJournal(*fs_, dataset_dir_, journal_, durable, options.hooks.get(),
                        std::exchange(fresh, false), &deletes);
  });
  if (!status.ok()) {
    return arrow::Status::IOError("the ", operation, " is committed but its files could not all be "
                                  "moved into place (", status.message(), "); run recover on '",
                                  dataset_dir_, "' (or any later write or merge) to complete it");
  }
  return arrow::Status::OK();
}

}  // namespace fsspeckit::io
