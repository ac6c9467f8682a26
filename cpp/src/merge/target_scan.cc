// fsspeckit: planning a merge from footers, statistics and key columns (no data read).
#include "merge/target_scan_internal.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>
#include <thread>
#include <variant>

#include <arrow/array/builder_primitive.h>
#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/api.h>
#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/file_reader.h>
#include <parquet/statistics.h>

#include "io/dataset_files_internal.h"
#include "io/parquet_footer_internal.h"
#include "io/thread_edge_internal.h"
#include "io/unique_name_internal.h"
#include "io/view_types_internal.h"
#include "merge/dataset_schema_internal.h"
#include "io/parallel_for_internal.h"

namespace fsspeckit::merge {
namespace {

namespace cp = arrow::compute;

template <typename T>
void SortUnique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

arrow::Result<SourceRange> MakeSourceRange(const arrow::Table& source,
                                           const std::string& key_column) {
  // Float keys are canonicalised with compute kernels; this may run before (or beside)
  // anything else has registered them. Idempotent and thread-safe.
  ARROW_RETURN_NOT_OK(arrow::compute::Initialize());
  auto column = source.GetColumnByName(key_column);
  if (!column) return arrow::Status::Invalid("key column '", key_column, "' is not in the source");
  const std::shared_ptr<arrow::DataType> type = CanonicalKeyType(column->type());
  const arrow::Type::type id = type->id();
  if (id != arrow::Type::INT64 && id != arrow::Type::UINT64 && id != arrow::Type::DOUBLE &&
      id != arrow::Type::STRING) {
    return SourceRange{};  // statistics do not prune this type
  }
  SourceRange range;
  std::vector<int64_t> ints;
  std::vector<uint64_t> uints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  for (const std::shared_ptr<arrow::Array>& chunk : column->chunks()) {
    ARROW_ASSIGN_OR_RAISE(auto canonical, CanonicalKeys(chunk, type));
    range.has_null = range.has_null || canonical->null_count() > 0;
    for (int64_t i = 0; i < canonical->length(); ++i) {
      if (canonical->IsNull(i)) continue;
      if (id == arrow::Type::INT64) {
        ints.push_back(static_cast<const arrow::Int64Array&>(*canonical).Value(i));
      } else if (id == arrow::Type::UINT64) {
        uints.push_back(static_cast<const arrow::UInt64Array&>(*canonical).Value(i));
      } else if (id == arrow::Type::DOUBLE) {
        const double value = static_cast<const arrow::DoubleArray&>(*canonical).Value(i);
        // NaN keys: statistics exclude NaN, so files must be read to find them.
        if (value != value) return SourceRange{};
        doubles.push_back(value);
      } else {
        strings.emplace_back(static_cast<const arrow::StringArray&>(*canonical).GetView(i));
      }
    }
  }
  if (id == arrow::Type::INT64) {
    SortUnique(ints);
    range.values = std::move(ints);
  } else if (id == arrow::Type::UINT64) {
    SortUnique(uints);
    range.values = std::move(uints);
  } else if (id == arrow::Type::DOUBLE) {
    SortUnique(doubles);
    range.values = std::move(doubles);
  } else {
    SortUnique(strings);
    range.values = std::move(strings);
  }
  return range;
}

namespace {

template <typename T>
bool AnyInRange(const std::vector<T>& sorted, const T& lo, const T& hi) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), lo);
  return it != sorted.end() && !(hi < *it);
}

