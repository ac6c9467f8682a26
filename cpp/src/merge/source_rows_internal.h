// fsspeckit: the merge's source, kept as it arrived, and rows gathered from it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/table.h>

namespace fsspeckit::merge {

/// The source table in the batches it arrived in. It is never combined into one
/// contiguous copy: a Python caller's table stays alive during the merge, so a copy
/// would hold the source twice (a source of half the budget could not be merged).
class SourceRows {
 public:
  static arrow::Result<SourceRows> Make(std::shared_ptr<arrow::Table> table);

  const arrow::Table& table() const { return *table_; }
  int64_t num_rows() const { return table_->num_rows(); }
  /// The first row after the batch that holds `row` (0 <= row < num_rows()).
  int64_t BatchEndRow(int64_t row) const {
    return *std::upper_bound(first_rows_.begin(), first_rows_.end(), row);
  }

  /// The rows at `rows` (row numbers in the whole table; any order, repeats allowed), in
  /// that order, as one batch: gathered batch by batch, then put in order, allocated
  /// from `pool`.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Gather(
      const std::vector<int64_t>& rows,
      arrow::MemoryPool* pool = arrow::default_memory_pool()) const;

 private:
  std::shared_ptr<arrow::Table> table_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches_;  // zero-copy views of table_
  std::vector<int64_t> first_rows_;                           // per batch, then the total
};

}  // namespace fsspeckit::merge
