// fsspeckit: insert / update / upsert a table into a Parquet dataset on key columns: the
// local executor of plan -> tasks -> commit.
#include "fsspeckit/merge/merge.h"

#include <algorithm>
#include <optional>
#include <atomic>
#include <mutex>
#include <thread>

#include <arrow/memory_pool.h>

#include "io/commit_journal_internal.h"
#include "io/dataset_lock_internal.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/commit.h"
#include "io/parallel_for_internal.h"
#include "merge/planned_merge_internal.h"
#include "merge/task_internal.h"

namespace fsspeckit::merge {
namespace {

// What the writing phase may run at once, from the tasks' estimated peaks (MakePlan):
// tasks run side by side only when every set that could meet fits in what is left of the
// budget's admission share beside what the pool already holds (source, key index, plan).
// `max_workers`: 2 on a local disk (two cores' worth of decoding and encoding), more on
// object stores, where a task waits on round trips most of its time.
struct Admission {
  int rewrite_workers = 1;
  int beside_workers = 0;  // > 0: the insert task joins the rewrites' pool of this size
};

Admission Admit(const Plan& plan, const memory::Budget& budget, int max_workers) {
  Admission admission;
  if (std::thread::hardware_concurrency() < 2) return admission;
  int64_t rewrite_bytes = 0, insert_bytes = 0;
  int rewrites = 0;
  for (const MergeTask& task : plan.tasks) {
    if (task.kind == TaskKind::kRewrite) {
      rewrite_bytes = std::max(rewrite_bytes, task.estimated_bytes);
      ++rewrites;
    } else {
      insert_bytes += task.estimated_bytes;
    }
  }
  const int64_t room = budget.admission_bytes() - budget.monitor()->Snapshot().pool_bytes;
  int& workers = admission.rewrite_workers;
  while (workers < std::min(rewrites, max_workers) && (workers + 1) * rewrite_bytes <= room) {
    ++workers;
  }
  const bool memory_bound = workers < std::min(rewrites, max_workers);
  const int pool = std::min(workers + 1, max_workers);
  if (insert_bytes > 0 && rewrites > 0 && !memory_bound && pool >= 2 &&
      (pool - 1) * rewrite_bytes + insert_bytes <= room) {
    admission.beside_workers = pool;
  }
  return admission;
}

using TaskOutput = std::optional<arrow::Result<TaskResult>>;  // empty: not started

// Runs tasks `first..last` of the plan on `workers` threads (the caller's included);
// after a failure no further task starts.
void RunTasks(PlannedMerge& planned, const std::shared_ptr<arrow::fs::FileSystem>& fs,
              size_t first, size_t last, int workers, const TaskOptions& options,
              const LocalTaskContext& local, std::vector<TaskOutput>& outputs) {
  io::ParallelFor(first, last, workers, [&](size_t t) {
    arrow::Result<TaskInput> input = planned.local_input(static_cast<int64_t>(t));
    outputs[t] = input.ok() ? RunTask(planned.plan(), t, *input, fs, options, local)
                            : arrow::Result<TaskResult>(input.status());
    return outputs[t]->ok();
  });
}

// Tasks side by side may not fit where each fits alone (admission works from estimates,
// and the capped pool refuses what would pass the budget): after running out of memory
// that way, the tasks that did not complete run again, one at a time.
void RetryAloneAfterOutOfMemory(PlannedMerge& planned,
                                const std::shared_ptr<arrow::fs::FileSystem>& fs, size_t first,
                                size_t last, const TaskOptions& options,
                                const LocalTaskContext& local, std::vector<TaskOutput>& outputs) {
  bool out_of_memory = false;
  for (size_t t = first; t < last; ++t) {
    if (outputs[t] && !outputs[t]->ok()) {
      if (!outputs[t]->status().IsOutOfMemory()) return;  // a real failure: no retry
      out_of_memory = true;
    }
  }
  for (size_t t = first; out_of_memory && t < last; ++t) {
    if (outputs[t] && outputs[t]->ok()) continue;
    RunTasks(planned, fs, t, t + 1, 1, options, local, outputs);
    if (!outputs[t]->ok()) return;
  }
}

// Rewrites on as many threads as admitted; the insert task (last) beside them when
// the budget has room for it, else alone after them. Results in task order.
arrow::Result<std::vector<TaskResult>> RunLocally(PlannedMerge& planned,
                                                  const std::shared_ptr<arrow::fs::FileSystem>& fs,
                                                  const TaskOptions& options) {
  const Plan& plan = planned.plan();
  const Admission admission =
      Admit(plan, *planned.budget(), io::WorkersFor(*fs, /*local_workers=*/2));
  const size_t tasks = plan.tasks.size();
  // Inserts come last: one task, or several where a spilled merge has many new rows.
  const size_t first_insert = static_cast<size_t>(
      std::find_if(plan.tasks.begin(), plan.tasks.end(),
                   [](const MergeTask& task) { return task.kind == TaskKind::kInsert; }) -
      plan.tasks.begin());
  const bool has_insert = first_insert < tasks;
  const bool beside = has_insert && tasks - first_insert == 1 && admission.beside_workers > 0;
  const size_t together = has_insert && !beside ? first_insert : tasks;
  const int workers = beside ? admission.beside_workers : admission.rewrite_workers;
  std::vector<TaskOutput> outputs(tasks);
  LocalTaskContext local;
  local.perf = &planned.perf();
  local.insert_phase = beside ? "inserts" : "";  // alone, inserts are the phase
  local.decode_in_parallel = workers < 2;
  if (together > 0) planned.perf().StartOp("rewrites");
  RunTasks(planned, fs, 0, together, workers, options, local, outputs);
  if (workers > 1) RetryAloneAfterOutOfMemory(planned, fs, 0, together, options, local, outputs);
  if (together < tasks && std::all_of(outputs.begin(), outputs.begin() + together,
                                      [](const TaskOutput& o) { return o && o->ok(); })) {
    planned.perf().StartOp("inserts");
    RunTasks(planned, fs, together, tasks, 1, options, local, outputs);
  }
  std::vector<TaskResult> results;
  for (TaskOutput& output : outputs) {
    if (output && !output->ok()) return output->status();
  }
  for (TaskOutput& output : outputs) results.push_back(std::move(**output));
  return results;
}

}  // namespace

arrow::Result<Strategy> ParseStrategy(std::string_view name) {
  if (name == "insert") return Strategy::kInsert;
  if (name == "update") return Strategy::kUpdate;
  if (name == "upsert") return Strategy::kUpsert;
  return arrow::Status::Invalid("strategy must be one of: insert, update, upsert, got: ", name);
}

std::string_view StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kInsert: return "insert";
    case Strategy::kUpdate: return "update";
    case Strategy::kUpsert: return "upsert";
  }
  return "unknown";
}

