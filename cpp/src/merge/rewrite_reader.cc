// fsspeckit: a target file as a rewrite reads it: row group by row group, with the rows
// whose key the source replaces already replaced (row order kept).
#include "merge/rewrite_reader_internal.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <arrow/array/array_primitive.h>
#include <parquet/metadata.h>

#include "io/parquet_footer_internal.h"
#include "io/view_types_internal.h"
#include "merge/dataset_schema_internal.h"
#include "merge/row_replacement_internal.h"

namespace fsspeckit::merge {
namespace {

// One target file, row group by row group (in reads of the reader's batch size), with
// the rows whose key the source has replaced in place by the source's row. The ladder
// runs before every row group.
class RewriteReader : public arrow::RecordBatchReader {
 public:
  // `planned`: the key columns the plan read from this file, by row group (may be
  // nullptr); the row groups found there are read without their key columns.
  RewriteReader(std::unique_ptr<parquet::arrow::FileReader> reader, const TargetFile& file,
                KeyIndex& keys, const SourceRows& source, memory::DegradationLadder& ladder,
                std::function<arrow::Status(int64_t)> advance, arrow::MemoryPool* pool,
                int64_t& matched_rows, std::map<int, PlannedKeys>* planned,
                std::set<int> skipped, LoadReplacingRows load_replacing)
      : reader_(std::move(reader)),
        file_(file),
        keys_(&keys),
        source_(&source),
        load_replacing_(std::move(load_replacing)),
        ladder_(ladder),
        advance_(std::move(advance)),
        pool_(pool),
        matched_rows_(matched_rows),
        matched_(file.matched_row_groups.begin(), file.matched_row_groups.end()),
        skipped_(std::move(skipped)),
        planned_(planned) {}

  // Which leaves to read where the key columns are planned, and where those go back.
  arrow::Status Init() {
    if (!planned_ || planned_->empty()) return arrow::Status::OK();
    ARROW_RETURN_NOT_OK(reader_->GetSchema(&read_schema_));
    const parquet::SchemaDescriptor& leaves = *file_.metadata->schema();
    std::vector<bool> key_leaf(leaves.num_columns(), false);
    const std::vector<std::string>& names = keys_->key_columns();
    for (size_t k = 0; k < names.size(); ++k) {
      const int leaf = leaves.ColumnIndex(names[k]), field = read_schema_->GetFieldIndex(names[k]);
      if (leaf < 0 || field < 0) {  // not plain top-level: read all
        planned_ = nullptr;
        return arrow::Status::OK();
      }
      key_leaf[leaf] = true;
      key_slots_.emplace_back(field, k);
    }
    std::sort(key_slots_.begin(), key_slots_.end());  // put back in field order
    for (int leaf = 0; leaf < leaves.num_columns(); ++leaf) {
      if (!key_leaf[leaf]) other_leaves_.push_back(leaf);
    }
    if (other_leaves_.empty()) planned_ = nullptr;  // keys only: nothing to save
    return arrow::Status::OK();
  }

  std::shared_ptr<arrow::Schema> schema() const override { return file_.schema; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    std::shared_ptr<arrow::RecordBatch> batch;
    while (!batch) {
      if (!row_group_) {
        while (skipped_.count(next_)) ++next_;  // copied by the caller, never read
        if (next_ >= file_.metadata->num_row_groups()) return arrow::Status::OK();
        ARROW_RETURN_NOT_OK(ladder_.Step());
        ARROW_RETURN_NOT_OK(StartRowGroup(next_++));
      }
      ARROW_RETURN_NOT_OK(io::ParquetReadError(row_group_->ReadNext(&batch), file_.path));
      if (!batch) row_group_.reset();  // this row group is done: on to the next
    }
    std::shared_ptr<arrow::UInt32Array> ids;  // the planned ids of this batch's keys
    if (keys_here_) {
      ARROW_ASSIGN_OR_RAISE(batch, WithPlannedKeys(std::move(batch), ids));
    }
    ARROW_ASSIGN_OR_RAISE(batch, io::WithoutViewTypes(batch));  // file.schema has none
    if (!batch->schema()->Equals(*file_.schema, /*check_metadata=*/false)) {
      ARROW_ASSIGN_OR_RAISE(batch, ConformTo(*batch, *file_.schema, "'" + file_.path + "'", pool_));
    }
    if (matched_.count(rg_)) {
      ARROW_ASSIGN_OR_RAISE(batch, Replace(*batch, std::move(ids)));
    }
    ARROW_RETURN_NOT_OK(advance_(batch->num_rows()));
    *out = std::move(batch);
    return arrow::Status::OK();
  }

