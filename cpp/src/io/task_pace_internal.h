// fsspeckit: what a task of a merge or a maintenance run holds while it runs (its budget
// and the degradation ladder over it) and does at every row group (check for a stop, a
// crash test's hook, the pool's peak, the caller's progress).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <arrow/result.h>
#include <arrow/util/cancel.h>

#include "fsspeckit/io/test_hooks.h"
#include "fsspeckit/memory/budget.h"
#include "fsspeckit/memory/degradation_ladder.h"

namespace fsspeckit::io {

struct TaskPaceOptions {
  /// The operation's budget (the driver's, in its process); nullptr: one of `limits`, as
  /// a task on another machine has.
  std::shared_ptr<memory::Budget> budget;
  memory::MemoryLimits limits;
  /// The ladder's collector hook (Python: gc.collect) and who counts its steps.
  std::function<void()> collect;
  memory::DegradationObserver* observer = nullptr;
  /// Polled at every row group; `operation` ("merge", "compaction") names what it cancels.
  arrow::StopToken stop = arrow::StopToken::Unstoppable();
  std::string operation;
  /// TestHooks::after_rewrite_row_group fires at every row group; may be nullptr.
  const TestHooks* hooks = nullptr;
  /// The caller's progress: rows done since the last call; an error aborts the task.
  std::function<arrow::Status(int64_t)> advance;
};

class TaskPace {
 public:
  static arrow::Result<std::unique_ptr<TaskPace>> Make(TaskPaceOptions options);

  /// At every row group, `rows` done: a requested stop fails with Cancelled; then the
  /// hook, the pool's peak, the caller's progress.
  arrow::Status Advance(int64_t rows);

  memory::Budget& budget() { return *budget_; }
  memory::DegradationLadder& ladder() { return *ladder_; }
  /// The pool's peak seen at the start and at every Advance.
  int64_t memory_peak_bytes() const { return memory_peak_bytes_; }

 private:
  explicit TaskPace(TaskPaceOptions options) : options_(std::move(options)) {}

  TaskPaceOptions options_;
  std::shared_ptr<memory::Budget> budget_;
  std::optional<memory::DegradationLadder> ladder_;
  int64_t memory_peak_bytes_ = 0;
  int64_t row_groups_done_ = 0;
};

}  // namespace fsspeckit::io