arrow::Result<bool> RecoverDataset(const io::Location& location, const io::CommitOptions& commit) {
  ARROW_RETURN_NOT_OK(io::CheckExists(location));  // a typo must not create folders
  ARROW_ASSIGN_OR_RAISE(auto lock, io::DatasetLock::Acquire(location.filesystem, location.path, commit));
  ARROW_ASSIGN_OR_RAISE(io::RecoveryReport report, io::Recover(*location.filesystem, location.path));
  return report.rolled_forward || report.staging_dirs_removed > 0;
}

namespace {

arrow::Result<MergeResult> RunMerge(std::shared_ptr<arrow::RecordBatchReader> source,
                                    const io::Location& location, const MergeOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto planned, MakePlan(std::move(source), location, options,
                                               /*stage_source=*/false));
  int64_t work_rows = 0;
  for (const MergeTask& task : planned->plan().tasks) work_rows += task.work_rows;
  std::mutex progress_mutex;
  int64_t done_rows = 0;
  TaskOptions task_options;
  task_options.budget = planned->budget();
  task_options.stop = options.stop;
  task_options.collect = options.collect;
  task_options.hooks = options.commit.hooks;
  task_options.advance = [&](int64_t rows) -> arrow::Status {
    planned->perf().TrackMemory();  // peaks are sampled at every row group
    std::lock_guard<std::mutex> lock(progress_mutex);
    done_rows += rows;
    return options.progress ? options.progress(done_rows, work_rows) : arrow::Status::OK();
  };
  ARROW_ASSIGN_OR_RAISE(auto results,
                        RunLocally(*planned, planned->filesystem(), task_options));
  return Commit(std::move(planned), std::move(results));
}

}  // namespace

arrow::Result<MergeResult> Merge(std::shared_ptr<arrow::RecordBatchReader> source,
                                 const io::Location& location, const MergeOptions& options) {
  arrow::Result<MergeResult> result = RunMerge(std::move(source), location, options);
  if (!result.ok()) return NameTheBudget(result.status());
  return result;
}

}  // namespace fsspeckit::merge
