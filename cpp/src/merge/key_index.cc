// fsspeckit: exact, hash-based matching of merge keys (single or composite, any type).
#include "merge/key_index_internal.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <arrow/array/array_primitive.h>
#include <arrow/buffer.h>
#include <arrow/util/bit_util.h>

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
  const bool sortable = index->canonical_types_.size() == 1 &&
                        index->canonical_types_[0]->id() == arrow::Type::INT64;
  std::vector<std::pair<int64_t, uint32_t>> pairs;  // (key, id) of non-null keys
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
    const std::shared_ptr<arrow::Array> first_keys = keys[0].make_array();
    cp::ExecBatch exec_batch(std::move(keys), batch->num_rows());
    ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, index->grouper_->Consume(cp::ExecSpan(exec_batch)));
    auto group_ids = std::static_pointer_cast<arrow::UInt32Array>(ids.make_array());
    index->winning_rows_.resize(index->grouper_->num_groups());
    for (int64_t row = 0; row < group_ids->length(); ++row) {
      index->winning_rows_[group_ids->Value(row)] = first_row + row;  // later rows overwrite: last wins
    }
    if (sortable) {
      const auto& values = static_cast<const arrow::Int64Array&>(*first_keys);
      for (int64_t row = 0; row < values.length(); ++row) {
        if (values.IsValid(row)) pairs.emplace_back(values.Value(row), group_ids->Value(row));
      }
    }
    first_row += batch->num_rows();
  }
  if (sortable) ARROW_RETURN_NOT_OK(index->BuildSorted(std::move(pairs)));
  return index;
}

arrow::Status KeyIndex::BuildSorted(std::vector<std::pair<int64_t, uint32_t>> pairs) {
  if (!std::is_sorted(pairs.begin(), pairs.end())) std::sort(pairs.begin(), pairs.end());
  // Equal keys share one id: keep one pair per key.
  pairs.erase(std::unique(pairs.begin(), pairs.end(),
                          [](const auto& a, const auto& b) { return a.first == b.first; }),
              pairs.end());
  num_sorted_ = static_cast<int64_t>(pairs.size());
  ARROW_ASSIGN_OR_RAISE(sorted_keys_, arrow::AllocateBuffer(num_sorted_ * sizeof(int64_t)));
  ARROW_ASSIGN_OR_RAISE(sorted_ids_, arrow::AllocateBuffer(num_sorted_ * sizeof(uint32_t)));
  auto* keys = reinterpret_cast<int64_t*>(sorted_keys_->mutable_data());
  auto* ids = reinterpret_cast<uint32_t*>(sorted_ids_->mutable_data());
  for (int64_t i = 0; i < num_sorted_; ++i) std::tie(keys[i], ids[i]) = pairs[i];
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::UInt32Array>> KeyIndex::LookupAscending(
    const arrow::Int64Array& keys) const {
  const int64_t n = keys.length();
  const int64_t* values = keys.raw_values();
  for (int64_t i = 1; i < n; ++i) {
    if (values[i] < values[i - 1]) return nullptr;
  }
  ARROW_ASSIGN_OR_RAISE(auto out_ids, arrow::AllocateBuffer(n * sizeof(uint32_t)));
  ARROW_ASSIGN_OR_RAISE(auto validity, arrow::AllocateEmptyBitmap(n));
  auto* out = reinterpret_cast<uint32_t*>(out_ids->mutable_data());
  uint8_t* valid = validity->mutable_data();
  const int64_t* source = reinterpret_cast<const int64_t*>(sorted_keys_->data());
  const uint32_t* ids = reinterpret_cast<const uint32_t*>(sorted_ids_->data());
  const int64_t* cursor = n == 0 ? source : std::lower_bound(source, source + num_sorted_, values[0]);
  const int64_t* end = source + num_sorted_;
  int64_t found = 0;
  for (int64_t i = 0; i < n; ++i) {
    while (cursor != end && *cursor < values[i]) ++cursor;
    if (cursor != end && *cursor == values[i]) {
      out[i] = ids[cursor - source];
      arrow::bit_util::SetBit(valid, i);
      ++found;
    } else {
      out[i] = 0;
    }
  }
  return std::make_shared<arrow::UInt32Array>(n, std::move(out_ids), std::move(validity), n - found);
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
  if (sorted_keys_ && keys[0].null_count() == 0) {
    auto canonical = keys[0].make_array();
    ARROW_ASSIGN_OR_RAISE(auto ids, LookupAscending(static_cast<const arrow::Int64Array&>(*canonical)));
    if (ids) return ids;
  }
  cp::ExecBatch exec_batch(std::move(keys), batch.num_rows());
  std::lock_guard<std::mutex> lock(mutex_);
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Lookup(cp::ExecSpan(exec_batch)));
  return std::static_pointer_cast<arrow::UInt32Array>(ids.make_array());
}

}  // namespace fsspeckit::merge
