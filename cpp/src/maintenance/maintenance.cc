// fsspeckit: the local executor of maintenance: prepare -> tasks -> commit in this process.
#include "fsspeckit/maintenance/maintenance.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <thread>

#include "fsspeckit/maintenance/commit.h"
#include "fsspeckit/maintenance/task.h"
#include "io/parallel_for_internal.h"

namespace fsspeckit::maintenance {
namespace {

using TaskOutput = std::optional<arrow::Result<TaskResult>>;  // empty: not started

// Two groups at once when the two largest estimated peaks fit beside what the pool
// already holds, below where the ladder starts relieving.
int Workers(const MaintenancePlan& plan, const memory::Budget& budget) {
  if (std::thread::hardware_concurrency() < 2 || plan.groups.size() < 2) return 1;
  std::vector<int64_t> peaks;
  for (const Group& group : plan.groups) peaks.push_back(group.estimated_bytes);
  std::partial_sort(peaks.begin(), peaks.begin() + 2, peaks.end(), std::greater<>());
  const int64_t room = budget.admission_bytes() - budget.monitor()->Snapshot().pool_bytes;
  return peaks[0] + peaks[1] <= room ? 2 : 1;
}

arrow::Result<std::vector<TaskResult>> RunLocally(PreparedMaintenance& prepared,
                                                  const std::shared_ptr<arrow::fs::FileSystem>& fs) {
  const MaintenancePlan& plan = prepared.plan();
  const ExecuteOptions& options = prepared.options();
  int64_t total_rows = 0;
  for (const Group& group : plan.groups) total_rows += group.num_rows;
  std::mutex progress_mutex;
  int64_t done_rows = 0;
  TaskOptions task_options;
  task_options.budget = prepared.budget();
  task_options.collect = options.collect;
  task_options.stop = options.stop;
  task_options.hooks = options.commit.hooks;
  task_options.perf = &prepared.perf();
  task_options.advance = [&](int64_t rows) -> arrow::Status {
    prepared.perf().TrackMemory();
    std::lock_guard<std::mutex> lock(progress_mutex);
    done_rows += rows;
    return options.progress ? options.progress(done_rows, total_rows) : arrow::Status::OK();
  };
  std::vector<TaskOutput> outputs(plan.groups.size());
  auto run = [&](size_t first, size_t last, int workers) {
    io::ParallelFor(first, last, workers, [&](size_t g) {
      outputs[g] = RunTask(plan, prepared.staging_dir(), static_cast<int64_t>(g), fs, task_options);
      return outputs[g]->ok();
    });
  };
  const int workers = Workers(plan, *prepared.budget());
  // A task alone decodes and encodes a file's columns on the CPU pool; side by side each
  // keeps to its thread (the hand-offs would cost more than they overlap).
  task_options.use_threads = workers < 2 && std::thread::hardware_concurrency() >= 2;
  run(0, plan.groups.size(), workers);
  // Side by side, tasks may not fit where each fits alone: after running out of memory
  // that way, the groups that did not complete run again, one at a time.
  bool out_of_memory = false, other_failure = false;
  for (const TaskOutput& output : outputs) {
    if (output && !output->ok()) {
      (output->status().IsOutOfMemory() ? out_of_memory : other_failure) = true;
    }
  }
  if (workers > 1 && out_of_memory && !other_failure) {
    for (size_t g = 0; g < outputs.size(); ++g) {
      if (outputs[g] && outputs[g]->ok()) continue;
      run(g, g + 1, 1);
      if (!outputs[g]->ok()) break;
    }
  }
  std::vector<TaskResult> results;
  for (TaskOutput& output : outputs) {
    if (!output) continue;
    if (!output->ok()) return output->status();
  }
  for (TaskOutput& output : outputs) {
    if (!output) return arrow::Status::UnknownError("a group did not run");
    results.push_back(std::move(**output));
  }
  return results;
}

}  // namespace

arrow::Result<MaintenanceResult> ExecuteMaintenance(const MaintenancePlan& plan,
                                                    const io::Location& location,
                                                    const ExecuteOptions& options) {
  if (location.path != plan.dataset_dir) {
    return arrow::Status::Invalid("the plan is for '", plan.dataset_dir, "', not '", location.path,
                                  "': execute it on the filesystem and path it was planned on");
  }
  ARROW_RETURN_NOT_OK(options.limits.Validate());
  if (plan.groups.empty()) {
    // Nothing to rewrite: no lock, no staging (the original's no-op).
    MaintenanceResult result;
    result.operation = plan.operation;
    result.succeeded = true;
    result.phases.push_back({"write", true, "", 0.0});
    result.files_before = result.files_after = static_cast<int64_t>(plan.files.size());
    result.bytes_before = result.bytes_after = plan.total_bytes();
    result.rows_before = result.rows_after = plan.total_rows();
    return result;
  }
  MaintenanceResult failed;
  std::unique_ptr<PreparedMaintenance> prepared = Prepare(plan, location, options, failed);
  if (!prepared) return failed;
  arrow::Result<std::vector<TaskResult>> results = RunLocally(*prepared, prepared->filesystem());
  return Commit(std::move(prepared), std::move(results));
}

}  // namespace fsspeckit::maintenance
