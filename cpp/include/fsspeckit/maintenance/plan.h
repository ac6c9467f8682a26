// fsspeckit: the first of a maintenance operation's steps (plan, tasks, commit, with
// plain data between them): what to rewrite, decided from listings and footers only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "fsspeckit/io/location.h"

namespace fsspeckit::maintenance {

/// The original's operations (REFERENCE-MAINTENANCE.md), named as its enum values.
enum class Operation : uint8_t {
  kCompaction,
  kPartitionLocalDeduplication,
  kOrderedCompaction,
  kCoordinatedOptimization,
  kRepartition,
  kGlobalRepartitionDeduplication,
  kSchemaRewrite,
};
/// "compaction", "partition_local_deduplication", "ordered_compaction",
/// "coordinated_optimization", "repartition", "global_repartition_deduplication",
/// "schema_rewrite".
std::string_view OperationName(Operation operation);

/// The codec written when none is asked for (the original's selected_codec).
inline constexpr const char* kDefaultCodec = "snappy";

/// A data file of the dataset as the plan saw it.
struct PlannedFile {
  std::string path;           ///< on the filesystem
  std::string relative_path;  ///< below the dataset folder ("day=1/part-0.parquet")
  int64_t size_bytes = 0;
  int64_t num_rows = 0;
  int num_row_groups = 0;
  int64_t largest_row_group_rows = 0;
  /// Decoded bytes as near as the footer tells (strings by their size statistics).
  int64_t uncompressed_bytes = 0;
  /// The codec of every column chunk ("snappy", "zstd", "uncompressed"), or "mixed".
  std::string codec;
};

/// A visible file of the dataset folder when the plan was made: executing the plan is
/// refused when any file appeared, vanished or changed since (size or time).
struct SnapshotEntry {
  std::string path;
  int64_t size_bytes = 0;
  int64_t mtime_ns = 0;
};

/// One task: the files of one partition folder rewritten together into new files there.
struct Group {
  std::string partition;      ///< relative folder ("" for the dataset root)
  std::vector<int> files;     ///< indices into MaintenancePlan::files, in path order
  /// The files' schema (their union, see merge::UnifyFileSchemas): the outputs'.
  std::shared_ptr<arrow::Schema> schema;
  int64_t num_rows = 0;
  int64_t size_bytes = 0;
  /// Memory the task holds at its peak (admission of tasks side by side).
  int64_t estimated_bytes = 0;
};

/// A file the plan leaves as it is, and why: "at_target_size", "over_target_size" or
/// "singleton_partition" (the original's reasons).
struct SkippedFile {
  int file = 0;
  std::string reason;
};

/// One sort column of dedup_order_by: a leading '-' in the original's spelling means
/// descending. Nulls sort last either way.
struct OrderColumn {
  std::string column;
  bool descending = false;
};

/// One sort key of an ordered compaction (the original's SortKey).
struct SortColumn {
  std::string column;
  bool descending = false;
  bool nulls_first = false;
};

/// The original's string spelling of a sort key: "col" or "+col" ascending with nulls
/// last, "-col" descending with nulls first. Invalid for an empty name.
arrow::Result<SortColumn> ParseSortKey(std::string_view text);

/// A partition column derived from a timestamp column of the files (the original's
/// derived_partition_columns={name: (function, source[, format])}): the timestamp as
/// text in the partition time zone. Naive timestamps are taken as wall-clock times of
/// that zone (the earlier of a repeated hour; a skipped hour's times move forward);
/// zoned ones are converted to it. Null timestamps give null values (the
/// __HIVE_DEFAULT_PARTITION__ folder).
struct DerivedPartitionColumn {
  std::string name;
  /// "year" ("2024"), "month" ("01"), "day" ("31"), "date" ("2024-12-31") or "strftime".
  std::string function;
  /// A timestamp column of the files; "auto": the only one they have.
  std::string source;
  /// strftime's format ("%Y-W%V"); not used by the other functions.
  std::string format;
};

/// How a schema rewrite casts (the original's CastPolicy): kStrict allows only
/// value-preserving promotions (checked at plan time); kSafe casts and fails on a value
/// that does not fit; kLoose casts unsafely but fails on a value that would become null
/// or overflow an integer (a float's fraction is dropped).
enum class CastPolicy : uint8_t { kStrict, kSafe, kLoose };
/// "strict", "safe", "loose" (any case); Invalid otherwise.
arrow::Result<CastPolicy> ParseCastPolicy(std::string_view name);
std::string_view CastPolicyName(CastPolicy policy);

/// Whether every value of `from` is exactly a value of `to`: integer widening (unsigned
/// into a strictly wider signed), float widening, a finer timestamp unit with the same
/// time zone, date32 to date64, string/binary/list to their large forms.
bool IsPromotion(const arrow::DataType& from, const arrow::DataType& to);

/// What a plan decided, as a value: it holds no lock and wrote nothing, and may be
/// executed later (ExecuteMaintenance) or elsewhere.
struct MaintenancePlan {
  Operation operation = Operation::kCompaction;
  std::string dataset_dir;
  /// Whether the filesystem renames atomically (local disks): the original's
  /// guarantee level "atomic_local", else "best_effort_object_store".
  bool atomic_rename = false;
  std::vector<PlannedFile> files;          ///< every data file considered, in path order
  std::vector<SnapshotEntry> snapshot;     ///< every visible file of the dataset folder
  std::vector<std::string> partition_filter;
  std::vector<std::string> partition_paths;  ///< folders holding considered files, sorted
  /// Every considered file's schema unified; `schema_promoted` when files differed.
  std::shared_ptr<arrow::Schema> schema;
  bool schema_promoted = false;
  std::string codec = kDefaultCodec;       ///< written by every output file
  bool codec_given = false;                ///< asked for: files in another codec are rewritten
  std::optional<int64_t> max_rows_per_file;  ///< target_rows_per_file: a hard bound
  std::optional<int64_t> target_bytes;       ///< target_mb_per_file in bytes
  /// Rows per row group the outputs' decoded rows are joined into (copied row groups
  /// stay as they are).
  int64_t row_group_rows = 0;
  std::vector<Group> groups;
  std::vector<SkippedFile> skipped;
  /// Deduplication: the key (every column of `schema` when none was given) and the
  /// survivor's order.
  std::vector<std::string> key_columns;
  std::vector<OrderColumn> order_by;
  /// Ordered compaction: the sort (ties keep dataset order).
  std::vector<SortColumn> sort_keys;
  /// Repartition: the new hive layout, and the dataset's hive keys now (their values,
  /// read from the folders as strings, become columns unless they are partition columns).
  std::vector<std::string> partition_columns;
  std::vector<std::string> hive_keys;
  /// Partition columns derived from timestamps (sources resolved, every name one of
  /// partition_columns), and the time zone they are derived in.
  std::vector<DerivedPartitionColumn> derived_columns;
  std::string partition_timezone = "UTC";
  /// Schema rewrite: the cast policy and the columns whose type changes (every group's
  /// schema is the target schema).
  CastPolicy cast_policy = CastPolicy::kSafe;
  std::vector<std::string> changed_fields;

