// fsspeckit: the target scan of a merge plan: which files and row groups hold source keys,
// from footers, statistics and key columns (no other data read).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <arrow/result.h>
#include <parquet/metadata.h>

#include "merge/key_index_internal.h"

namespace fsspeckit::merge {

/// A matched row group's key columns as the plan read them, and the key ids found there:
/// a rewrite in the same process takes them instead of decoding and matching them again.
struct PlannedKeys {
  arrow::ArrayVector columns;                ///< the key columns, in key order
  std::shared_ptr<arrow::UInt32Array> ids;  ///< per row, its key's id; null: no source key
};

/// A file's footer as the plan parsed it, and the key-value metadata of its Arrow schema.
struct PlannedFooter {
  std::shared_ptr<parquet::FileMetaData> metadata;
  std::shared_ptr<const arrow::KeyValueMetadata> schema_metadata;
};

struct TargetFile {
  std::string path;
  std::shared_ptr<parquet::FileMetaData> metadata;
  std::shared_ptr<arrow::Schema> schema;
  std::map<std::string, std::string> partition_values;  ///< from hive `key=value/` folders (kHiveNull: null)
  int64_t size_bytes = 0;
  std::vector<int> matched_row_groups;                  ///< row groups holding a source key
  int64_t matched_rows = 0;
  std::map<int, PlannedKeys> planned_keys;              ///< by row group, within keep_keys_bytes
  /// By matched row group, the distinct key ids found there (ScanTargets' keys_by_row_group).
  std::map<int, std::vector<uint32_t>> row_group_keys;
  int64_t num_rows() const { return metadata->num_rows(); }
};

/// The first key column's distinct non-null source values, sorted, in the canonical
/// type's C++ form; monostate when statistics cannot prune that type (or NaN keys).
struct SourceRange {
  std::variant<std::monostate, std::vector<int64_t>, std::vector<uint64_t>, std::vector<double>,
               std::vector<std::string>>
      values;
  bool has_null = false;
};

/// Independent of the KeyIndex, so the two are built at once.
arrow::Result<SourceRange> MakeSourceRange(const arrow::Table& source,
                                           const std::string& key_column);

struct TargetScan {
  std::vector<TargetFile> files;     ///< every data file, in path order
  /// The dataset's schema (dataset_schema_internal.h: the files' union, partition folders
  /// excluded; the source's own when there are no files). Rewritten and inserted files
  /// are written in it; the source was checked to fit it.
  std::shared_ptr<arrow::Schema> schema;
  /// The hive partitioning of inserted files: the dataset's (detected from its folders)
  /// when it has files, else the caller's partition_columns.
  std::vector<std::string> partition_by;
  std::vector<uint8_t> key_matched;  ///< per source key id: found in the dataset
  std::vector<std::vector<uint32_t>> file_keys;  ///< per file: the key ids found in it
  int64_t keys_in_several_files = 0;
  int64_t target_rows = 0;
  int64_t candidate_files = 0;       ///< files whose statistics admitted a source key
};

/// Scans `listed`, the data files of `dir` (io/dataset_files_internal.h: DataFilesIn of the
/// plan's one listing; a symbolic link out of `dir` is refused): reads
/// footers, prunes row groups by the first key column's statistics (against every
/// distinct source value, not one overall range), and confirms matches by reading only
/// the key columns of the row groups left. Partition columns are the dataset's hive
/// keys plus the caller's `partition_columns`, each stored either in hive folders or in
/// the files (a caller's column that is neither is refused). With `check_partitions`, a
/// matched row whose stored partition value differs from its source row's fails with
/// Invalid, wherever the value is stored. Ends by checking that the source fits the
/// dataset's schema (CheckSourceFits): nothing has been written when a check fails.
/// Up to `keep_keys_bytes` of the key columns read are kept in TargetFile::planned_keys.
/// `workers` files are scanned at once. With `keys_by_row_group`, each file says which
/// keys each of its row groups holds (TargetFile::row_group_keys).
arrow::Result<TargetScan> ScanTargets(arrow::fs::FileSystem& fs, const std::string& dir,
                                   std::vector<arrow::fs::FileInfo> listed, KeyIndex& keys, const SourceRange& range,
                                   const arrow::Table& source,
                                   const std::vector<std::string>& partition_columns,
                                   bool check_partitions, int64_t keep_keys_bytes = 0,
                                   int workers = 2, bool keys_by_row_group = false);

}  // namespace fsspeckit::merge
