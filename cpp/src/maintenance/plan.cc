// fsspeckit: the first step of maintenance: validate, list, read footers, group.
#include "fsspeckit/maintenance/plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include <arrow/type.h>
#include <arrow/type_traits.h>
#include <arrow/util/compression.h>

#include "fsspeckit/io/location.h"
#include "fsspeckit/io/write_dataset.h"
#include "io/compression_internal.h"
#include "io/unique_name_internal.h"
#include "io/whole_read_internal.h"
#include "maintenance/compaction_groups_internal.h"
#include "maintenance/dataset_scan_internal.h"
#include "maintenance/derived_partition_internal.h"
#include "maintenance/plan_internal.h"
#include "merge/dataset_schema_internal.h"

namespace fsspeckit::maintenance {
namespace {

// The options every operation shares, checked before anything is read.
struct Targets {
  std::optional<int64_t> target_bytes;
  std::optional<int64_t> max_rows_per_file;
  std::string codec = kDefaultCodec;
  bool codec_given = false;
  std::vector<std::string> partition_filter;
};

arrow::Result<Targets> CheckTargets(std::optional<double> target_mb_per_file,
                                    std::optional<int64_t> target_rows_per_file,
                                    const std::optional<std::string>& compression,
                                    std::vector<std::string> partition_filter) {
  Targets targets;
  if (target_mb_per_file) {
    const double mb = *target_mb_per_file;
    if (!(mb > 0) || !std::isfinite(mb)) {
      return arrow::Status::Invalid("target_mb_per_file must be > 0, got ", mb,
                                    ": give the size of each output file in MiB");
    }
    targets.target_bytes = static_cast<int64_t>(std::min(mb * 1048576.0, 9.0e18));
  }
  if (target_rows_per_file) {
    if (*target_rows_per_file <= 0) {
      return arrow::Status::Invalid("target_rows_per_file must be > 0, got ", *target_rows_per_file,
                                    ": give the most rows an output file may hold");
    }
    targets.max_rows_per_file = target_rows_per_file;
  }
  if (compression) {
    ARROW_ASSIGN_OR_RAISE(auto codec, io::ParseCompression(compression));
    targets.codec = arrow::util::Codec::GetCodecAsString(codec);
    targets.codec_given = true;
  }
  ARROW_ASSIGN_OR_RAISE(targets.partition_filter, NormalizePartitionFilter(std::move(partition_filter)));
  return targets;
}

// CheckTargets of an operation's options (sizes, codec, partition filter).
template <typename Options>
arrow::Result<Targets> TargetsOf(const Options& options) {
  return CheckTargets(options.target_mb_per_file, options.target_rows_per_file,
                      options.compression, options.partition_filter);
}

MaintenancePlan StartPlan(Operation operation, const io::Location& location, const Targets& targets,
                          const ScannedDataset& scanned) {
  MaintenancePlan plan;
  plan.operation = operation;
  plan.dataset_dir = location.path;
  plan.atomic_rename = io::IsLocalDisk(*location.filesystem);
  plan.files = scanned.files;
  plan.snapshot = scanned.snapshot;
  plan.partition_filter = targets.partition_filter;
  plan.schema = scanned.schema;
  plan.schema_promoted = scanned.schema_promoted;
  plan.codec = targets.codec;
  plan.codec_given = targets.codec_given;
  plan.max_rows_per_file = targets.max_rows_per_file;
  plan.target_bytes = targets.target_bytes;
  plan.row_group_rows = std::min(io::kDefaultRowGroupSize,
                                 targets.max_rows_per_file.value_or(io::kDefaultRowGroupSize));
  std::set<std::string> folders;
  for (const PlannedFile& file : plan.files) {
    const std::string folder = io::ParentPath(file.relative_path);
    if (!folder.empty()) folders.insert(folder);
  }
  plan.partition_paths.assign(folders.begin(), folders.end());
  return plan;
}

// The files of each partition folder, folders in path order.
std::map<std::string, std::vector<int>> ByPartition(const std::vector<PlannedFile>& files) {
  std::map<std::string, std::vector<int>> partitions;
  for (size_t f = 0; f < files.size(); ++f) {
    partitions[io::ParentPath(files[f].relative_path)].push_back(static_cast<int>(f));
  }
  return partitions;
}

// Invalid naming the argument when a column is not the dataset's: stored in its files
// (a hive folder key is the same for every row of a partition folder).
arrow::Status CheckColumns(const arrow::Schema& schema, const std::vector<std::string>& columns,
                           const char* argument, const std::vector<PlannedFile>& files) {
  for (const std::string& column : columns) {
    if (schema.GetFieldIndex(column) >= 0) continue;
    for (const PlannedFile& file : files) {
      for (const auto& [key, value] : merge::HiveSegments("", "/" + file.relative_path)) {
        if (key == column) {
          return arrow::Status::Invalid(
              argument, " names '", column, "', a partition folder key: maintenance works inside "
              "each partition folder, where it is the same for every row; leave it out");
        }
      }
    }
    std::string names;
    for (const auto& field : schema.fields()) names += (names.empty() ? "" : ", ") + field->name();
    return arrow::Status::Invalid(argument, " names a column the dataset lacks: '", column,
                                  "'; its columns are: ", names);
  }
  return arrow::Status::OK();
}

arrow::Result<std::vector<std::string>> ColumnList(const std::vector<std::string>& columns,
                                                   const char* argument) {
  if (columns.empty()) return arrow::Status::Invalid(argument, " cannot be empty");
  std::vector<std::string> out;
  for (const std::string& column : columns) {
    const size_t first = column.find_first_not_of(" \t");
    if (first == std::string::npos) {
      return arrow::Status::Invalid(argument, " cannot contain empty strings");
    }
    out.push_back(column.substr(first, column.find_last_not_of(" \t") - first + 1));
  }
  std::set<std::string> seen;
  for (const std::string& column : out) {
    if (!seen.insert(column).second) {
      return arrow::Status::Invalid(argument, " must not repeat columns; duplicate: '", column, "'");
    }
  }
  return out;
}

// "-col" descending, "col" ascending (the original takes "+col" as a column's name).
arrow::Result<OrderColumn> ParseOrderColumn(const std::string& item) {
  OrderColumn order;
  std::string name = item;
  const size_t first = name.find_first_not_of(" \t");
  if (first != std::string::npos && name[first] == '-') {
    order.descending = true;
    name = name.substr(first + 1);
  }
  ARROW_ASSIGN_OR_RAISE(auto names, ColumnList({name}, "dedup_order_by"));
  order.column = names[0];
  return order;
}

}  // namespace

int64_t MaintenancePlan::total_rows() const {
  int64_t rows = 0;
  for (const PlannedFile& file : files) rows += file.num_rows;
  return rows;
}

int64_t MaintenancePlan::total_bytes() const {
  int64_t bytes = 0;
  for (const PlannedFile& file : files) bytes += file.size_bytes;
  return bytes;
}

std::string_view OperationName(Operation operation) {
  switch (operation) {
    case Operation::kCompaction: return "compaction";
    case Operation::kPartitionLocalDeduplication: return "partition_local_deduplication";
    case Operation::kOrderedCompaction: return "ordered_compaction";
    case Operation::kCoordinatedOptimization: return "coordinated_optimization";
    case Operation::kRepartition: return "repartition";
    case Operation::kGlobalRepartitionDeduplication: return "global_repartition_deduplication";
    case Operation::kSchemaRewrite: return "schema_rewrite";
  }
  return "unknown";
}

bool KeepsRows(const MaintenancePlan& plan) {
  return plan.operation == Operation::kCompaction || plan.operation == Operation::kOrderedCompaction ||
         plan.operation == Operation::kRepartition || plan.operation == Operation::kSchemaRewrite ||
         (plan.operation == Operation::kCoordinatedOptimization && plan.key_columns.empty());
}

int64_t EstimateGroupBytes(const MaintenancePlan& plan, const Group& group) {
  int64_t row_bytes = 1, largest_file = 0;
  for (int f : group.files) {
    const PlannedFile& file = plan.files[f];
    if (file.num_rows > 0) row_bytes = std::max(row_bytes, file.uncompressed_bytes / file.num_rows);
    largest_file = std::max(largest_file, file.size_bytes);
  }
  const int64_t joined_rows = std::min(plan.row_group_rows, group.num_rows);
  // Decoded rows waiting to be joined, their encoded row group, one source file read
  // whole (small files) and the copy buffer.
  return 2 * joined_rows * row_bytes + std::min(largest_file, io::kWholeReadBytes) + (4 << 20);
}

namespace {

arrow::Status FinishGroup(const ScannedDataset& scanned, MaintenancePlan& plan, Group& group) {
  for (int f : group.files) {
    group.num_rows += plan.files[f].num_rows;
    group.size_bytes += plan.files[f].size_bytes;
  }
  ARROW_ASSIGN_OR_RAISE(group.schema, GroupSchema(scanned, group.files));
  group.estimated_bytes = EstimateGroupBytes(plan, group);
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<MaintenancePlan> PlanCompaction(const io::Location& location,
                                              const CompactionOptions& options) {
  ARROW_ASSIGN_OR_RAISE(Targets targets, TargetsOf(options));
  if (!targets.target_bytes && !targets.max_rows_per_file) {
    return arrow::Status::Invalid(
        "Must provide at least one of target_mb_per_file or target_rows_per_file: compaction "
        "packs small files into files of about that size");
  }
  ARROW_ASSIGN_OR_RAISE(ScannedDataset scanned, ScanDataset(location, targets.partition_filter));
  MaintenancePlan plan = StartPlan(Operation::kCompaction, location, targets, scanned);
  const std::optional<std::string> rewrite_codec =
      plan.codec_given ? std::optional<std::string>(plan.codec) : std::nullopt;
  for (const auto& [partition, files] : ByPartition(plan.files)) {
    Packing packing = PackCompactionGroups(plan.files, files, plan.target_bytes,
                                           plan.max_rows_per_file, rewrite_codec);
    for (std::vector<int>& indices : packing.groups) {
      Group group;
      group.partition = partition;
      group.files = std::move(indices);
      ARROW_RETURN_NOT_OK(FinishGroup(scanned, plan, group));
      plan.groups.push_back(std::move(group));
    }
    plan.skipped.insert(plan.skipped.end(), packing.skipped.begin(), packing.skipped.end());
  }
  return plan;
}

namespace {

// A deduplication's keys (none: whole rows) and order, checked as arguments before any
// I/O, then against the dataset's schema once it is known.
struct DedupKeys {
  std::optional<std::vector<std::string>> keys;
  std::vector<OrderColumn> order_by;
};

arrow::Result<DedupKeys> ParseDedupKeys(const std::optional<std::vector<std::string>>& key_columns,
                                        const std::vector<std::string>& dedup_order_by) {
  DedupKeys dedup;
  if (key_columns) {
    ARROW_ASSIGN_OR_RAISE(dedup.keys, ColumnList(*key_columns, "key_columns"));
  }
  for (const std::string& item : dedup_order_by) {
    ARROW_ASSIGN_OR_RAISE(OrderColumn order, ParseOrderColumn(item));
    dedup.order_by.push_back(order);
  }
  return dedup;
}

arrow::Status SetDedupKeys(MaintenancePlan& plan, DedupKeys dedup) {
  if (dedup.keys) {
    ARROW_RETURN_NOT_OK(CheckColumns(*plan.schema, *dedup.keys, "key_columns", plan.files));
    plan.key_columns = *dedup.keys;
  } else {
    for (const auto& field : plan.schema->fields()) plan.key_columns.push_back(field->name());
  }
  std::vector<std::string> order_names;
  for (const OrderColumn& order : dedup.order_by) order_names.push_back(order.column);
  ARROW_RETURN_NOT_OK(CheckColumns(*plan.schema, order_names, "dedup_order_by", plan.files));
  plan.order_by = std::move(dedup.order_by);
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<MaintenancePlan> PlanDeduplication(const io::Location& location,
                                                 const DeduplicationOptions& options) {
  ARROW_ASSIGN_OR_RAISE(Targets targets, TargetsOf(options));
  ARROW_ASSIGN_OR_RAISE(DedupKeys dedup, ParseDedupKeys(options.key_columns, options.dedup_order_by));
  ARROW_ASSIGN_OR_RAISE(ScannedDataset scanned, ScanDataset(location, targets.partition_filter));
  MaintenancePlan plan = StartPlan(Operation::kPartitionLocalDeduplication, location, targets, scanned);
  ARROW_RETURN_NOT_OK(SetDedupKeys(plan, std::move(dedup)));
  for (const auto& [partition, files] : ByPartition(plan.files)) {
    Group group;
    group.partition = partition;
    group.files = files;
    ARROW_RETURN_NOT_OK(FinishGroup(scanned, plan, group));
    plan.groups.push_back(std::move(group));
  }
  return plan;
}

arrow::Result<SortColumn> ParseSortKey(std::string_view text) {
  SortColumn key;
  std::string name(text);
  const size_t first = name.find_first_not_of(" \t");
  if (first != std::string::npos && (name[first] == '-' || name[first] == '+')) {
    key.descending = key.nulls_first = name[first] == '-';
    name = name.substr(first + 1);
  }
  const size_t start = name.find_first_not_of(" \t");
  if (start == std::string::npos) {
    return arrow::Status::Invalid("sort_keys string items must name a column after the leading "
                                  "direction sigil, got '", text, "'");
  }
  key.column = name.substr(start, name.find_last_not_of(" \t") - start + 1);
  return key;
}

arrow::Result<MaintenancePlan> PlanOrderedCompaction(const io::Location& location,
                                                     const OrderedCompactionOptions& options) {
  if (options.sort_keys.empty()) {
    return arrow::Status::Invalid("sort_keys must be a non-empty list: name the columns to sort by "
                                  "(\"col\", \"-col\" or SortKey(...))");
  }
  std::vector<std::string> names;
  for (const SortColumn& key : options.sort_keys) names.push_back(key.column);
  ARROW_RETURN_NOT_OK(ColumnList(names, "sort_keys").status());
  ARROW_ASSIGN_OR_RAISE(Targets targets, TargetsOf(options));
  ARROW_ASSIGN_OR_RAISE(ScannedDataset scanned, ScanDataset(location, targets.partition_filter));
  MaintenancePlan plan = StartPlan(Operation::kOrderedCompaction, location, targets, scanned);
  ARROW_RETURN_NOT_OK(CheckColumns(*plan.schema, names, "sort_keys", plan.files));
  for (const std::string& name : names) {
    const auto& type = plan.schema->GetFieldByName(name)->type();
    if (arrow::is_nested(type->id()) || type->id() == arrow::Type::EXTENSION) {
      return arrow::Status::Invalid("sort_keys names '", name, "', a column of type ",
                                    type->ToString(), ", which has no order: sort by columns of "
                                    "numbers, strings, binaries, booleans, decimals or times");
    }
  }
  plan.sort_keys = options.sort_keys;
  for (const auto& [partition, files] : ByPartition(plan.files)) {
    Group group;
    group.partition = partition;
    group.files = files;
    ARROW_RETURN_NOT_OK(FinishGroup(scanned, plan, group));
    plan.groups.push_back(std::move(group));
  }
  return plan;
}

arrow::Result<MaintenancePlan> PlanRepartition(const io::Location& location,
                                               const RepartitionOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto columns, ColumnList(options.partition_columns, "partition_columns"));
  ARROW_ASSIGN_OR_RAISE(Targets targets, CheckTargets(options.target_mb_per_file,
                                                      options.target_rows_per_file,
                                                      options.compression, {}));
  ARROW_ASSIGN_OR_RAISE(ScannedDataset scanned, ScanDataset(location, {}));
  MaintenancePlan plan = StartPlan(Operation::kRepartition, location, targets, scanned);
  // The hive keys of the folders, first seen first; those the files also store are
  // the files' (the folder would shadow nothing pyarrow reads).
  for (const PlannedFile& file : plan.files) {
    for (const auto& [key, value] : merge::HiveSegments("", "/" + file.relative_path)) {
      if (plan.schema->GetFieldIndex(key) < 0 &&
          std::find(plan.hive_keys.begin(), plan.hive_keys.end(), key) == plan.hive_keys.end()) {
        plan.hive_keys.push_back(key);
      }
    }
  }
  arrow::FieldVector output;
  for (const auto& field : plan.schema->fields()) {
    if (std::find(columns.begin(), columns.end(), field->name()) == columns.end()) output.push_back(field);
  }
  for (const std::string& key : plan.hive_keys) {
    if (std::find(columns.begin(), columns.end(), key) == columns.end()) {
      output.push_back(arrow::field(key, arrow::utf8()));
    }
  }
  ARROW_ASSIGN_OR_RAISE(plan.derived_columns,
                        ResolveDerivedColumns(options.derived_partition_columns, options.partition_timezone,
                                              *plan.schema, plan.hive_keys, columns));
  plan.partition_timezone = options.partition_timezone;
  for (const std::string& column : columns) {
    const bool hive = std::find(plan.hive_keys.begin(), plan.hive_keys.end(), column) != plan.hive_keys.end();
    const bool derived = std::any_of(plan.derived_columns.begin(), plan.derived_columns.end(),
                                     [&](const DerivedPartitionColumn& d) { return d.name == column; });
    const auto field = plan.schema->GetFieldByName(column);
    if (!field && !hive && !derived) {
      std::string names;
      for (const auto& f : plan.schema->fields()) names += (names.empty() ? "" : ", ") + f->name();
      for (const auto& key : plan.hive_keys) names += ", " + key + " (folders)";
      return arrow::Status::Invalid("partition_columns names a column the dataset lacks: '", column,
                                    "'; its columns are: ", names);
    }
    if (field && (arrow::is_nested(field->type()->id()) || field->type()->id() == arrow::Type::EXTENSION)) {
      return arrow::Status::Invalid("partition_columns names '", column, "', a column of type ",
                                    field->type()->ToString(), ", which cannot name a folder");
    }
  }
  if (output.empty()) {
    return arrow::Status::Invalid("partition_columns takes every column of the dataset: the files "
                                  "would hold none; leave at least one column out");
  }
  plan.partition_columns = columns;
  Group group;
  group.partition = "";
  for (size_t f = 0; f < plan.files.size(); ++f) group.files.push_back(static_cast<int>(f));
  ARROW_RETURN_NOT_OK(FinishGroup(scanned, plan, group));
  group.schema = arrow::schema(std::move(output), plan.schema->metadata());
  plan.groups.push_back(std::move(group));
  return plan;
}

arrow::Result<MaintenancePlan> PlanDeduplicateAndRepartition(
    const io::Location& location, const DeduplicateRepartitionOptions& options) {
  ARROW_ASSIGN_OR_RAISE(DedupKeys dedup, ParseDedupKeys(options.key_columns, options.dedup_order_by));
  RepartitionOptions repartition;
  repartition.partition_columns = options.partition_columns;
  repartition.derived_partition_columns = options.derived_partition_columns;
  repartition.partition_timezone = options.partition_timezone;
  repartition.target_mb_per_file = options.target_mb_per_file;
  repartition.target_rows_per_file = options.target_rows_per_file;
  repartition.compression = options.compression;
  ARROW_ASSIGN_OR_RAISE(MaintenancePlan plan, PlanRepartition(location, repartition));
  plan.operation = Operation::kGlobalRepartitionDeduplication;
  ARROW_RETURN_NOT_OK(SetDedupKeys(plan, std::move(dedup)));
  return plan;
}

arrow::Result<CastPolicy> ParseCastPolicy(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "strict") return CastPolicy::kStrict;
  if (lower == "safe") return CastPolicy::kSafe;
  if (lower == "loose") return CastPolicy::kLoose;
  return arrow::Status::Invalid("Unknown cast_policy: '", name, "'; give strict, safe or loose");
}

std::string_view CastPolicyName(CastPolicy policy) {
  switch (policy) {
    case CastPolicy::kStrict: return "strict";
    case CastPolicy::kSafe: return "safe";
    case CastPolicy::kLoose: return "loose";
  }
  return "unknown";
}

bool IsPromotion(const arrow::DataType& from, const arrow::DataType& to) {
  if (from.Equals(to)) return true;
  using arrow::Type;
  if (arrow::is_integer(from.id()) && arrow::is_integer(to.id())) {
    const int from_bits = arrow::bit_width(from.id()), to_bits = arrow::bit_width(to.id());
    const bool from_signed = arrow::is_signed_integer(from.id()), to_signed = arrow::is_signed_integer(to.id());
    if (from_signed == to_signed) return to_bits >= from_bits;
    return !from_signed && to_signed && to_bits > from_bits;
  }
  if (arrow::is_floating(from.id()) && arrow::is_floating(to.id())) {
    return arrow::bit_width(to.id()) >= arrow::bit_width(from.id());
  }
  if (from.id() == Type::TIMESTAMP && to.id() == Type::TIMESTAMP) {
    const auto& f = static_cast<const arrow::TimestampType&>(from);
    const auto& t = static_cast<const arrow::TimestampType&>(to);
    return f.timezone() == t.timezone() && static_cast<int>(t.unit()) >= static_cast<int>(f.unit());
  }
  if (from.id() == Type::DATE32 && to.id() == Type::DATE64) return true;
  if (from.id() == Type::STRING && to.id() == Type::LARGE_STRING) return true;
  if (from.id() == Type::BINARY && to.id() == Type::LARGE_BINARY) return true;
  if ((from.id() == Type::LIST || from.id() == Type::LARGE_LIST) && to.id() == Type::LARGE_LIST) {
    return IsPromotion(*from.field(0)->type(), *to.field(0)->type());
  }
  return false;
}

arrow::Result<MaintenancePlan> PlanSchemaRewrite(const io::Location& location,
                                                 const SchemaRewriteOptions& options) {
  if (!options.target_schema) return arrow::Status::Invalid("target_schema must be a pyarrow.Schema");
  ARROW_ASSIGN_OR_RAISE(Targets targets, TargetsOf(options));
  ARROW_ASSIGN_OR_RAISE(ScannedDataset scanned, ScanDataset(location, targets.partition_filter));
  MaintenancePlan plan = StartPlan(Operation::kSchemaRewrite, location, targets, scanned);
  const arrow::Schema& target = *options.target_schema;
  std::set<std::string> source_names, target_names;
  for (const auto& field : plan.schema->fields()) source_names.insert(field->name());
  for (const auto& field : target.fields()) {
    if (!target_names.insert(field->name()).second) {
      return arrow::Status::Invalid("target_schema names '", field->name(), "' twice");
    }
  }
  if (source_names != target_names) {
    std::string missing, extra;
    for (const auto& name : source_names) if (!target_names.count(name)) missing += (missing.empty() ? "" : ", ") + name;
    for (const auto& name : target_names) if (!source_names.count(name)) extra += (extra.empty() ? "" : ", ") + name;
    return arrow::Status::Invalid("target_schema must name the dataset's columns, no more, no fewer",
                                  missing.empty() ? "" : "; missing: " + missing,
                                  extra.empty() ? "" : "; not in the dataset: " + extra);
  }
  for (const auto& field : target.fields()) {
    const auto& from = plan.schema->GetFieldByName(field->name())->type();
    if (from->Equals(*field->type())) continue;
    plan.changed_fields.push_back(field->name());
    if (options.cast_policy == CastPolicy::kStrict && !IsPromotion(*from, *field->type())) {
      return arrow::Status::Invalid("STRICT cast_policy requires value-preserving promotions; field '",
                                    field->name(), "' changes ", from->ToString(), " \u2192 ",
                                    field->type()->ToString(), ", which is not a widening promotion");
    }
  }
  plan.cast_policy = options.cast_policy;
  for (const auto& [partition, files] : ByPartition(plan.files)) {
    Group group;
    group.partition = partition;
    group.files = files;
    ARROW_RETURN_NOT_OK(FinishGroup(scanned, plan, group));
    group.schema = options.target_schema;
    plan.groups.push_back(std::move(group));
  }
  return plan;
}

arrow::Result<MaintenancePlan> PlanOptimization(const io::Location& location,
                                                const OptimizationOptions& options) {
  MaintenancePlan plan;
  if (options.deduplicate_key_columns) {
    DeduplicationOptions deduplication;
    deduplication.key_columns = options.deduplicate_key_columns;
    deduplication.dedup_order_by = options.dedup_order_by;
    deduplication.target_mb_per_file = options.target_mb_per_file;
    deduplication.target_rows_per_file = options.target_rows_per_file;
    deduplication.partition_filter = options.partition_filter;
    deduplication.compression = options.compression;
    ARROW_ASSIGN_OR_RAISE(plan, PlanDeduplication(location, deduplication));
  } else {
    if (!options.dedup_order_by.empty()) {
      return arrow::Status::Invalid("dedup_order_by needs deduplicate_key_columns: give the key "
                                    "whose duplicates to drop, or leave dedup_order_by out");
    }
    CompactionOptions compaction;
    compaction.target_mb_per_file = options.target_mb_per_file;
    compaction.target_rows_per_file = options.target_rows_per_file;
    compaction.partition_filter = options.partition_filter;
    compaction.compression = options.compression;
    ARROW_ASSIGN_OR_RAISE(plan, PlanCompaction(location, compaction));
  }
  plan.operation = Operation::kCoordinatedOptimization;
  return plan;
}

}  // namespace fsspeckit::maintenance
