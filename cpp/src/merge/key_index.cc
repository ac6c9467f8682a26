// fsspeckit: exact, hash-based matching of merge keys (single or composite, any type).
#include "merge/key_index_internal.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include <arrow/array/array_primitive.h>
#include <arrow/buffer.h>
#include <arrow/extension_type.h>
#include <arrow/util/bit_util.h>

#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>

namespace fsspeckit::merge {

namespace cp = arrow::compute;

namespace {

// Dictionary encoding and extension types are how values are stored, not what they are.
arrow::Result<std::shared_ptr<arrow::Array>> Decoded(std::shared_ptr<arrow::Array> keys) {
  while (true) {
    const std::shared_ptr<arrow::DataType>& type = keys->type();
    if (type->id() == arrow::Type::DICTIONARY) {
      ARROW_ASSIGN_OR_RAISE(
          arrow::Datum values,
          cp::Cast(keys, static_cast<const arrow::DictionaryType&>(*type).value_type()));
      keys = values.make_array();
    } else if (type->id() == arrow::Type::EXTENSION) {
      keys = static_cast<const arrow::ExtensionArray&>(*keys).storage();
    } else {
      return keys;
    }
  }
}

bool IsKeyType(const arrow::DataType& canonical) {
  switch (canonical.id()) {
    case arrow::Type::INT64:
    case arrow::Type::UINT64:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
    case arrow::Type::BOOL:
    case arrow::Type::DATE64:
    case arrow::Type::TIME64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::DURATION:
    case arrow::Type::DECIMAL32:
    case arrow::Type::DECIMAL64:
    case arrow::Type::DECIMAL128:
    case arrow::Type::DECIMAL256:
      return true;
    default:
      return false;
  }
}

// Canonical key types whose values are compared across types (see CheckComparable).
bool Comparable(const arrow::DataType& a, const arrow::DataType& b) {
  if (a.Equals(b)) return true;
  if (arrow::is_integer(a.id()) && arrow::is_integer(b.id())) return true;
  if (arrow::is_decimal(a.id()) && arrow::is_decimal(b.id())) return true;
  if (a.id() == arrow::Type::DURATION && b.id() == arrow::Type::DURATION) return true;
  if (a.id() == arrow::Type::TIMESTAMP && b.id() == arrow::Type::TIMESTAMP) {
    // An instant and a wall-clock time are not one kind of value (Arrow does not unify them).
    return static_cast<const arrow::TimestampType&>(a).timezone().empty() ==
           static_cast<const arrow::TimestampType&>(b).timezone().empty();
  }
  return false;
}

// `flags` (boolean; null counts as false) as an array, or null when no flag is set.
arrow::Result<std::shared_ptr<arrow::Array>> SetFlags(const arrow::Datum& flags) {
  ARROW_ASSIGN_OR_RAISE(arrow::Datum filled,
                        cp::CallFunction("coalesce", {flags, arrow::Datum(false)}));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum any, cp::Any(filled));
  if (!any.scalar_as<arrow::BooleanScalar>().value) return nullptr;
  return filled.make_array();
}

// Integer keys of another sign: the rows the canonical type cannot hold (a uint64 past
// 2^63 against int64 keys, a negative int against uint64 keys), or null when none.
arrow::Result<std::shared_ptr<arrow::Array>> OutOfRange(const std::shared_ptr<arrow::Array>& keys,
                                                        const arrow::DataType& canonical) {
  if (canonical.id() == arrow::Type::INT64 && keys->type()->id() == arrow::Type::UINT64) {
    auto limit = std::make_shared<arrow::UInt64Scalar>(std::numeric_limits<int64_t>::max());
    ARROW_ASSIGN_OR_RAISE(arrow::Datum above, cp::CallFunction("greater", {keys, limit}));
    return SetFlags(above);
  }
  if (canonical.id() == arrow::Type::UINT64 && arrow::is_signed_integer(keys->type()->id())) {
    ARROW_ASSIGN_OR_RAISE(auto zero, arrow::MakeScalar(keys->type(), 0));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum below, cp::CallFunction("less", {keys, zero}));
    return SetFlags(below);
  }
  return nullptr;
}

// Keys in the canonical type, and the rows whose value that type cannot hold exactly:
// those match no source key (the source's keys all have that type).
struct LookupKeys {
  std::shared_ptr<arrow::Array> values;
  std::shared_ptr<arrow::Array> unmatchable;  // boolean without nulls; null: every row can match
};

