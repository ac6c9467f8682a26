// fsspeckit: upsert / update of Arrow data held in memory, one existing batch at a time.
#include "fsspeckit/merge/table_merge.h"

#include <algorithm>
#include <numeric>

#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/initialize.h>

#include "io/view_types_internal.h"
#include "fsspeckit/io/write_dataset.h"
#include "io/write_files_internal.h"
#include "merge/key_index_internal.h"
#include "merge/missing_columns_internal.h"
#include "merge/source_rows_internal.h"

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

// `data` cast to `schema` (columns it lacks as nulls), without the columns `schema` lacks.
arrow::Result<std::shared_ptr<arrow::Table>> Conform(std::shared_ptr<arrow::RecordBatchReader> data,
                                                     const std::shared_ptr<arrow::Schema>& schema) {
  ARROW_ASSIGN_OR_RAISE(data, io::WithoutViewTypes(std::move(data)));
  ARROW_ASSIGN_OR_RAISE(data, io::CastToSchema(std::move(data), schema));
  ARROW_ASSIGN_OR_RAISE(auto table, data->ToTable());
  std::vector<int> schema_columns(schema->num_fields());  // CastToSchema puts them first
  std::iota(schema_columns.begin(), schema_columns.end(), 0);
  ARROW_ASSIGN_OR_RAISE(table, table->SelectColumns(schema_columns));
  return table->ReplaceSchemaMetadata(schema->metadata());
}

}  // namespace

TableMerge::~TableMerge() = default;

arrow::Result<std::unique_ptr<TableMerge>> TableMerge::Make(
    std::shared_ptr<arrow::RecordBatchReader> source,
    std::shared_ptr<arrow::Schema> existing_schema, std::vector<std::string> key_columns,
    const std::string& strategy) {
  if (strategy != "upsert" && strategy != "update") {
    return arrow::Status::Invalid("strategy must be 'upsert' or 'update', got: ", strategy);
  }
  if (key_columns.empty()) return arrow::Status::Invalid("key_columns cannot be empty");
  ARROW_RETURN_NOT_OK(cp::Initialize());
  ARROW_RETURN_NOT_OK(CheckColumns(*source->schema(), key_columns,
                                   "Key column(s) missing from source: "));
  ARROW_RETURN_NOT_OK(CheckColumns(*existing_schema, key_columns,
                                   "Key column(s) missing from existing data: "));
  std::unique_ptr<TableMerge> merge(new TableMerge());
  merge->update_ = strategy == "update";
  merge->schema_ = io::WithoutViewTypes(existing_schema);
  ARROW_ASSIGN_OR_RAISE(auto table, Conform(std::move(source), merge->schema_));
  ARROW_ASSIGN_OR_RAISE(merge->keys_, KeyIndex::Make(*table, key_columns));
  ARROW_ASSIGN_OR_RAISE(auto rows, SourceRows::Make(std::move(table)));
  merge->source_ = std::make_unique<SourceRows>(std::move(rows));
  merge->key_met_.assign(merge->keys_->num_keys(), false);
  return merge;
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> TableMerge::Filter(
    std::shared_ptr<arrow::RecordBatch> existing) {
  if (!existing->schema()->Equals(*schema_, /*check_metadata=*/false)) {
    // A chunk of a dataset whose files differ, or with view types.
    ARROW_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make({existing}));
    ARROW_ASSIGN_OR_RAISE(auto table, Conform(std::move(reader), schema_));
    ARROW_ASSIGN_OR_RAISE(existing, table->CombineChunksToBatch());
  }
  ARROW_ASSIGN_OR_RAISE(auto ids, keys_->Lookup(*existing));
  arrow::BooleanBuilder keep;
  ARROW_RETURN_NOT_OK(keep.Reserve(ids->length()));
  for (int64_t row = 0; row < ids->length(); ++row) {
    const bool matched = ids->IsValid(row);
    if (matched) key_met_[ids->Value(row)] = true;
    keep.UnsafeAppend(!matched);
  }
  ARROW_ASSIGN_OR_RAISE(auto mask, keep.Finish());
  ARROW_ASSIGN_OR_RAISE(arrow::Datum kept, cp::Filter(existing, mask));
  return kept.record_batch()->ReplaceSchema(schema_);
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> TableMerge::Tail() const {
  std::vector<int64_t> rows;
  for (int64_t id = 0; id < keys_->num_keys(); ++id) {
    if (!update_ || key_met_[id]) rows.push_back(keys_->winning_rows()[id]);
  }
  std::sort(rows.begin(), rows.end());  // the source's order
  ARROW_ASSIGN_OR_RAISE(auto tail, source_->Gather(rows));
  return tail->ReplaceSchema(schema_);
}

}  // namespace fsspeckit::merge
