// fsspeckit: upsert / update of Arrow data held in memory (merge_upsert_pyarrow and
// merge_update_pyarrow of the original), one batch of the existing data at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

namespace fsspeckit::merge {

class KeyIndex;
class SourceRows;

/// The result is the existing rows whose key the source does not have, in their order,
/// followed by source rows: all of them ("upsert") or those whose key the existing data
/// has ("update"). Keys match null-safely (null equals null, NaN equals NaN, composite
/// keys component by component) on the C++ key index; of several source rows with one
/// key the last wins. The source is conformed to the existing schema first: columns it
/// lacks become nulls, columns the existing data lacks are dropped, types are cast. View
/// types (polars' string_view) come out as their plain equivalents.
///
/// Use: Filter() every batch of the existing data, in order, then Tail() once.
class TableMerge {
 public:
  /// Invalid for another strategy or a key column missing from the source (or the
  /// existing schema); TypeError naming the column when the source cannot be cast.
  static arrow::Result<std::unique_ptr<TableMerge>> Make(
      std::shared_ptr<arrow::RecordBatchReader> source,
      std::shared_ptr<arrow::Schema> existing_schema, std::vector<std::string> key_columns,
      const std::string& strategy);
  ~TableMerge();

  /// The schema of every batch returned (the existing schema without view types).
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

  /// The rows of `existing` to keep; notes which source keys it holds (for "update").
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Filter(
      std::shared_ptr<arrow::RecordBatch> existing);

  /// The source rows that follow the existing ones, in source order.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Tail() const;

 private:
  TableMerge() = default;
  std::shared_ptr<arrow::Schema> schema_;
  std::unique_ptr<SourceRows> source_;
  std::unique_ptr<KeyIndex> keys_;
  std::vector<bool> key_met_;  // per key id: seen in the existing data
  bool update_ = false;
};

}  // namespace fsspeckit::merge
