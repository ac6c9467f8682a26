// fsspeckit: a Parquet file or dataset folder read one row group at a time.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <optional>

#include <arrow/compute/expression.h>
#include <arrow/dataset/dataset.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

#include "fsspeckit/scan/batch_source.h"

namespace fsspeckit::scan {

inline constexpr int64_t kDefaultParquetBatchRows = 64 * 1024;
inline constexpr int kDefaultReadaheadRowGroups = 3;

struct ParquetBatchSourceOptions {
  /// Rows per batch handed out (row groups are decoded whole, then sliced).
  int64_t batch_size_rows = kDefaultParquetBatchRows;
  /// Decode the next row groups in the background while the current one is consumed.
  bool readahead = true;
  /// How many row groups are decoded ahead with read-ahead on. Three keep both cores of
  /// a small machine busy even when one column (strings) dominates decoding; measured in
  /// bench/bench_scan.py (two were about 10% slower than pyarrow's own scan).
  int readahead_row_groups = kDefaultReadaheadRowGroups;
  /// What the row groups decoding ahead may hold at most, in decoded bytes as the
  /// footers count them; a row group that does not fit waits until it is needed.
  int64_t readahead_bytes = std::numeric_limits<int64_t>::max();
};

/// Options for a scan under a pool budget of `max_pool_bytes`: read-ahead holds at most
/// a quarter of it, which leaves room for the chunk being handed out, the one the
/// consumer still holds and the row group being sliced.
ParquetBatchSourceOptions OptionsForBudget(int64_t max_pool_bytes);

/// Options for reading a merge's source under a merge budget of `max_pool_bytes`: as a
/// scan within the source's share, so read-ahead never crowds out the spill.
ParquetBatchSourceOptions OptionsForSourceOf(int64_t max_pool_bytes);

/// Reads a Parquet file, or every Parquet file below a folder (hive partitions such as
/// `day=2025-01-01/` become columns; names starting with `_` or `.` are skipped, so
/// staging folders stay invisible), in order, one row group at a time. Pre-buffering
/// is off: memory holds the row group being consumed plus, with read-ahead, the next
/// `readahead_row_groups`. Columns are decoded in parallel on Arrow's CPU pool. Footers
/// are read once, up front, which also gives total_rows().
class ParquetBatchSource : public BatchSource {
 public:
  /// IOError naming the path when it does not exist or a file is not readable Parquet.
  static arrow::Result<std::unique_ptr<ParquetBatchSource>> Open(
      std::shared_ptr<arrow::fs::FileSystem> filesystem, const std::string& path,
      ParquetBatchSourceOptions options = {});

  /// The files of a Parquet FileSystemDataset (a pyarrow.dataset.Dataset), on its
  /// filesystem, with its schema (which may leave columns out: only those are read)
  /// and partition values. `filter` skips fragments by partition and row groups by
  /// statistics, then keeps the rows it is true for; total_rows() is then -1.
  /// TypeError for any other kind of dataset.
  static arrow::Result<std::unique_ptr<ParquetBatchSource>> Open(
      const std::shared_ptr<arrow::dataset::Dataset>& dataset,
      std::optional<arrow::compute::Expression> filter, ParquetBatchSourceOptions options = {});
  ~ParquetBatchSource() override;

  std::shared_ptr<arrow::Schema> schema() const override;
  int64_t total_rows() const override;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() override;
  void SetReadahead(bool enabled) override;
  void Close() override;

  int64_t num_files() const;

 private:
  struct State;
  explicit ParquetBatchSource(std::unique_ptr<State> state);
  // The work list (row groups in order) and total_rows from the parts.
  static arrow::Result<std::unique_ptr<ParquetBatchSource>> Finish(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace fsspeckit::scan