arrow::Result<LookupKeys> KeysForLookup(const std::shared_ptr<arrow::Array>& keys,
                                        const std::shared_ptr<arrow::DataType>& canonical) {
  LookupKeys out;
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Array> values, Decoded(keys));
  const std::shared_ptr<arrow::DataType> type = values->type();
  if (!type->Equals(*canonical)) {
    if (arrow::is_integer(type->id()) && arrow::is_integer(canonical->id())) {
      ARROW_ASSIGN_OR_RAISE(out.unmatchable, OutOfRange(values, *canonical));
      if (out.unmatchable) {  // any value that fits, so the cast succeeds: never matched
        ARROW_ASSIGN_OR_RAISE(auto zero, arrow::MakeScalar(type, 0));
        ARROW_ASSIGN_OR_RAISE(arrow::Datum fitting, cp::IfElse(out.unmatchable, zero, values));
        values = fitting.make_array();
      }
      ARROW_ASSIGN_OR_RAISE(arrow::Datum cast, cp::Cast(values, canonical));
      values = cast.make_array();
    } else {
      auto cast = cp::Cast(values, canonical);  // safe: fails where a value is not held exactly
      if (cast.ok()) {
        values = cast->make_array();
      } else if (!cast.status().IsInvalid()) {
        return cast.status();
      } else {
        // Another unit or scale (1500 ms against seconds, 1.235 against two decimals):
        // a value that does not survive the round trip has no equal among the source's.
        ARROW_ASSIGN_OR_RAISE(arrow::Datum unsafe,
                              cp::Cast(values, cp::CastOptions::Unsafe(canonical)));
        ARROW_ASSIGN_OR_RAISE(arrow::Datum back, cp::Cast(unsafe, cp::CastOptions::Unsafe(type)));
        ARROW_ASSIGN_OR_RAISE(arrow::Datum same, cp::CallFunction("equal", {back, values}));
        ARROW_ASSIGN_OR_RAISE(arrow::Datum differs, cp::Invert(same));
        ARROW_ASSIGN_OR_RAISE(out.unmatchable, SetFlags(differs));
        values = unsafe.make_array();
      }
    }
  }
  if (canonical->id() == arrow::Type::DOUBLE) {
    // Equal keys must hash equally: one NaN bit pattern, and -0.0 + 0.0 == +0.0.
    arrow::Datum datum = values;
    ARROW_ASSIGN_OR_RAISE(arrow::Datum plus_zero, cp::Add(datum, arrow::Datum(0.0)));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum is_nan, cp::CallFunction("is_nan", {datum}));
    ARROW_ASSIGN_OR_RAISE(datum, cp::IfElse(is_nan,
                                            arrow::Datum(std::numeric_limits<double>::quiet_NaN()),
                                            plus_zero));
    values = datum.make_array();
  }
  out.values = std::move(values);
  return out;
}

// `ids` with the rows flagged in `rows` made null (no source key).
std::shared_ptr<arrow::UInt32Array> WithoutRows(const arrow::UInt32Array& ids,
                                                const arrow::BooleanArray& rows,
                                                std::shared_ptr<arrow::Buffer> validity) {
  uint8_t* bits = validity->mutable_data();
  int64_t nulls = 0;
  for (int64_t i = 0; i < ids.length(); ++i) {
    const bool valid = ids.IsValid(i) && !rows.Value(i);
    arrow::bit_util::SetBitTo(bits, ids.offset() + i, valid);
    nulls += valid ? 0 : 1;
  }
  return std::make_shared<arrow::UInt32Array>(ids.length(), ids.values(), std::move(validity),
                                              nulls, ids.offset());
}

// Sorted keys are held as int64 in an order-preserving form: uint64 with its top bit
// flipped maps 0..2^64-1 onto INT64_MIN..INT64_MAX.
constexpr uint64_t kTopBit = uint64_t{1} << 63;
inline int64_t Ordered(int64_t value) { return value; }
inline int64_t Ordered(uint64_t value) { return static_cast<int64_t>(value ^ kTopBit); }

}  // namespace

std::shared_ptr<arrow::DataType> CanonicalKeyType(const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::DICTIONARY:
      return CanonicalKeyType(static_cast<const arrow::DictionaryType&>(*type).value_type());
    case arrow::Type::EXTENSION:
      return CanonicalKeyType(static_cast<const arrow::ExtensionType&>(*type).storage_type());
    case arrow::Type::UINT64:
      return arrow::uint64();
    case arrow::Type::HALF_FLOAT:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
      return arrow::float64();
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::BINARY_VIEW:
    case arrow::Type::FIXED_SIZE_BINARY:
      return arrow::binary();
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
      return arrow::date64();  // days become milliseconds exactly
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
      return arrow::time64(arrow::TimeUnit::NANO);  // a day in any unit fits
    default:
      return arrow::is_integer(type->id()) ? arrow::int64() : type;
  }
}