// Integer statistics of any width and sign as [lo, hi] in 128 bits; nullopt for others.
std::optional<std::pair<__int128, __int128>> IntegerBounds(const arrow::Scalar& min,
                                                           const arrow::Scalar& max) {
  auto value = [](const arrow::Scalar& scalar) -> std::optional<__int128> {
    if (!scalar.is_valid || !arrow::is_integer(scalar.type->id())) return std::nullopt;
    if (arrow::is_unsigned_integer(scalar.type->id())) {
      auto cast = scalar.CastTo(arrow::uint64());
      if (!cast.ok()) return std::nullopt;
      return static_cast<const arrow::UInt64Scalar&>(**cast).value;
    }
    auto cast = scalar.CastTo(arrow::int64());
    if (!cast.ok()) return std::nullopt;
    return static_cast<const arrow::Int64Scalar&>(**cast).value;
  };
  auto lo = value(min), hi = value(max);
  if (!lo || !hi) return std::nullopt;
  return std::make_pair(*lo, *hi);
}

// Whether a sorted key of type T lies in [lo, hi], bounds of any integer type: bounds
// past T's range are clamped (a uint64 row group above 2^63 holds no int64 key).
template <typename T>
bool AnyIntegerInRange(const std::vector<T>& sorted, __int128 lo, __int128 hi) {
  const __int128 min = std::numeric_limits<T>::min(), max = std::numeric_limits<T>::max();
  if (hi < min || lo > max || lo > hi) return false;
  return AnyInRange(sorted, static_cast<T>(std::max(lo, min)), static_cast<T>(std::min(hi, max)));
}

// Could this row group hold one of the source's keys? True whenever unsure.
bool RowGroupMayMatch(const parquet::RowGroupMetaData& row_group, int leaf,
                      const SourceRange& range, const std::shared_ptr<arrow::DataType>& canonical) {
  if (leaf < 0 || std::holds_alternative<std::monostate>(range.values)) return true;
  auto chunk = row_group.ColumnChunk(leaf);
  if (!chunk->is_stats_set()) return true;
  std::shared_ptr<parquet::Statistics> stats = chunk->statistics();
  if (!stats) return true;
  if (range.has_null && (!stats->HasNullCount() || stats->null_count() > 0)) return true;
  // No bounds: only an all-null row group (num_values counts non-nulls) is ruled out.
  if (!stats->HasMinMax()) return !(stats->HasNullCount() && stats->num_values() == 0);
  std::shared_ptr<arrow::Scalar> min, max;
  if (!parquet::arrow::StatisticsAsScalars(*stats, &min, &max).ok()) return true;
  auto* ints = std::get_if<std::vector<int64_t>>(&range.values);
  auto* uints = std::get_if<std::vector<uint64_t>>(&range.values);
  if (ints || uints) {
    auto bounds = IntegerBounds(*min, *max);
    if (!bounds) return true;
    return ints ? AnyIntegerInRange(*ints, bounds->first, bounds->second)
                : AnyIntegerInRange(*uints, bounds->first, bounds->second);
  }
  auto lo = min->CastTo(canonical), hi = max->CastTo(canonical);
  if (!lo.ok() || !hi.ok()) return true;
  if (auto* doubles = std::get_if<std::vector<double>>(&range.values)) {
    return AnyInRange(*doubles, static_cast<const arrow::DoubleScalar&>(**lo).value,
                      static_cast<const arrow::DoubleScalar&>(**hi).value);
  }
  auto* strings = std::get_if<std::vector<std::string>>(&range.values);
  // Writers may truncate string statistics; such bounds are not exact, so read the data.
  if (stats->is_min_value_exact() == std::optional<bool>(false) ||
      stats->is_max_value_exact() == std::optional<bool>(false)) {
    return true;
  }
  return AnyInRange(*strings, static_cast<const arrow::StringScalar&>(**lo).ToString(),
                    static_cast<const arrow::StringScalar&>(**hi).ToString());
}

