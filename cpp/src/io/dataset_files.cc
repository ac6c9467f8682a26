// fsspeckit: the data files of a dataset folder, one rule for reads, scans and writes.
#include "io/dataset_files_internal.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "fsspeckit/io/location.h"
#include "io/commit_journal_internal.h"

namespace fsspeckit::io {
namespace {

std::string RelativePath(const std::string& dir, const std::string& path) {
  return path.substr(std::min(path.size(), dir.size() + 1));
}

arrow::Result<std::vector<arrow::fs::FileInfo>> ListBelow(arrow::fs::FileSystem& fs,
                                                          const std::string& dir) {
  arrow::fs::FileSelector selector;
  selector.base_dir = dir;
  selector.recursive = true;
  selector.allow_not_found = true;
  return fs.GetFileInfo(selector);
}

// Invalid when `path` is a symbolic link resolving outside `root` (canonical).
arrow::Status CheckLinkInside(const std::filesystem::path& root, const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_symlink(path, error)) return arrow::Status::OK();
  const std::filesystem::path target = std::filesystem::weakly_canonical(path, error);
  if (!error &&
      std::mismatch(root.begin(), root.end(), target.begin(), target.end()).first == root.end()) {
    return arrow::Status::OK();
  }
  return arrow::Status::Invalid(
      "'", path, "' is a symbolic link to '", target.string(), "', outside the dataset '",
      root.string(), "': writing through it would change files outside the dataset; replace "
      "the link by a copy of what it points to, or write to the folder it points to");
}

// While a commit is applied (its journal is there), the files of one state, never a mix:
// the new dataset once every file the journal moves is in place (its deletions left out,
// done or not), else the old one (the files already moved in left out: deletions start
// only after the last move). One GET of the journal, only while a commit runs.
// Never fails: without a readable journal the listing stays as it is.
arrow::Status KeepOneState(arrow::fs::FileSystem& fs, const std::string& dir,
                           std::vector<arrow::fs::FileInfo>& files) {
  auto read = ReadJournal(fs, dir);
  // A journal that cannot be read is for recover to refuse (damage from outside); a
  // reader reads the files as they are.
  if (!read.ok()) return arrow::Status::OK();
  std::optional<Journal>& journal = *read;
  if (!journal) return arrow::Status::OK();  // completed meanwhile: the listing is one state
  std::set<std::string> listed;
  for (const auto& file : files) listed.insert(file.path());
  bool moved = true;
  for (const auto& move : journal->moves) moved = moved && listed.count(move.second) > 0;
  std::set<std::string> left_out;
  if (moved) {
    left_out.insert(journal->deletes.begin(), journal->deletes.end());
  } else {
    for (const auto& move : journal->moves) left_out.insert(move.second);
  }
  std::erase_if(files, [&](const arrow::fs::FileInfo& file) { return left_out.count(file.path()) > 0; });
  return arrow::Status::OK();
}

}  // namespace

std::vector<arrow::fs::FileInfo> DataFilesIn(const std::string& dir,
                                             std::vector<arrow::fs::FileInfo> listed,
                                             HiddenFiles hidden) {
  std::vector<arrow::fs::FileInfo> files;
  for (auto& info : listed) {
    if (!info.IsFile() || info.path().ends_with(kStagedSuffix) || IsDirectoryMarker(info)) continue;
    if (!IsHidden(RelativePath(dir, info.path())) ||
        (hidden == HiddenFiles::kInclude && info.path().ends_with(".parquet"))) {
      files.push_back(std::move(info));
    }
  }
  std::sort(files.begin(), files.end(),
            [](const arrow::fs::FileInfo& a, const arrow::fs::FileInfo& b) { return a.path() < b.path(); });
  return files;
}

arrow::Result<std::vector<arrow::fs::FileInfo>> ListDataFileInfos(arrow::fs::FileSystem& fs,
                                                                  const std::string& dir,
                                                                  HiddenFiles hidden) {
  ARROW_ASSIGN_OR_RAISE(auto infos, ListBelow(fs, dir));
  const bool committing = std::any_of(infos.begin(), infos.end(), [&](const auto& info) {
    return info.IsFile() && info.path() == dir + "/" + kJournalName;
  });
  std::vector<arrow::fs::FileInfo> files = DataFilesIn(dir, std::move(infos), hidden);
  if (committing) ARROW_RETURN_NOT_OK(KeepOneState(fs, dir, files));
  return files;
}