arrow::Status CheckKeyType(const std::string& column, const std::shared_ptr<arrow::DataType>& type) {
  if (IsKeyType(*CanonicalKeyType(type))) return arrow::Status::OK();
  return arrow::Status::TypeError(
      "key column '", column, "' is ", type->ToString(),
      ": a key must be a scalar type (integer, float, decimal, string, binary, date, time, "
      "timestamp, duration or bool), whose values compare one to one; key on such a column "
      "instead, or derive one from this (a hash or a joined string, say)");
}

arrow::Result<std::shared_ptr<arrow::Array>> CanonicalKeys(
    const std::shared_ptr<arrow::Array>& keys, const std::shared_ptr<arrow::DataType>& canonical) {
  ARROW_ASSIGN_OR_RAISE(LookupKeys lookup, KeysForLookup(keys, canonical));
  if (lookup.unmatchable) {  // CanonicalKeyType holds every value of the keys' own type
    return arrow::Status::Invalid("key values of type ", keys->type()->ToString(),
                                  " do not fit ", canonical->ToString());
  }
  return lookup.values;
}

arrow::Result<std::unique_ptr<KeyIndex>> KeyIndex::Make(const arrow::RecordBatch& source,
                                                        std::vector<std::string> key_columns,
                                                        arrow::MemoryPool* pool) {
  return Make(*arrow::Table::Make(source.schema(), source.columns(), source.num_rows()),
              std::move(key_columns), pool);
}

