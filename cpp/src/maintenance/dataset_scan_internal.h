// fsspeckit: what a maintenance plan starts from: the dataset's data files, their
// footers and schemas, and a snapshot of the folder.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "fsspeckit/io/location.h"
#include "fsspeckit/maintenance/plan.h"

namespace fsspeckit::maintenance {

struct ScannedDataset {
  std::vector<PlannedFile> files;                        ///< in path order
  std::vector<std::shared_ptr<arrow::Schema>> schemas;   ///< per file, as stored
  std::vector<SnapshotEntry> snapshot;
  /// The considered files' schemas unified (merge::UnifyFileSchemas), and whether they
  /// differed at all.
  std::shared_ptr<arrow::Schema> schema;
  bool schema_promoted = false;
};

/// "region=eu/" and "/region=eu" as "region=eu"; Invalid for an empty entry.
arrow::Result<std::vector<std::string>> NormalizePartitionFilter(std::vector<std::string> filter);

/// Whether the file at `relative_path` lies in one of the `filter`'s folders (whole
/// folder names: "region=eu" does not take "region=eu-west/..."). An empty filter takes all.
bool InPartitionFilter(const std::string& relative_path, const std::vector<std::string>& filter);

/// The data files below `location` (the project's one rule, io::ListDataFiles: names
/// starting with `_` or `.` are not data) inside `filter`, with their footers. A path
/// error when the folder does not exist or holds no data file (in the filter); Invalid
/// naming the file when one is not Parquet, and naming two files when schemas cannot be
/// reconciled. Footers are read a few at a time (many on object stores).
arrow::Result<ScannedDataset> ScanDataset(const io::Location& location,
                                          const std::vector<std::string>& filter);

/// The union of `schemas` (merge::UnifyFileSchemas) of the files `indices` of `scanned`.
arrow::Result<std::shared_ptr<arrow::Schema>> GroupSchema(const ScannedDataset& scanned,
                                                          const std::vector<int>& indices);

}  // namespace fsspeckit::maintenance
