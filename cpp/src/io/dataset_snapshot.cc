// fsspeckit: what a dataset's files looked like when a write planned against them.
#include "io/dataset_snapshot_internal.h"

#include "io/commit_journal_internal.h"
#include "io/dataset_files_internal.h"

#include <chrono>

namespace fsspeckit::io {
arrow::Result<DatasetSnapshot> TakeSnapshot(arrow::fs::FileSystem& fs, const std::string& dir) {
  arrow::fs::FileSelector selector;
  selector.base_dir = dir;
  selector.recursive = true;
  selector.allow_not_found = true;
  ARROW_ASSIGN_OR_RAISE(auto infos, fs.GetFileInfo(selector));
  DatasetSnapshot snapshot;
  const std::string journal_path = dir + "/" + kJournalName;
  for (const auto& info : infos) {
    if (info.path() == journal_path) snapshot.journal_listed = true;
    if (!info.path().starts_with(dir + "/")) continue;
    const std::string_view top = std::string_view(info.path()).substr(dir.size() + 1);
    if (top.starts_with(kStagingPrefix) || top.starts_with(std::string(kJournalName) + ".")) {
      snapshot.leftovers_listed = true;
    }
    if (!info.IsFile()) continue;
    if (IsHidden(info.path().substr(dir.size() + 1)) || IsDirectoryMarker(info)) continue;
    const auto mtime = std::chrono::duration_cast<std::chrono::nanoseconds>(
        info.mtime().time_since_epoch());
    snapshot.files[info.path()] = {info.size(), mtime.count()};
  }
  snapshot.listed = std::move(infos);
  return snapshot;
}

arrow::Status CheckUnchanged(arrow::fs::FileSystem& fs, const std::string& dir,
                             const DatasetSnapshot& planned, const std::string& operation) {
  ARROW_ASSIGN_OR_RAISE(DatasetSnapshot now, TakeSnapshot(fs, dir));
  return CheckUnchanged(now, dir, planned, operation);
}

arrow::Status CheckUnchanged(const DatasetSnapshot& now, const std::string& dir,
                             const DatasetSnapshot& planned, const std::string& operation) {
  auto changed = [&](const std::string& path, const char* how) {
    return arrow::Status::IOError("the dataset changed since the ", operation, " planned ('",
                                  path, "' ", how, "): another writer got in; nothing was "
                                  "committed, run the ", operation, " again");
  };
  for (const auto& [path, entry] : planned.files) {
    auto found = now.files.find(path);
    if (found == now.files.end()) return changed(path, "was removed");
    if (!(found->second == entry)) return changed(path, "was rewritten");
  }
  for (const auto& [path, entry] : now.files) {
    if (!planned.files.count(path)) return changed(path, "appeared");
  }
  return now.journal_listed ? JournalAppeared(dir) : arrow::Status::OK();
}

}  // namespace fsspeckit::io