 private:
  arrow::Status StartRowGroup(int rg) {
    rg_ = rg;
    keys_here_.reset();
    if (load_replacing_ && matched_.count(rg)) {
      loaded_.reset();  // the previous row group's, before this one's are read
      ARROW_ASSIGN_OR_RAISE(loaded_, load_replacing_(rg));
      keys_ = loaded_->keys.get();
      source_ = &loaded_->rows;
    }
    if (planned_) {
      if (auto planned = planned_->find(rg); planned != planned_->end()) {
        keys_here_ = std::move(planned->second);  // freed once this row group is written
        planned_->erase(planned);
        return io::ParquetReadError(reader_->GetRecordBatchReader({rg}, other_leaves_).Value(&row_group_), file_.path);
      }
    }
    return io::ParquetReadError(reader_->GetRecordBatchReader({rg}).Value(&row_group_), file_.path);
  }

  // `batch` (read without the key columns) with the planned ones put back in place; `ids`
  // set to the planned ids of its rows. Planned keys are used only where a row group is
  // read whole (Rewrite), so the batch is the row group.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> WithPlannedKeys(
      std::shared_ptr<arrow::RecordBatch> batch, std::shared_ptr<arrow::UInt32Array>& ids) {
    if (batch->num_rows() != keys_here_->ids->length()) {
      return arrow::Status::Invalid("row group ", rg_, " of '", file_.path, "' read ",
                                    batch->num_rows(), " rows where the plan read ",
                                    keys_here_->ids->length());
    }
    for (const auto& [field, k] : key_slots_) {
      ARROW_ASSIGN_OR_RAISE(batch, batch->AddColumn(field, read_schema_->field(field),
                                                    keys_here_->columns[k]));
    }
    ids = std::move(keys_here_->ids);
    keys_here_.reset();
    return batch;
  }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Replace(const arrow::RecordBatch& batch,
                                                             std::shared_ptr<arrow::UInt32Array> ids) {
    if (!ids) {
      ARROW_ASSIGN_OR_RAISE(ids, keys_->Lookup(batch));
    }
    std::vector<int64_t> positions, source_rows;
    for (int64_t i = 0; i < batch.num_rows(); ++i) {
      if (!ids->IsValid(i)) continue;
      positions.push_back(i);
      source_rows.push_back(keys_->winning_rows()[ids->Value(i)]);
    }
    matched_rows_ += static_cast<int64_t>(positions.size());
    // Only the replacing rows are cast to the file's types, not the whole source.
    ARROW_ASSIGN_OR_RAISE(auto gathered, source_->Gather(source_rows, pool_));
    ARROW_ASSIGN_OR_RAISE(auto replacements,
                          ConformTo(*gathered, *file_.schema, "'" + file_.path + "'", pool_));
    ARROW_ASSIGN_OR_RAISE(auto replacement, RowReplacement::Make(batch.num_rows(), std::move(positions)));
    std::vector<std::shared_ptr<arrow::Array>> columns;
    for (int c = 0; c < batch.num_columns(); ++c) {
      ARROW_ASSIGN_OR_RAISE(columns.emplace_back(),
                            replacement.Apply(batch.column(c), replacements->column(c), pool_));
    }
    return arrow::RecordBatch::Make(batch.schema(), batch.num_rows(), std::move(columns));
  }

  std::unique_ptr<parquet::arrow::FileReader> reader_;
  const TargetFile& file_;
  KeyIndex* keys_;            // the replacing rows' index: the task's, or loaded_'s
  const SourceRows* source_;
  LoadReplacingRows load_replacing_;
  std::unique_ptr<ReplacingRows> loaded_;  // the current row group's, when loaded
  memory::DegradationLadder& ladder_;
  std::function<arrow::Status(int64_t)> advance_;
  arrow::MemoryPool* pool_;
  int64_t& matched_rows_;
  std::set<int> matched_;
  std::set<int> skipped_;
  int next_ = 0;
  int rg_ = -1;  // the row group being read, by row_group_
  std::unique_ptr<arrow::RecordBatchReader> row_group_;
  std::map<int, PlannedKeys>* planned_;
  std::shared_ptr<arrow::Schema> read_schema_;  // the file's, as the reader reads it
  std::vector<std::pair<int, size_t>> key_slots_;  // (field in read_schema_, key), by field
  std::vector<int> other_leaves_;               // every leaf but the keys'
  std::optional<PlannedKeys> keys_here_;        // rg_'s, when planned, until read
};

}  // namespace

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> MakeRewriteReader(
    std::unique_ptr<parquet::arrow::FileReader> reader, const TargetFile& file, KeyIndex& keys,
    const SourceRows& source, memory::DegradationLadder& ladder,
    std::function<arrow::Status(int64_t)> advance, arrow::MemoryPool* pool, int64_t& matched_rows,
    std::map<int, PlannedKeys>* planned, std::set<int> skipped, LoadReplacingRows load_replacing) {
  auto rewrite = std::make_shared<RewriteReader>(std::move(reader), file, keys, source, ladder,
                                                 std::move(advance), pool, matched_rows, planned,
                                                 std::move(skipped), std::move(load_replacing));
  ARROW_RETURN_NOT_OK(rewrite->Init());
  return rewrite;
}

}  // namespace fsspeckit::merge
