// fsspeckit: the dataset's schema and partitioning, which every file a merge writes follows.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/table.h>
#include <arrow/type.h>

namespace fsspeckit::merge {

/// The folder name hive writers (pyarrow's included) give a null partition value.
inline constexpr const char* kHiveNull = "__HIVE_DEFAULT_PARTITION__";

/// The hive `key=value/` folders of `path` below `dir`, in order, values URI-decoded
/// (kHiveNull left as it is; `key=/` is the empty string, as pyarrow reads it).
std::vector<std::pair<std::string, std::string>> HiveSegments(const std::string& dir,
                                                              const std::string& path);

/// The hive partition keys of a dataset, from its files' folders: the key sequence every
/// file shares (none for a flat dataset). Invalid, naming two files, when files disagree
/// (some under `region=...`, some not): such a dataset has no one partitioning to follow.
arrow::Result<std::vector<std::string>> HivePartitionKeys(const std::string& dir,
                                                          const std::vector<std::string>& paths);

/// The dataset's schema: the union of its files' schemas (partition folders excluded),
/// fields in the order first seen (files in path order). Where files type a column
/// differently, the type every one of them casts to safely (int32 and int64: int64),
/// as Arrow's permissive unification; Invalid naming the column, two files and their
/// types when there is none. The first file's schema metadata is kept.
arrow::Result<std::shared_ptr<arrow::Schema>> UnifyFileSchemas(
    const std::vector<std::string>& paths, const std::vector<std::shared_ptr<arrow::Schema>>& schemas);

/// Whether source values of `from` may be written into a column of `to`: same kind of
/// data (integers and floats and decimals; string kinds; binary kinds; one temporal
/// unit to another; null into anything), every value checked when cast. int64 into a
/// string column is not: it would turn numbers into text silently.
bool IsSafeCast(const arrow::DataType& from, const arrow::DataType& to);

/// Checks, before anything is written, that `source` fits `dataset` (the files' schema):
/// every source column is a dataset column or one of `partition_keys`; every differing
/// type casts safely and every value casts (TypeError naming the column and both types);
/// a column the source lacks must be nullable (it becomes null in the rows it writes).
arrow::Status CheckSourceFits(const arrow::Table& source, const arrow::Schema& dataset,
                              const std::vector<std::string>& partition_keys);

/// `batch`'s columns as `schema` has them: cast to its types, absent ones null, others
/// left out; `schema`'s metadata. TypeError naming the column, `where` and both types.
/// New columns are allocated from `pool` (a merge's capped pool).
arrow::Result<std::shared_ptr<arrow::RecordBatch>> ConformTo(
    const arrow::RecordBatch& batch, const arrow::Schema& schema, const std::string& where,
    arrow::MemoryPool* pool = arrow::default_memory_pool());

}  // namespace fsspeckit::merge