namespace {

// The source's keys as (key in its ordered form, row) pairs when there is a single
// integer key column without nulls; nullopt otherwise.
arrow::Result<std::optional<std::vector<std::pair<int64_t, int64_t>>>> SortableKeys(
    const arrow::Table& source, const std::vector<std::string>& key_columns,
    const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  if (types.size() != 1) return std::nullopt;
  const bool is_unsigned = types[0]->id() == arrow::Type::UINT64;
  if (types[0]->id() != arrow::Type::INT64 && !is_unsigned) return std::nullopt;
  std::shared_ptr<arrow::ChunkedArray> column = source.GetColumnByName(key_columns[0]);
  if (column->null_count() > 0) return std::nullopt;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  pairs.reserve(column->length());
  int64_t row = 0;
  for (const std::shared_ptr<arrow::Array>& chunk : column->chunks()) {
    ARROW_ASSIGN_OR_RAISE(auto canonical, CanonicalKeys(chunk, types[0]));
    if (is_unsigned) {
      const uint64_t* values = canonical->data()->GetValues<uint64_t>(1);
      for (int64_t i = 0; i < canonical->length(); ++i) pairs.emplace_back(Ordered(values[i]), row++);
    } else {
      const int64_t* values = canonical->data()->GetValues<int64_t>(1);
      for (int64_t i = 0; i < canonical->length(); ++i) pairs.emplace_back(values[i], row++);
    }
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
    ARROW_RETURN_NOT_OK(CheckKeyType(name, column->type()));
    index->key_types_.push_back(column->type());
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
  std::shared_ptr<arrow::Array> keys;
  if (canonical_types_[0]->id() == arrow::Type::UINT64) {  // back from the ordered form
    ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> unsigned_keys,
                          arrow::AllocateBuffer(num_sorted_ * sizeof(uint64_t),
                                                context_->memory_pool()));
    const auto* ordered = reinterpret_cast<const int64_t*>(sorted_keys_->data());
    auto* out = reinterpret_cast<uint64_t*>(unsigned_keys->mutable_data());
    for (int64_t i = 0; i < num_sorted_; ++i) out[i] = static_cast<uint64_t>(ordered[i]) ^ kTopBit;
    keys = std::make_shared<arrow::UInt64Array>(num_sorted_, std::move(unsigned_keys));
  } else {
    keys = std::make_shared<arrow::Int64Array>(num_sorted_, sorted_keys_);
  }
  cp::ExecBatch batch({arrow::Datum(keys)}, num_sorted_);
  ARROW_ASSIGN_OR_RAISE(arrow::Datum consumed, grouper_->Consume(cp::ExecSpan(batch)));
  // The Grouper numbers new keys in its own order (by hash within a minibatch), not in
  // the order given: its id -> the key's sorted position, unless they already agree.
  const auto& ids = static_cast<const arrow::UInt32Array&>(*consumed.make_array());
  bool in_order = true;
  for (int64_t i = 0; i < num_sorted_ && in_order; ++i) in_order = ids.Value(i) == i;
  if (in_order) return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(sorted_positions_, arrow::AllocateBuffer(num_sorted_ * sizeof(uint32_t),
                                                                 context_->memory_pool()));
  auto* positions = reinterpret_cast<uint32_t*>(sorted_positions_->mutable_data());
  for (int64_t i = 0; i < num_sorted_; ++i) positions[ids.Value(i)] = static_cast<uint32_t>(i);
  return arrow::Status::OK();
}

// Grouper ids as sorted positions (see HashSortedKeys); `ids` is the lookup's own array.
std::shared_ptr<arrow::UInt32Array> KeyIndex::AsSortedPositions(
    std::shared_ptr<arrow::UInt32Array> ids) const {
  if (!sorted_positions_) return ids;
  const auto* positions = reinterpret_cast<const uint32_t*>(sorted_positions_->data());
  auto* values = ids->data()->GetMutableValues<uint32_t>(1);
  for (int64_t i = 0; i < ids->length(); ++i) {
    if (ids->IsValid(i)) values[i] = positions[values[i]];
  }
  return ids;
}

arrow::Result<std::shared_ptr<arrow::UInt32Array>> KeyIndex::LookupAscending(
    const arrow::Array& keys) const {
  if (keys.type_id() == arrow::Type::UINT64) {
    return LookupAscending(keys.data()->GetValues<uint64_t>(1), keys.length());
  }
  return LookupAscending(keys.data()->GetValues<int64_t>(1), keys.length());
}

template <typename T>
arrow::Result<std::shared_ptr<arrow::UInt32Array>> KeyIndex::LookupAscending(const T* values,
                                                                             int64_t n) const {
  for (int64_t i = 1; i < n; ++i) {
    if (values[i] < values[i - 1]) return nullptr;
  }
  ARROW_ASSIGN_OR_RAISE(auto out_ids, arrow::AllocateBuffer(n * sizeof(uint32_t), context_->memory_pool()));
  ARROW_ASSIGN_OR_RAISE(auto validity, arrow::AllocateEmptyBitmap(n, context_->memory_pool()));
  auto* out = reinterpret_cast<uint32_t*>(out_ids->mutable_data());
  uint8_t* valid = validity->mutable_data();
  const int64_t* source = reinterpret_cast<const int64_t*>(sorted_keys_->data());
  const int64_t* cursor =
      n == 0 ? source : std::lower_bound(source, source + num_sorted_, Ordered(values[0]));
  const int64_t* end = source + num_sorted_;
  int64_t found = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t value = Ordered(values[i]);
    while (cursor != end && *cursor < value) ++cursor;
    if (cursor != end && *cursor == value) {
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
    if (!Comparable(*CanonicalKeyType(field->type()), *canonical_types_[i])) {
      return arrow::Status::TypeError(
          "key column '", key_columns_[i], "' cannot be compared: the source has ",
          key_types_[i]->ToString(), " keys but '", target_name, "' has ",
          field->type()->ToString(), "; cast the source column to the dataset's type");
    }
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::UInt32Array>> KeyIndex::Lookup(const arrow::RecordBatch& batch) {
  std::vector<arrow::Datum> keys;
  std::shared_ptr<arrow::Array> unmatchable;  // rows no source key can equal
  for (size_t i = 0; i < key_columns_.size(); ++i) {
    auto column = batch.GetColumnByName(key_columns_[i]);
    if (!column) return arrow::Status::KeyError("key column '", key_columns_[i], "' is missing");
    ARROW_ASSIGN_OR_RAISE(LookupKeys lookup, KeysForLookup(column, canonical_types_[i]));
    keys.emplace_back(std::move(lookup.values));
    if (lookup.unmatchable && unmatchable) {
      ARROW_ASSIGN_OR_RAISE(arrow::Datum either, cp::Or(unmatchable, lookup.unmatchable));
      unmatchable = either.make_array();
    } else if (lookup.unmatchable) {
      unmatchable = std::move(lookup.unmatchable);
    }
  }
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::UInt32Array> ids, LookupCanonical(std::move(keys), batch.num_rows()));
  if (!unmatchable) return ids;
  ARROW_ASSIGN_OR_RAISE(auto validity, arrow::AllocateEmptyBitmap(ids->offset() + ids->length(), context_->memory_pool()));
  return WithoutRows(*ids, static_cast<const arrow::BooleanArray&>(*unmatchable),
                     std::move(validity));
}

arrow::Result<std::shared_ptr<arrow::UInt32Array>> KeyIndex::LookupCanonical(
    std::vector<arrow::Datum> keys, int64_t num_rows) {
  if (sorted_keys_ && keys[0].null_count() == 0) {
    auto canonical = keys[0].make_array();
    ARROW_ASSIGN_OR_RAISE(auto ids, LookupAscending(*canonical));
    if (ids) return ids;
  }
  cp::ExecBatch exec_batch(std::move(keys), num_rows);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!grouper_) ARROW_RETURN_NOT_OK(HashSortedKeys());
  ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Lookup(cp::ExecSpan(exec_batch)));
  return AsSortedPositions(std::static_pointer_cast<arrow::UInt32Array>(ids.make_array()));
}

}  // namespace fsspeckit::merge
