// fsspeckit: the last of a merge's steps: check what the tasks staged, then commit it
// through the journal, once, on the driver's side.
#pragma once

#include <memory>
#include <vector>

#include <arrow/result.h>

#include "fsspeckit/merge/merge.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"

namespace fsspeckit::merge {

/// Checks that every task reported exactly once and that the files it staged exist as
/// reported, that the files it replaces are unchanged since the plan, then commits
/// through the journal and describes the result.
arrow::Result<MergeResult> Commit(std::unique_ptr<PlannedMerge> planned,
                                  std::vector<TaskResult> results);

}  // namespace fsspeckit::merge
