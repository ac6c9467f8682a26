// fsspeckit: the data files of a dataset folder, one rule for reads, scans and writes.
#pragma once

#include <string>
#include <vector>

#include <arrow/dataset/partition.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>
#include <arrow/type.h>

namespace fsspeckit::io {

enum class HiddenFiles { kSkip, kInclude };

/// Whether a path relative to the dataset folder passes through a hidden name: a segment
/// starting with `_` or `.` (pyarrow's selector_ignore_prefixes, applied to every segment).
bool IsHidden(const std::string& relative);

/// Hadoop's (and EMR's) marker of an empty folder `<folder>_$folder$`, a zero-byte key.
inline constexpr const char* kHadoopFolderSuffix = "_$folder$";

/// Whether a listed file is an object store's directory marker, never data: a key
/// ending in "/" (the S3 console, Arrow's S3FileSystem.create_dir, Spark and Hadoop
/// write them; Arrow lists them as folders, s3fs as zero-byte files named "dir/") or a
/// `*_$folder$` key.
bool IsDirectoryMarker(const arrow::fs::FileInfo& info);

/// The data files below `dir`, sorted; none when `dir` does not exist. The rule is
/// pyarrow's dataset discovery: every file, whatever its extension ("part-00000" is
/// data), except under a name starting with `_` or `.` (staging folders, the journal
/// and lock, `_SUCCESS`, `.crc` files), staged files (`*.staged`) and directory markers
/// (IsDirectoryMarker), on every filesystem. kInclude adds the hidden `.parquet` files
/// (an overwrite removes leftovers of other tools too).
/// Symbolic links are followed, as pyarrow's reader does. While a commit's journal is
/// there, the files of the old or of the new dataset, never a mix (the journal says
/// which; see dataset_files.cc: KeepOneState).
arrow::Result<std::vector<std::string>> ListDataFiles(arrow::fs::FileSystem& fs,
                                                      const std::string& dir,
                                                      HiddenFiles hidden = HiddenFiles::kSkip);

/// The same files with what the listing says of them (sizes): opened by their FileInfo,
/// an object store needs no HEAD request to learn a file's size.
arrow::Result<std::vector<arrow::fs::FileInfo>> ListDataFileInfos(
    arrow::fs::FileSystem& fs, const std::string& dir, HiddenFiles hidden = HiddenFiles::kSkip);
/// What a user's path names: one file, or a folder and its data files (ListDataFileInfos),
/// each with what the listing says of it (sizes: opened by its FileInfo, a file needs no
/// HEAD). A path error "Dataset path does not exist: <path>" when nothing is there. On an
/// object store the listing comes first (a missing folder lists empty), and the path's
/// own GetFileInfo (a HEAD and a LIST) is asked only when it is empty: a file, a missing
/// path, or a folder with no data.
struct DatasetPath {
  bool is_file = false;
  std::vector<arrow::fs::FileInfo> files;
};
arrow::Result<DatasetPath> ListDatasetPath(arrow::fs::FileSystem& fs, const std::string& path);
/// The data files among `listed` (a recursive listing of `dir`), sorted, by the rule of
/// ListDataFiles; without its journal check, for a caller that holds the dataset's lock
/// and has completed any commit it found (a merge's plan: one listing serves it all).
std::vector<arrow::fs::FileInfo> DataFilesIn(const std::string& dir,
                                             std::vector<arrow::fs::FileInfo> listed,
                                             HiddenFiles hidden = HiddenFiles::kSkip);

/// Writers call this first: Invalid, naming the link, when an entry below `dir` (a
/// visible one; with kInclude any) is a symbolic link resolving outside `dir`, so a
/// merge or write never changes a file outside the dataset root. Reads follow such
/// links; writes refuse them. Only local folders have links: elsewhere this is OK.
arrow::Status CheckNoLinkOutside(arrow::fs::FileSystem& fs, const std::string& dir,
                                 HiddenFiles hidden = HiddenFiles::kSkip);

/// The files' schemas as one dataset schema, for reads, scans and merges alike: Arrow's
/// permissive unification (a column in the type all its files widen to: int32 and int64
/// give int64), except that a column dictionary-encoded in some files and plain in
/// others has the values' type in all (Arrow merges dictionaries only with
/// dictionaries; the encoding is how a file stores a column, not what it holds).
arrow::Result<std::shared_ptr<arrow::Schema>> UnifyDataSchemas(
    const std::vector<std::shared_ptr<arrow::Schema>>& schemas);

/// Hive partitioning as pyarrow reads (and writes) it: `key=/` is the empty string and
/// `key=__HIVE_DEFAULT_PARTITION__` null. (Arrow C++'s factory defaults read `key=/` as
/// null and the default-partition name as text.)
std::shared_ptr<arrow::dataset::PartitioningFactory> HivePartitioningFactory();

}  // namespace fsspeckit::io
