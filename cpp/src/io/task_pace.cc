// fsspeckit: what a task holds while it runs and does at every row group.
#include "io/task_pace_internal.h"

#include <algorithm>

#include "io/staged_commit_internal.h"

namespace fsspeckit::io {

arrow::Result<std::unique_ptr<TaskPace>> TaskPace::Make(TaskPaceOptions options) {
  std::unique_ptr<TaskPace> pace(new TaskPace(std::move(options)));
  pace->budget_ = pace->options_.budget;
  if (!pace->budget_) {
    ARROW_ASSIGN_OR_RAISE(pace->budget_, memory::Budget::Make(pace->options_.limits));
  }
  memory::DegradationLadderOptions ladder_options;
  ladder_options.requested_chunk_size_rows = 1;  // the ladder acts; rows are not resized
  ladder_options.collect = pace->options_.collect;
  ladder_options.observer = pace->options_.observer;
  pace->ladder_.emplace(pace->budget_->monitor(), ladder_options);
  pace->memory_peak_bytes_ = pace->budget_->monitor()->Snapshot().pool_bytes;
  return pace;
}

arrow::Status TaskPace::Advance(int64_t rows) {
  ARROW_RETURN_NOT_OK(CheckNotStopped(options_.stop, options_.operation));
  if (options_.hooks && options_.hooks->after_rewrite_row_group) {
    options_.hooks->after_rewrite_row_group(++row_groups_done_);
  }
  // Sampled at every row group: a task's peak is what admission must plan for.
  memory_peak_bytes_ = std::max(memory_peak_bytes_, budget_->monitor()->Snapshot().pool_bytes);
  return options_.advance ? options_.advance(rows) : arrow::Status::OK();
}

}  // namespace fsspeckit::io
