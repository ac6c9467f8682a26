// fsspeckit: the driver's side of a maintenance run around its tasks: before them the
// lock, the drift check and the staging folder; after them validation and the commit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/plan.h"
#include "fsspeckit/maintenance/task.h"
#include "fsspeckit/memory/budget.h"
#include "fsspeckit/perf/performance_monitor.h"

namespace fsspeckit::maintenance {

/// A run between its preparation and its commit: holds the dataset's lock and the
/// staging folder (removed when dropped uncommitted).
class PreparedMaintenance {
 public:
  struct State;  // prepared_internal.h
  explicit PreparedMaintenance(std::unique_ptr<State> state);
  ~PreparedMaintenance();

  const MaintenancePlan& plan() const;
  /// Tasks write under TaskDir(staging_dir(), group, attempt).
  const std::string& staging_dir() const;
  const std::shared_ptr<memory::Budget>& budget() const;
  perf::PerformanceMonitor& perf();
  /// The options it was prepared with (progress, stop, hooks for the tasks).
  const ExecuteOptions& options() const;
  /// The dataset's filesystem with every call counted (MaintenanceResult::requests);
  /// tasks run in this process go through it.
  const std::shared_ptr<arrow::fs::FileSystem>& filesystem() const;

 private:
  friend MaintenanceResult Commit(std::unique_ptr<PreparedMaintenance> prepared,
                                  arrow::Result<std::vector<TaskResult>> results);
  std::unique_ptr<State> state_;
};

/// Makes the run's budget, takes the dataset's lock, completes an interrupted commit,
/// checks that the dataset's files are those of the plan (before anything is written)
/// and makes the staging folder. On failure returns nullptr and sets `failed` (the
/// phase, the reason; nothing was written).
std::unique_ptr<PreparedMaintenance> Prepare(const MaintenancePlan& plan,
                                             const io::Location& location,
                                             const ExecuteOptions& options,
                                             MaintenanceResult& failed);

/// Takes the tasks' outcome (one result per group, or the failure that stopped them),
/// validates what they staged (files as reported, rows and schema as planned), then
/// commits through the journal: the dataset's files are checked once more, the outputs
/// moved into their partition folders and the group's files removed.
MaintenanceResult Commit(std::unique_ptr<PreparedMaintenance> prepared,
                         arrow::Result<std::vector<TaskResult>> results);

}  // namespace fsspeckit::maintenance
