// fsspeckit: a maintenance plan as the bindings hold it, shared by maintenance.cc
// (plan_*, pickling, local execution) and maintenance_tasks.cc (tasks run elsewhere).
#pragma once

#include <string>

#include <nanobind/nanobind.h>

#include "fsspeckit/io/location.h"
#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/plan.h"

namespace fsspeckit::python {

/// A plan held for execute_maintenance_plan, with how it is to be executed.
struct NativePlan {
  maintenance::MaintenancePlan plan;
  maintenance::ExecuteOptions execute;
};

/// The result as a dict (what the Python MaintenanceResult is built from), with
/// "_report" for its write_report().
nanobind::dict ResultWithReport(maintenance::MaintenanceResult result, const std::string& dataset_path);

/// `path` on `filesystem` (a capsule, or None for the local disk); errors spelled with
/// the maintenance arguments' names.
io::Location ResolveMaintenanceLocation(nanobind::handle filesystem, const std::string& path);

}  // namespace fsspeckit::python