// A partition column's stored values at `positions` of `batch` (read from the file) or,
// stored in a hive folder, the folder's value; as `type` (the source's).
arrow::Result<std::shared_ptr<arrow::Array>> StoredPartitionValues(
    const TargetFile& file, const arrow::RecordBatch& batch, const std::string& column,
    const std::shared_ptr<arrow::Array>& positions, const std::shared_ptr<arrow::DataType>& type) {
  if (auto hive = file.partition_values.find(column); hive != file.partition_values.end()) {
    std::shared_ptr<arrow::Scalar> value = arrow::MakeNullScalar(type);
    if (hive->second != kHiveNull) {
      auto parsed = arrow::Scalar::Parse(type, hive->second);
      if (!parsed.ok()) {
        return arrow::Status::Invalid("Cannot merge: partition column values cannot change for "
                                      "existing keys: '", file.path, "' has ", column, "=",
                                      hive->second, ", which is not a ", type->ToString(),
                                      " as in the source");
      }
      value = *parsed;
    }
    return arrow::MakeArrayFromScalar(*value, positions->length());
  }
  ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(batch.GetColumnByName(column), positions));
  auto cast = cp::Cast(taken, type);
  if (!cast.ok()) {
    return arrow::Status::TypeError("partition column '", column, "' is ",
                                    taken.type()->ToString(), " in '", file.path,
                                    "' and ", type->ToString(), " in the source: ",
                                    cast.status().message());
  }
  return cast->make_array();
}

// The one partition rule: a row of `file` matched by a source key keeps its partition
// values, whether a hive folder or a column of the file holds them (null equals null).
arrow::Status CheckPartitionValues(const TargetFile& file, const arrow::RecordBatch& batch,
                                   const arrow::UInt32Array& ids, const KeyIndex& keys,
                                   const arrow::Table& source,
                                   const std::vector<std::string>& columns) {
  if (columns.empty()) return arrow::Status::OK();
  arrow::Int64Builder positions_builder, rows_builder;
  for (int64_t i = 0; i < ids.length(); ++i) {
    if (!ids.IsValid(i)) continue;
    ARROW_RETURN_NOT_OK(positions_builder.Append(i));
    ARROW_RETURN_NOT_OK(rows_builder.Append(keys.winning_rows()[ids.Value(i)]));
  }
  if (positions_builder.length() == 0) return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto positions, positions_builder.Finish());
  ARROW_ASSIGN_OR_RAISE(auto source_rows, rows_builder.Finish());
  for (const std::string& column : columns) {
    auto source_column = source.GetColumnByName(column);
    ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(source_column, source_rows));
    ARROW_ASSIGN_OR_RAISE(auto wanted, arrow::Concatenate(taken.chunked_array()->chunks()));
    ARROW_ASSIGN_OR_RAISE(auto stored, StoredPartitionValues(file, batch, column, positions,
                                                             source_column->type()));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum equal, cp::CallFunction("equal", {wanted, stored}));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum wanted_null, cp::IsNull(wanted));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum stored_null, cp::IsNull(stored));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum both_null, cp::And(wanted_null, stored_null));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum same, cp::CallFunction("coalesce", {equal, both_null}));
    const std::shared_ptr<arrow::Array> same_array = same.make_array();
    const auto& flags = static_cast<const arrow::BooleanArray&>(*same_array);
    for (int64_t i = 0; i < flags.length(); ++i) {
      if (flags.Value(i)) continue;
      ARROW_ASSIGN_OR_RAISE(auto was, stored->GetScalar(i));
      ARROW_ASSIGN_OR_RAISE(auto now, wanted->GetScalar(i));
      return arrow::Status::Invalid(
          "Cannot merge: partition column values cannot change for existing keys: a key in '",
          file.path, "' has ", column, "=", was->ToString(), " there and ", column, "=",
          now->ToString(), " in the source");
    }
  }
  return arrow::Status::OK();
}

}  // namespace

