// fsspeckit: what the driver of a maintenance run holds between preparation and commit.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "fsspeckit/maintenance/commit.h"
#include "io/counting_filesystem_internal.h"
#include "io/dataset_lock_internal.h"
#include "io/dataset_snapshot_internal.h"
#include "io/staged_commit_internal.h"

namespace fsspeckit::maintenance {

struct PreparedMaintenance::State {
  /// First: everything below may hold buffers from its pool.
  std::shared_ptr<memory::Budget> budget;
  io::Location location;  ///< its filesystem counts its calls into `requests`
  std::shared_ptr<io::RequestCounts> requests = std::make_shared<io::RequestCounts>();
  MaintenancePlan plan;
  ExecuteOptions options;
  std::unique_ptr<io::DatasetLock> lock;
  io::DatasetSnapshot planned;              ///< the plan's snapshot, as the commit checks it
  std::optional<io::StagedCommit> staging;  ///< after the lock: removed before it is released
  std::unique_ptr<perf::PerformanceMonitor> perf;
  MaintenanceResult result;                 ///< the phases so far
  std::chrono::steady_clock::time_point phase_start;
};

}  // namespace fsspeckit::maintenance
