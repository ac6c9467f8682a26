// fsspeckit: a target file as a rewrite reads it: row group by row group, with the rows
// whose key the source replaces already replaced (row order kept).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include <arrow/record_batch.h>
#include <parquet/arrow/reader.h>

#include "fsspeckit/memory/degradation_ladder.h"
#include "merge/key_index_internal.h"
#include "merge/source_rows_internal.h"
#include "merge/target_scan_internal.h"

namespace fsspeckit::merge {

/// The rows replacing the keys of one row group, and their index.
struct ReplacingRows {
  SourceRows rows;
  std::unique_ptr<KeyIndex> keys;
};
/// Loads the rows replacing a row group's keys: a spilled merge's rewrite holds one row
/// group's at a time, however many its file has.
using LoadReplacingRows = std::function<arrow::Result<std::unique_ptr<ReplacingRows>>(int row_group)>;

/// The rows of `file` (opened by `reader`) in reads of the reader's batch size, with the
/// rows whose key `keys` holds replaced by their source rows. The ladder runs before every
/// row group; `advance` is told the rows of every batch; `matched_rows` counts
/// replacements. `planned`: the key columns the plan read from this file, by row group (may
/// be nullptr); the row groups found there are read without their key columns, and each
/// entry is freed once used. Row groups in `skipped` are not read at all (the caller
/// copies them raw). With `load_replacing`, each matched row group's replacing rows are
/// loaded as it starts, in place of `keys` and `source` (which then only name the keys).
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> MakeRewriteReader(
    std::unique_ptr<parquet::arrow::FileReader> reader, const TargetFile& file, KeyIndex& keys,
    const SourceRows& source, memory::DegradationLadder& ladder,
    std::function<arrow::Status(int64_t)> advance, arrow::MemoryPool* pool, int64_t& matched_rows,
    std::map<int, PlannedKeys>* planned, std::set<int> skipped = {},
    LoadReplacingRows load_replacing = {});

}  // namespace fsspeckit::merge