namespace {

// What one file contributes to the plan; computed for several files at once.
struct FileScan {
  TargetFile file;
  std::vector<uint32_t> matched_keys;  // distinct key ids found in the file, first-seen order
  bool candidate = false;
};

// `check_columns`: the partition columns whose stored values matched rows must keep.
// `kept_bytes`: the key columns kept so far by all scans, up to `keep_keys_bytes`.
// `keys_by_row_group`: TargetFile::row_group_keys is filled.
arrow::Result<FileScan> ScanFile(arrow::fs::FileSystem& fs, const std::string& dir,
                                 const arrow::fs::FileInfo& listed, KeyIndex& keys,
                                 const SourceRange& range, const arrow::Table& source,
                                 const std::vector<std::string>& check_columns,
                                 int64_t keep_keys_bytes, std::atomic<int64_t>& kept_bytes,
                                 bool keys_by_row_group) {
  FileScan scan;
  TargetFile& file = scan.file;
  file.path = listed.path();
  for (auto& [key, value] : HiveSegments(dir, file.path)) file.partition_values[key] = value;
  ARROW_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(listed));  // its size as listed: no HEAD
  ARROW_ASSIGN_OR_RAISE(file.size_bytes, input->GetSize());
  ARROW_ASSIGN_OR_RAISE(file.metadata, io::ReadFooter(input, file.path));
  ARROW_RETURN_NOT_OK(io::ParquetReadError(
      parquet::arrow::FromParquetSchema(file.metadata->schema(), parquet::ArrowReaderProperties(),
                                        file.metadata->key_value_metadata(), &file.schema),
      file.path));
  // A file written from view types is rewritten with their plain equivalents.
  file.schema = io::WithoutViewTypes(file.schema);
  ARROW_RETURN_NOT_OK(keys.CheckComparable(*file.schema, file.path));

  const int leaf = file.metadata->schema()->ColumnIndex(keys.key_columns()[0]);
  std::vector<int> candidates;
  for (int rg = 0; rg < file.metadata->num_row_groups(); ++rg) {
    if (RowGroupMayMatch(*file.metadata->RowGroup(rg), leaf, range, keys.canonical_types()[0])) {
      candidates.push_back(rg);
    }
  }
  if (candidates.empty() || keys.num_keys() == 0) return scan;
  scan.candidate = true;
  std::vector<std::string> read_columns = keys.key_columns();
  for (const std::string& column : check_columns) {
    if (file.partition_values.count(column)) continue;  // stored in the folder's name
    if (!file.schema->GetFieldByName(column)) {
      return arrow::Status::Invalid("partition column '", column, "' is neither a hive folder of '",
                                    file.path, "' nor a column of it");
    }
    if (std::find(read_columns.begin(), read_columns.end(), column) == read_columns.end()) {
      read_columns.push_back(column);
    }
  }
  std::vector<int> leaves;
  for (const std::string& column : read_columns) {
    int index = file.metadata->schema()->ColumnIndex(column);
    if (index < 0) return arrow::Status::NotImplemented("nested key or partition column '", column, "'");
    leaves.push_back(index);
  }
  parquet::ArrowReaderProperties properties;
  properties.set_pre_buffer(false);
  int64_t largest_row_group = 1;
  for (int rg : candidates) {
    largest_row_group = std::max(largest_row_group, file.metadata->RowGroup(rg)->num_rows());
  }
  properties.set_batch_size(largest_row_group);  // one chunk per row group: no copies
  parquet::arrow::FileReaderBuilder builder;
  ARROW_RETURN_NOT_OK(
      io::ParquetReadError(builder.Open(input, parquet::ReaderProperties(keys.pool()), file.metadata), file.path));
  builder.memory_pool(keys.pool());  // the merge's budget holds for planning too
  builder.properties(properties);
  ARROW_ASSIGN_OR_RAISE(auto reader, builder.Build());
  std::vector<uint8_t> seen(keys.num_keys(), 0);
  for (int rg : candidates) {
    auto table = reader->ReadRowGroup(rg, leaves);
    if (!table.ok()) return io::ParquetReadError(table.status(), file.path);
    ARROW_ASSIGN_OR_RAISE(auto batch, (*table)->CombineChunksToBatch(keys.pool()));
    ARROW_ASSIGN_OR_RAISE(auto ids, keys.Lookup(*batch));
    int64_t matched = 0;
    for (int64_t i = 0; i < ids->length(); ++i) {
      if (!ids->IsValid(i)) continue;
      ++matched;
      uint32_t id = ids->Value(i);
      if (!seen[id]) {
        seen[id] = 1;
        scan.matched_keys.push_back(id);
      }
    }
    if (matched > 0 && keys_by_row_group) {
      std::vector<uint32_t>& here = file.row_group_keys[rg];
      for (int64_t i = 0; i < ids->length(); ++i) {
        if (ids->IsValid(i)) here.push_back(ids->Value(i));
      }
      std::sort(here.begin(), here.end());
      here.erase(std::unique(here.begin(), here.end()), here.end());
    }
    if (matched > 0) {
      ARROW_RETURN_NOT_OK(CheckPartitionValues(file, *batch, *ids, keys, source, check_columns));
      file.matched_row_groups.push_back(rg);
      file.matched_rows += matched;
      PlannedKeys planned{{}, ids};
      int64_t bytes = arrow::util::TotalBufferSize(*ids);
      for (size_t k = 0; k < keys.key_columns().size(); ++k) {
        planned.columns.push_back(batch->column(static_cast<int>(k)));  // keys come first
        bytes += arrow::util::TotalBufferSize(*planned.columns.back());
      }
      if (kept_bytes.fetch_add(bytes) + bytes <= keep_keys_bytes) {
        file.planned_keys.emplace(rg, std::move(planned));
      } else {
        kept_bytes.fetch_sub(bytes);
      }
    }
  }
  return scan;
}

