// fsspeckit: what the two ways of planning a merge share: with the source in memory
// (plan.cc) and spilled to the staging folder (spilled_plan.cc).
#pragma once

#include <memory>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "fsspeckit/io/write_dataset.h"
#include "merge/planned_merge_internal.h"
#include "merge/spilled_source_internal.h"
#include "merge/target_scan_internal.h"

namespace fsspeckit::merge {

/// What rewriting `file` holds at its peak (plan.cc says how it is counted).
int64_t RewriteBytes(const TargetFile& file, const io::WriteDatasetOptions& write,
                     int64_t source_row_bytes);

/// Files the plan scans at once on `fs` within `budget`.
int ScanWorkers(const arrow::fs::FileSystem& fs, memory::Budget& budget);

/// Takes the dataset's lock, settles an interrupted merge and snapshots the files the
/// commit will check (an update of a missing dataset is refused first).
arrow::Status OpenDataset(PlannedMerge::State& state);

/// Plans a merge whose source did not fit its share of the budget: `head` (what was read
/// of it) and the rest of `reader` are spilled in parts by key, matched pass by pass,
/// and staged as the tasks read them. The tasks read their rows from the staged source.
arrow::Result<std::unique_ptr<PlannedMerge>> MakeSpilledPlan(
    SourceHead head, arrow::RecordBatchReader& reader, std::unique_ptr<PlannedMerge::State> state);

}  // namespace fsspeckit::merge