arrow::Result<DatasetPath> ListDatasetPath(arrow::fs::FileSystem& fs, const std::string& path) {
  DatasetPath found;
  if (WritesWholeObjects(fs)) {
    ARROW_ASSIGN_OR_RAISE(found.files, ListDataFileInfos(fs, path));
    if (!found.files.empty()) return found;
  }
  ARROW_ASSIGN_OR_RAISE(arrow::fs::FileInfo info, fs.GetFileInfo(path));
  if (info.type() == arrow::fs::FileType::NotFound) {
    return PathError(arrow::StatusCode::IOError, "Dataset path does not exist: " + path);
  }
  found.is_file = info.type() == arrow::fs::FileType::File;
  if (found.is_file) {
    found.files = {std::move(info)};
  } else if (!WritesWholeObjects(fs)) {
    ARROW_ASSIGN_OR_RAISE(found.files, ListDataFileInfos(fs, path));
  }
  return found;
}

arrow::Result<std::vector<std::string>> ListDataFiles(arrow::fs::FileSystem& fs,
                                                      const std::string& dir,
                                                      HiddenFiles hidden) {
  ARROW_ASSIGN_OR_RAISE(auto infos, ListDataFileInfos(fs, dir, hidden));
  std::vector<std::string> files;
  files.reserve(infos.size());
  for (const auto& info : infos) files.push_back(info.path());
  return files;
}

arrow::Result<std::shared_ptr<arrow::Schema>> UnifyDataSchemas(
    const std::vector<std::shared_ptr<arrow::Schema>>& schemas) {
  std::set<std::string> encoded, plain;
  for (const auto& schema : schemas) {
    for (const auto& field : schema->fields()) {
      (field->type()->id() == arrow::Type::DICTIONARY ? encoded : plain).insert(field->name());
    }
  }
  std::vector<std::shared_ptr<arrow::Schema>> decoded;
  for (const auto& schema : schemas) {
    arrow::FieldVector fields;
    for (const auto& field : schema->fields()) {
      const bool mixed = encoded.count(field->name()) && plain.count(field->name());
      fields.push_back(
          !mixed || field->type()->id() != arrow::Type::DICTIONARY
              ? field
              : field->WithType(
                    static_cast<const arrow::DictionaryType&>(*field->type()).value_type()));
    }
    decoded.push_back(arrow::schema(std::move(fields), schema->metadata()));
  }
  return arrow::UnifySchemas(decoded, arrow::Field::MergeOptions::Permissive());
}

std::shared_ptr<arrow::dataset::PartitioningFactory> HivePartitioningFactory() {
  arrow::dataset::HivePartitioningFactoryOptions options;
  options.null_fallback = arrow::dataset::kDefaultHiveNullFallback;
  return arrow::dataset::HivePartitioning::MakeFactory(options);
}

arrow::Status CheckNoLinkOutside(arrow::fs::FileSystem& fs, const std::string& dir,
                                 HiddenFiles hidden) {
  if (!IsLocalDisk(fs)) return arrow::Status::OK();
  std::error_code error;
  const std::filesystem::path root = std::filesystem::weakly_canonical(dir, error);
  if (error) return arrow::Status::IOError("cannot resolve '", dir, "': ", error.message());
  ARROW_ASSIGN_OR_RAISE(auto infos, ListBelow(fs, dir));
  for (const auto& info : infos) {
    if (hidden == HiddenFiles::kSkip && IsHidden(RelativePath(dir, info.path()))) continue;
    ARROW_RETURN_NOT_OK(CheckLinkInside(root, info.path()));
  }
  return arrow::Status::OK();
}

bool IsDirectoryMarker(const arrow::fs::FileInfo& info) {
  const std::string& path = info.path();
  return path.ends_with('/') || path.ends_with(kHadoopFolderSuffix);
}

bool IsHidden(const std::string& relative) {
  return relative.starts_with("_") || relative.starts_with(".") ||
         relative.find("/_") != std::string::npos || relative.find("/.") != std::string::npos;
}

}  // namespace fsspeckit::io