// The dataset's hive keys, and the columns whose values existing keys must keep: the
// hive keys and the caller's partition_columns.
struct Partitioning {
  std::vector<std::string> hive_keys;  // the dataset's
  std::vector<std::string> checked;    // hive keys, then the caller's other columns
};

arrow::Result<Partitioning> DetectPartitioning(const std::string& dir,
                                               const std::vector<std::string>& paths,
                                               const arrow::Table& source,
                                               const std::vector<std::string>& partition_columns) {
  Partitioning partitioning;
  ARROW_ASSIGN_OR_RAISE(partitioning.hive_keys, HivePartitionKeys(dir, paths));
  for (const std::string& key : partitioning.hive_keys) {
    if (!source.schema()->GetFieldByName(key)) {
      return arrow::Status::Invalid("the dataset '", dir, "' is partitioned by '", key,
                                    "' (hive folders ", key, "=...), which the source lacks; "
                                    "add the column to the source");
    }
  }
  partitioning.checked = partitioning.hive_keys;
  for (const std::string& column : partition_columns) {
    if (std::find(partitioning.checked.begin(), partitioning.checked.end(), column) ==
        partitioning.checked.end()) {
      partitioning.checked.push_back(column);
    }
  }
  return partitioning;
}

// The schema and partitioning the merge writes (see TargetScan), once the caller's
// partition_columns and the source are checked against them.
arrow::Status SetShape(TargetScan& plan, const std::string& dir,
                       const std::vector<std::shared_ptr<arrow::Schema>>& schemas,
                       const Partitioning& partitioning, const arrow::Table& source,
                       const std::vector<std::string>& partition_columns) {
  if (plan.files.empty()) {  // a new dataset takes the source's schema and the caller's partitioning
    plan.partition_by = partition_columns;
    arrow::FieldVector fields;
    for (const auto& field : source.schema()->fields()) {
      if (std::count(partition_columns.begin(), partition_columns.end(), field->name()) == 0) {
        fields.push_back(field);
      }
    }
    plan.schema = arrow::schema(std::move(fields), source.schema()->metadata());
    return arrow::Status::OK();
  }
  plan.partition_by = partitioning.hive_keys;
  std::vector<std::string> paths;
  for (const TargetFile& file : plan.files) paths.push_back(file.path);
  ARROW_ASSIGN_OR_RAISE(plan.schema, UnifyFileSchemas(paths, schemas));
  for (const std::string& key : plan.partition_by) {  // as scans of the dataset refuse it
    if (plan.schema->GetFieldByName(key)) {
      return arrow::Status::Invalid("dataset '", dir, "' has a column and a partition key both named '",
                                    key, "'");
    }
  }
  for (const std::string& column : partition_columns) {
    if (!plan.schema->GetFieldByName(column) &&
        std::count(plan.partition_by.begin(), plan.partition_by.end(), column) == 0) {
      std::string hive_keys;
      for (const auto& key : plan.partition_by) hive_keys += (hive_keys.empty() ? "" : ", ") + key;
      return arrow::Status::Invalid(
          "partition_columns names '", column, "', which is neither a partition of the dataset '",
          dir, "' (hive folders: ", hive_keys.empty() ? "none" : hive_keys,
          ") nor a column of its files; omit partition_columns to follow the dataset's "
          "partitioning");
    }
  }
  return CheckSourceFits(source, *plan.schema, plan.partition_by);
}

}  // namespace

