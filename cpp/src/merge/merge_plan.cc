// fsspeckit: planning a merge from footers, statistics and key columns (no data read).
#include "merge_plan_internal.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <thread>
#include <variant>

#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/file_reader.h>
#include <parquet/statistics.h>

#include "fsspeckit/io/dataset_files.h"
#include "fsspeckit/io/unique_name.h"
#include "fsspeckit/io/view_types.h"

namespace fsspeckit::merge {
namespace {

arrow::Status NameFile(const arrow::Status& status, const std::string& path) {
  if (status.ok()) return status;
  return arrow::Status::IOError("cannot read target file '", path, "': ", status.message());
}

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
  if (id != arrow::Type::INT64 && id != arrow::Type::DOUBLE && id != arrow::Type::STRING) {
    return SourceRange{};  // statistics do not prune this type
  }
  SourceRange range;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::string> strings;
  for (const std::shared_ptr<arrow::Array>& chunk : column->chunks()) {
    ARROW_ASSIGN_OR_RAISE(auto canonical, CanonicalKeys(chunk, type));
    range.has_null = range.has_null || canonical->null_count() > 0;
    for (int64_t i = 0; i < canonical->length(); ++i) {
      if (canonical->IsNull(i)) continue;
      if (id == arrow::Type::INT64) {
        ints.push_back(static_cast<const arrow::Int64Array&>(*canonical).Value(i));
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
  auto lo = min->CastTo(canonical), hi = max->CastTo(canonical);
  if (!lo.ok() || !hi.ok()) return true;
  if (auto* ints = std::get_if<std::vector<int64_t>>(&range.values)) {
    return AnyInRange(*ints, static_cast<const arrow::Int64Scalar&>(**lo).value,
                      static_cast<const arrow::Int64Scalar&>(**hi).value);
  }
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

// Hive folder values are URI-encoded by writers ("New%20York"), as Arrow's partitioning
// decodes them.
std::string UriDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> HiveValues(const std::string& dir, const std::string& path) {
  std::map<std::string, std::string> values;
  std::string relative = path.substr(std::min(path.size(), dir.size() + 1));
  size_t start = 0;
  while (true) {
    size_t slash = relative.find('/', start);
    if (slash == std::string::npos) break;  // the last segment is the file name
    std::string segment = relative.substr(start, slash - start);
    size_t eq = segment.find('=');
    if (eq != std::string::npos) values[UriDecode(segment.substr(0, eq))] = UriDecode(segment.substr(eq + 1));
    start = slash + 1;
  }
  return values;
}

arrow::Status CheckPartition(const TargetFile& file, const arrow::Table& source,
                             int64_t source_row, const std::vector<std::string>& columns) {
  for (const std::string& column : columns) {
    auto it = file.partition_values.find(column);
    if (it == file.partition_values.end()) {
      return arrow::Status::Invalid("Partition column '", column,
                                    "' must be present in hive partition path for merge "
                                    "validation (file '", file.path, "')");
    }
    auto array = source.GetColumnByName(column);
    ARROW_ASSIGN_OR_RAISE(auto source_value, array->GetScalar(source_row));
    std::shared_ptr<arrow::Scalar> target_value;
    if (it->second == "__HIVE_DEFAULT_PARTITION__") {
      target_value = arrow::MakeNullScalar(array->type());
    } else {
      auto parsed = arrow::Scalar::Parse(array->type(), it->second);
      if (!parsed.ok()) {
        return arrow::Status::Invalid("Cannot merge: partition column values cannot change for "
                                      "existing keys: '", file.path, "' has ", column, "=",
                                      it->second, ", the source has ", source_value->ToString());
      }
      target_value = *parsed;
    }
    if (!source_value->Equals(*target_value)) {
      return arrow::Status::Invalid(
          "Cannot merge: partition column values cannot change for existing keys: a key in '",
          file.path, "' (", column, "=", it->second, ") has ", column, "=",
          source_value->ToString(), " in the source");
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

arrow::Result<FileScan> ScanFile(arrow::fs::FileSystem& fs, const std::string& dir,
                                 const std::string& path, KeyIndex& keys,
                                 const SourceRange& range) {
  FileScan scan;
  TargetFile& file = scan.file;
  file.path = path;
  file.partition_values = HiveValues(dir, file.path);
  ARROW_ASSIGN_OR_RAISE(auto input, fs.OpenInputFile(file.path));
  auto read_footer = [&]() -> arrow::Status {
    PARQUET_CATCH_NOT_OK(file.metadata = parquet::ReadMetaData(input));
    return parquet::arrow::FromParquetSchema(file.metadata->schema(),
                                             parquet::ArrowReaderProperties(),
                                             file.metadata->key_value_metadata(), &file.schema);
  };
  ARROW_RETURN_NOT_OK(NameFile(read_footer(), file.path));
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
  std::vector<int> key_leaves;
  for (const std::string& column : keys.key_columns()) {
    int index = file.metadata->schema()->ColumnIndex(column);
    if (index < 0) return arrow::Status::NotImplemented("nested key column '", column, "'");
    key_leaves.push_back(index);
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
      NameFile(builder.Open(input, parquet::default_reader_properties(), file.metadata), file.path));
  builder.properties(properties);
  ARROW_ASSIGN_OR_RAISE(auto reader, builder.Build());
  std::vector<uint8_t> seen(keys.num_keys(), 0);
  for (int rg : candidates) {
    auto table = reader->ReadRowGroup(rg, key_leaves);
    if (!table.ok()) return NameFile(table.status(), file.path);
    ARROW_ASSIGN_OR_RAISE(auto batch, (*table)->CombineChunksToBatch());
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
    if (matched > 0) {
      file.matched_row_groups.push_back(rg);
      file.matched_rows += matched;
    }
  }
  return scan;
}

}  // namespace

arrow::Result<MergePlan> PlanMerge(arrow::fs::FileSystem& fs, const std::string& dir,
                                   KeyIndex& keys, const SourceRange& range,
                                   const arrow::Table& source,
                                   const std::vector<std::string>& partition_columns,
                                   bool check_partitions) {
  MergePlan plan;
  ARROW_ASSIGN_OR_RAISE(auto paths, io::ListParquetFiles(fs, dir, io::HiddenFiles::kSkip));

  // Files are scanned two at a time (footers and key columns only); the results are
  // combined in path order, so the plan does not depend on the scheduling.
  std::vector<arrow::Result<FileScan>> scans(paths.size(), arrow::Status::UnknownError("unscanned"));
  {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < paths.size(); i = next++) {
        try {
          scans[i] = ScanFile(fs, dir, paths[i], keys, range);
        } catch (const std::exception& e) {  // parquet::ParquetException must not escape a thread
          scans[i] = arrow::Status::IOError("cannot read target file '", paths[i], "': ", e.what());
        }
      }
    };
    std::thread helper;
    if (paths.size() > 1 && std::thread::hardware_concurrency() > 1) helper = std::thread(work);
    work();
    if (helper.joinable()) helper.join();
  }

  plan.key_matched.assign(keys.num_keys(), 0);
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
      if (check_partitions && !partition_columns.empty()) {
        ARROW_RETURN_NOT_OK(
            CheckPartition(scan.file, source, keys.winning_rows()[id], partition_columns));
      }
    }
    plan.files.push_back(std::move(scan.file));
  }
  return plan;
}

}  // namespace fsspeckit::merge