  int64_t total_rows() const;
  int64_t total_bytes() const;

  /// The plan as bytes (codec.cc), for tasks in other processes and for plans kept past
  /// the process that made them; Deserialize refuses bytes of another version.
  std::string Serialize() const;
  static arrow::Result<MaintenancePlan> Deserialize(std::string_view bytes);
};

/// Whether executing `plan` keeps every row (all but deduplications).
bool KeepsRows(const MaintenancePlan& plan);

/// The original's plan_parquet_compaction. At least one target; both apply. Within each
/// partition folder, files under the byte target (and any over the row target) are
/// packed, smallest first, into groups that stay within both targets; a group of one
/// file is kept only to split it (over the row target) or to change its codec
/// (`compression` given and different).
struct CompactionOptions {
  std::optional<double> target_mb_per_file;
  std::optional<int64_t> target_rows_per_file;
  /// Partition folders (relative, "region=eu" or "region=eu/day=1") to limit the work
  /// to; whole folder names are matched, not string prefixes. Empty: all.
  std::vector<std::string> partition_filter;
  /// Codec of every output file; absent: kDefaultCodec, and files are not rewritten
  /// only for their codec.
  std::optional<std::string> compression;
};

/// The original's plan_parquet_partition_local_deduplication: every partition folder's
/// files are rewritten with one row per key.
struct DeduplicationOptions {
  /// The key; absent: all columns (exact duplicate rows). Present, it must name at
  /// least one column.
  std::optional<std::vector<std::string>> key_columns;
  /// Which row of a key survives: the first in this order ("-col" descending, nulls
  /// last, ties by dataset order). Empty: the last row in dataset order (file path, then
  /// row).
  std::vector<std::string> dedup_order_by;
  std::optional<double> target_mb_per_file;
  /// A hard bound on the rows of each output file.
  std::optional<int64_t> target_rows_per_file;
  std::vector<std::string> partition_filter;
  std::optional<std::string> compression;
};

/// The original's plan_parquet_ordered_compaction: every partition folder's files are
/// rewritten sorted (within the folder), cut into files of target_rows_per_file rows.
/// Sorting spills to the staging folder (an external merge sort) when the folder's rows
/// do not fit the budget.
struct OrderedCompactionOptions {
  std::vector<SortColumn> sort_keys;  ///< at least one; columns stored in the files
  std::optional<double> target_mb_per_file;
  std::optional<int64_t> target_rows_per_file;
  std::vector<std::string> partition_filter;
  std::optional<std::string> compression;
};

/// Plans from the listing and the footers (read a few at a time); writes nothing and
/// takes no lock. Invalid (the dataset untouched) for a bad target, codec or column, an
/// empty dataset or filter, a file that is not Parquet, or files whose schemas cannot
/// be reconciled; a path error when the folder does not exist.
arrow::Result<MaintenancePlan> PlanCompaction(const io::Location& location,
                                              const CompactionOptions& options);
arrow::Result<MaintenancePlan> PlanDeduplication(const io::Location& location,
                                                 const DeduplicationOptions& options);
arrow::Result<MaintenancePlan> PlanOrderedCompaction(const io::Location& location,
                                                     const OrderedCompactionOptions& options);

/// The original's plan_parquet_schema_rewrite: every partition folder's files rewritten
/// in `target_schema` (the same column names, in any order), joined into files of the
/// targets; values cast as `cast_policy` says.
struct SchemaRewriteOptions {
  std::shared_ptr<arrow::Schema> target_schema;
  CastPolicy cast_policy = CastPolicy::kSafe;
  std::optional<double> target_mb_per_file;
  std::optional<int64_t> target_rows_per_file;
  std::vector<std::string> partition_filter;
  std::optional<std::string> compression;
};
arrow::Result<MaintenancePlan> PlanSchemaRewrite(const io::Location& location,
                                                 const SchemaRewriteOptions& options);

/// The original's plan_parquet_optimization: with `deduplicate_key_columns` a
/// deduplication (PlanDeduplication, no target needed), else a compaction
/// (PlanCompaction, a target needed); the files are named optimized_*.
struct OptimizationOptions {
  std::optional<std::vector<std::string>> deduplicate_key_columns;
  std::vector<std::string> dedup_order_by;
  std::optional<double> target_mb_per_file;
  std::optional<int64_t> target_rows_per_file;
  std::vector<std::string> partition_filter;
  std::optional<std::string> compression;
};
arrow::Result<MaintenancePlan> PlanOptimization(const io::Location& location,
                                                const OptimizationOptions& options);

/// The original's plan_parquet_repartition: every row of the dataset into hive folders
/// of `partition_columns` (file columns, or keys of the folders the dataset has now),
/// which leave the files; the dataset's other hive keys become file columns (strings),
/// so no value is lost. Rows stream: memory holds rows waiting to be joined into row
/// groups, not the dataset.
struct RepartitionOptions {
  std::vector<std::string> partition_columns;
  /// Partition columns computed from timestamps; each name must be one of
  /// partition_columns and no column of the dataset.
  std::vector<DerivedPartitionColumn> derived_partition_columns;
  /// An IANA time zone ("UTC", "Europe/Berlin") the derived columns are computed in.
  std::string partition_timezone = "UTC";
  std::optional<double> target_mb_per_file;
  std::optional<int64_t> target_rows_per_file;
  std::optional<std::string> compression;
};
arrow::Result<MaintenancePlan> PlanRepartition(const io::Location& location,
                                               const RepartitionOptions& options);

/// The original's plan_parquet_global_repartition_deduplication: one row per key over
/// the whole dataset (the deduplication's rules; keys that do not fit the budget are
/// spilled by hash), written into hive folders as a repartition. Key and order columns
/// are file columns.
struct DeduplicateRepartitionOptions {
  std::vector<std::string> partition_columns;
  std::vector<DerivedPartitionColumn> derived_partition_columns;  ///< as RepartitionOptions
  std::string partition_timezone = "UTC";
  std::optional<std::vector<std::string>> key_columns;  ///< absent: whole rows
  std::vector<std::string> dedup_order_by;
  std::optional<double> target_mb_per_file;
  std::optional<int64_t> target_rows_per_file;
  std::optional<std::string> compression;
};
arrow::Result<MaintenancePlan> PlanDeduplicateAndRepartition(const io::Location& location,
                                                             const DeduplicateRepartitionOptions& options);

}  // namespace fsspeckit::maintenance
