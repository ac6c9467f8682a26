// fsspeckit: exact, hash-based matching of merge keys (single or composite, any type).
#include "merge/key_index_internal.h"

#include <algorithm>
#include <limits>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>

namespace fsspeckit::merge {

namespace cp = arrow::compute;

std::shared_ptr<arrow::DataType> CanonicalKeyType(const std::shared_ptr<arrow::DataType>& type) {
  if (type->id() == arrow::Type::DICTIONARY) {
    return CanonicalKeyType(static_cast<const arrow::DictionaryType&>(*type).value_type());
  }
  if (arrow::is_integer(type->id())) return arrow::int64();
  if (arrow::is_floating(type->id())) return arrow::float64();
  switch (type->id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::BINARY_VIEW:
      return arrow::binary();
    default:
      return type;
  }
}

arrow::Result<std::shared_ptr<arrow::Array>> CanonicalKeys(
    const std::shared_ptr<arrow::Array>& keys, const std::shared_ptr<arrow::DataType>& canonical) {
  arrow::Datum values = keys;
  if (!keys->type()->Equals(*canonical)) {
    ARROW_ASSIGN_OR_RAISE(values, cp::Cast(keys, canonical));
  }
  if (canonical->id() == arrow::Type::DOUBLE) {
    // Equal keys must hash equally: one NaN bit pattern, and -0.0 + 0.0 == +0.0.
    ARROW_ASSIGN_OR_RAISE(arrow::Datum plus_zero, cp::Add(values, arrow::Datum(0.0)));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum is_nan, cp::CallFunction("is_nan", {values}));
    ARROW_ASSIGN_OR_RAISE(values, cp::IfElse(is_nan,
                                             arrow::Datum(std::numeric_limits<double>::quiet_NaN()),
                                             plus_zero));
  }
  return values.make_array();
}

arrow::Result<std::unique_ptr<KeyIndex>> KeyIndex::Make(const arrow::RecordBatch& source,
                                                        std::vector<std::string> key_columns,
                                                        arrow::MemoryPool* pool) {
  return Make(*arrow::Table::Make(source.schema(), source.columns(), source.num_rows()),
              std::move(key_columns), pool);
}

arrow::Result<std::unique_ptr<KeyIndex>> KeyIndex::Make(const arrow::Table& source,
                                                        std::vector<std::string> key_columns,
                                                        arrow::MemoryPool* pool) {
  // Float canonicalisation needs compute kernels registered (idempotent, cheap).
  ARROW_RETURN_NOT_OK(cp::Initialize());
  std::unique_ptr<KeyIndex> index(new KeyIndex());
  index->context_ = std::make_unique<cp::ExecContext>(pool);
  std::vector<arrow::TypeHolder> types;
  for (const std::string& name : key_columns) {
    std::shared_ptr<arrow::ChunkedArray> column = source.GetColumnByName(name);
    if (!column) return arrow::Status::Invalid("key column '", name, "' is not in the source");
    auto canonical = CanonicalKeyType(column->type());
    types.emplace_back(canonical);
    index->canonical_types_.push_back(canonical);
  }
  index->key_columns_ = std::move(key_columns);
  ARROW_ASSIGN_OR_RAISE(index->grouper_, cp::Grouper::Make(types, index->context_.get()));
  // Batch by batch, as the source arrived: ids continue across batches.
  arrow::TableBatchReader batches(source);
  int64_t first_row = 0;
  std::shared_ptr<arrow::RecordBatch> batch;
  while (true) {
    ARROW_RETURN_NOT_OK(batches.ReadNext(&batch));
    if (!batch) break;
    std::vector<arrow::Datum> keys;
    for (size_t i = 0; i < index->key_columns_.size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto canonical_keys,
                            CanonicalKeys(batch->GetColumnByName(index->key_columns_[i]),
                                          index->canonical_types_[i]));
      keys.emplace_back(std::move(canonical_keys));
    }
    cp::ExecBatch exec_batch(std::move(keys), batch->num_rows());
    ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, index->grouper_->Consume(cp::ExecSpan(exec_batch)));
    auto group_ids = std::static_pointer_cast<arrow::UInt32Array>(ids.make_array());
    index->winning_rows_.resize(index->grouper_->num_groups());
    for (int64_t row = 0; row < group_ids->length(); ++row) {
      index->winning_rows_[group_ids->Value(row)] = first_row + row;  // later rows overwrite: last wins
    }
    first_row += batch->num_rows();
  }
  return index;
}

arrow::Status KeyIndex::CheckComparable(const arrow::Schema& target,
                                        const std::string& target_name) const {
  for (size_t i = 0; i < key_columns_.size(); ++i) {
    auto field = target.GetFieldByName(key_columns_[i]);
    if (!field) {
      return arrow::Status::KeyError("key column '", key_columns_[i], "' is missing from '",
                                     target_name, "'");
    }
    if (!CanonicalKeyType(field->type())->Equals(*canonical_types_[i])) {
      return arrow::Status::TypeError(
          "key column '", key_columns_[i], "' cannot be compared: the source has ",
          canonical_types_[i]->ToString(), " keys but '", target_name, "' has ",
          field->type()->ToString(), "; cast the source column to the dataset's type");
    }
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::UInt32Array>> KeyIndex::Lookup(const arrow::RecordBatch& batch) {
  std::vector<arrow::Datum> keys;
  for (size_t i = 0; i < key_columns_.size(); ++i) {
    auto column = batch.GetColumnByName(key_columns_[i]);
    if (!column) return arrow::Status::KeyError("key column '", key_columns_[i], "' is missing");
    ARROW_ASSIGN_OR_RAISE(auto canonical, CanonicalKeys(column, canonical_types_[i]));
    keys.emplace_back(std::move(canonical));
  }
  cp::ExecBatch exec_batch(std::move(keys), batch.num_rows());
  std::lock_guard<std::mutex> lock(mutex_);
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Lookup(cp::ExecSpan(exec_batch)));
  return std::static_pointer_cast<arrow::UInt32Array>(ids.make_array());
}

}  // namespace fsspeckit::merge
