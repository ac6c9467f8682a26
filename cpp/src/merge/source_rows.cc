// fsspeckit: the merge's source, kept as it arrived, and rows gathered from it.
#include "merge/source_rows_internal.h"

#include <algorithm>

#include <arrow/array/builder_primitive.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/api_vector.h>
#include <arrow/datum.h>

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

arrow::Result<std::shared_ptr<arrow::RecordBatch>> Take(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                        const std::vector<int64_t>& rows,
                                                        arrow::MemoryPool* pool) {
  arrow::Int64Builder indices(pool);
  ARROW_RETURN_NOT_OK(indices.AppendValues(rows));
  ARROW_ASSIGN_OR_RAISE(auto index_array, indices.Finish());
  cp::ExecContext context(pool);
  ARROW_ASSIGN_OR_RAISE(arrow::Datum taken,
                        cp::Take(batch, index_array, cp::TakeOptions::Defaults(), &context));
  return taken.record_batch();
}

}  // namespace

arrow::Result<SourceRows> SourceRows::Make(std::shared_ptr<arrow::Table> table) {
  SourceRows source;
  // Batches aligned across columns (a table's columns may be chunked differently);
  // slices, no copies.
  arrow::TableBatchReader reader(*table);
  ARROW_ASSIGN_OR_RAISE(source.batches_, reader.ToRecordBatches());
  int64_t row = 0;
  for (const auto& batch : source.batches_) {
    source.first_rows_.push_back(row);
    row += batch->num_rows();
  }
  source.first_rows_.push_back(row);
  source.table_ = std::move(table);
  return source;
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> SourceRows::Gather(
    const std::vector<int64_t>& rows, arrow::MemoryPool* pool) const {
  if (rows.empty() || batches_.empty()) return arrow::RecordBatch::MakeEmpty(table_->schema());
  if (batches_.size() == 1) return Take(batches_[0], rows, pool);
  // Each row's batch, and the rows wanted from each batch in the order asked.
  std::vector<std::vector<int64_t>> local(batches_.size());
  std::vector<size_t> batch_of(rows.size());
  bool ascending = true;
  for (size_t k = 0; k < rows.size(); ++k) {
    if (rows[k] < 0 || rows[k] >= num_rows()) {
      return arrow::Status::IndexError("source row ", rows[k], " out of ", num_rows());
    }
    const size_t b = std::upper_bound(first_rows_.begin(), first_rows_.end(), rows[k]) -
                     first_rows_.begin() - 1;
    local[b].push_back(rows[k] - first_rows_[b]);
    batch_of[k] = b;
    ascending = ascending && (k == 0 || rows[k] >= rows[k - 1]);
  }
  std::vector<std::shared_ptr<arrow::RecordBatch>> pieces;
  std::vector<int64_t> piece_start(batches_.size(), 0);
  int64_t gathered = 0;
  for (size_t b = 0; b < batches_.size(); ++b) {
    if (local[b].empty()) continue;
    ARROW_ASSIGN_OR_RAISE(pieces.emplace_back(), Take(batches_[b], local[b], pool));
    piece_start[b] = gathered;
    gathered += static_cast<int64_t>(local[b].size());
  }
  ARROW_ASSIGN_OR_RAISE(auto grouped, arrow::ConcatenateRecordBatches(pieces, pool));
  if (ascending) return grouped;  // grouped by batch is already the order asked
  pieces.clear();  // `grouped` holds them now: two copies, not three, while reordering
  std::vector<int64_t> order(rows.size());
  std::vector<int64_t> next(piece_start);
  for (size_t k = 0; k < rows.size(); ++k) order[k] = next[batch_of[k]]++;
  return Take(grouped, order, pool);
}

}  // namespace fsspeckit::merge