arrow::Result<TargetScan> ScanTargets(arrow::fs::FileSystem& fs, const std::string& dir,
                                   std::vector<arrow::fs::FileInfo> listed, KeyIndex& keys, const SourceRange& range,
                                   const arrow::Table& source,
                                   const std::vector<std::string>& partition_columns,
                                   bool check_partitions, int64_t keep_keys_bytes, int workers,
                                   bool keys_by_row_group) {
  TargetScan plan;
  ARROW_RETURN_NOT_OK(io::CheckNoLinkOutside(fs, dir));
  std::vector<std::string> paths;
  for (const auto& info : listed) paths.push_back(info.path());
  ARROW_ASSIGN_OR_RAISE(Partitioning partitioning,
                        DetectPartitioning(dir, paths, source, partition_columns));
  const std::vector<std::string> no_checks;
  const std::vector<std::string>& check_columns = check_partitions ? partitioning.checked : no_checks;

  // Files are scanned `workers` at a time (footers and key columns only); the results are
  // combined in path order, so the plan does not depend on the scheduling.
  std::vector<arrow::Result<FileScan>> scans(paths.size(), arrow::Status::UnknownError("unscanned"));
  std::atomic<int64_t> kept_bytes{0};
  io::ParallelFor(0, paths.size(), std::max(1, workers), [&](size_t i) {
    arrow::Status thrown = io::CatchAtEdge("", [&] {
      scans[i] = ScanFile(fs, dir, listed[i], keys, range, source, check_columns, keep_keys_bytes,
                          kept_bytes, keys_by_row_group);
      return arrow::Status::OK();
    });
    if (!thrown.ok()) scans[i] = io::ParquetReadError(thrown, paths[i]);
    return true;  // every file is scanned; the first failure in path order is reported
  });

  plan.key_matched.assign(keys.num_keys(), 0);
  std::vector<std::shared_ptr<arrow::Schema>> schemas;
  for (auto& maybe_scan : scans) {
    ARROW_ASSIGN_OR_RAISE(FileScan scan, std::move(maybe_scan));
    plan.target_rows += scan.file.num_rows();
    plan.candidate_files += scan.candidate ? 1 : 0;
    for (uint32_t id : scan.matched_keys) {
      if (plan.key_matched[id] == 1) {
        ++plan.keys_in_several_files;
        plan.key_matched[id] = 2;
      } else if (plan.key_matched[id] == 0) {
        plan.key_matched[id] = 1;
      }
    }
    schemas.push_back(scan.file.schema);
    plan.files.push_back(std::move(scan.file));
    plan.file_keys.push_back(std::move(scan.matched_keys));
  }

  ARROW_RETURN_NOT_OK(SetShape(plan, dir, schemas, partitioning, source, partition_columns));
  return plan;
}

}  // namespace fsspeckit::merge
