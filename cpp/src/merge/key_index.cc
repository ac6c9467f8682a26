// fsspeckit: exact, hash-based matching of merge keys (single or composite, any type).
#include "merge/key_index_internal.h"

#include <algorithm>
#include <limits>
#include <optional>
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

namespace {

// The source's keys as (key, row) pairs when there is a single int64 key column without
// nulls; nullopt otherwise.
arrow::Result<std::optional<std::vector<std::pair<int64_t, int64_t>>>> SortableKeys(
    const arrow::Table& source, const std::vector<std::string>& key_columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  if (types.size() != 1 || types[0]->id() != arrow::Type::INT64) return std::nullopt;
  std::shared_ptr<arrow::ChunkedArray> column = source.GetColumnByName(key_columns[0]);
  if (column->null_count() > 0) return std::nullopt;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  pairs.reserve(column->length());
  int64_t row = 0;
  for (const std::shared_ptr<arrow::Array>& chunk : column->chunks()) {
    ARROW_ASSIGN_OR_RAISE(auto canonical, CanonicalKeys(chunk, types[0]));
    const int64_t* values = static_cast<const arrow::Int64Array&>(*canonical).raw_values();
    for (int64_t i = 0; i < canonical->length(); ++i) pairs.emplace_back(values[i], row++);
  }
  return pairs;
}

}  // namespace

arrow::Result<std::unique_ptr<KeyIndex>> KeyIndex::Make(const arrow::Table& source,
                                                        std::vector<std::string> key_columns,
                                                        arrow::MemoryPool* pool) {
  // Float canonicalisation needs compute kernels registered (idempotent, cheap).
  ARROW_RETURN_NOT_OK(cp::Initialize());
  std::unique_ptr<KeyIndex> index(new KeyIndex());
  index->context_ = std::make_unique<cp::ExecContext>(pool);
  for (const std::string& name : key_columns) {
    std::shared_ptr<arrow::ChunkedArray> column = source.GetColumnByName(name);
    if (!column) return arrow::Status::Invalid("key column '", name, "' is not in the source");
    index->canonical_types_.push_back(CanonicalKeyType(column->type()));
  }
  index->key_columns_ = std::move(key_columns);
  ARROW_ASSIGN_OR_RAISE(auto sortable, SortableKeys(source, index->key_columns_,
                                                    index->canonical_types_));
  if (sortable) {
    ARROW_RETURN_NOT_OK(index->BuildSorted(std::move(*sortable)));
    return index;
  }
  ARROW_RETURN_NOT_OK(index->MakeGrouper());
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

arrow::Status KeyIndex::MakeGrouper() {
  std::vector<arrow::TypeHolder> types(canonical_types_.begin(), canonical_types_.end());
  ARROW_ASSIGN_OR_RAISE(grouper_, cp::Grouper::Make(types, context_.get()));
  return arrow::Status::OK();
}

// Key i of the sorted keys gets id i; sorted by (key, row), the last pair of a key holds
// its winning (last) row.
arrow::Status KeyIndex::BuildSorted(std::vector<std::pair<int64_t, int64_t>> pairs) {
  if (!std::is_sorted(pairs.begin(), pairs.end())) std::sort(pairs.begin(), pairs.end());
  int64_t distinct = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    distinct += (i + 1 == pairs.size() || pairs[i].first != pairs[i + 1].first) ? 1 : 0;
  }
  num_sorted_ = distinct;
  ARROW_ASSIGN_OR_RAISE(sorted_keys_, arrow::AllocateBuffer(num_sorted_ * sizeof(int64_t),
                                                            context_->memory_pool()));
  auto* keys = reinterpret_cast<int64_t*>(sorted_keys_->mutable_data());
  winning_rows_.resize(num_sorted_);
  int64_t id = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i + 1 < pairs.size() && pairs[i].first == pairs[i + 1].first) continue;
    keys[id] = pairs[i].first;
    winning_rows_[id++] = pairs[i].second;
  }
  return arrow::Status::OK();
}

// For lookups the walk cannot answer: the sorted keys in a Grouper, in order, so the
// Grouper's ids are the sorted positions. Called with mutex_ held.
arrow::Status KeyIndex::HashSortedKeys() {
  ARROW_RETURN_NOT_OK(MakeGrouper());
  auto keys = std::make_shared<arrow::Int64Array>(num_sorted_, sorted_keys_);
  cp::ExecBatch batch({arrow::Datum(keys)}, num_sorted_);
  return grouper_->Consume(cp::ExecSpan(batch)).status();
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
  const int64_t* cursor = n == 0 ? source : std::lower_bound(source, source + num_sorted_, values[0]);
  const int64_t* end = source + num_sorted_;
  int64_t found = 0;
  for (int64_t i = 0; i < n; ++i) {
    while (cursor != end && *cursor < values[i]) ++cursor;
    if (cursor != end && *cursor == values[i]) {
      out[i] = static_cast<uint32_t>(cursor - source);
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
  if (!grouper_) ARROW_RETURN_NOT_OK(HashSortedKeys());
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Lookup(cp::ExecSpan(exec_batch)));
  return std::static_pointer_cast<arrow::UInt32Array>(ids.make_array());
}

}  // namespace fsspeckit::merge
