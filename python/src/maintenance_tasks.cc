// fsspeckit: bindings for maintenance tasks that run elsewhere (the Ray executor,
// fsspeckit/distributed/ray_maintenance.py): the driver prepares and commits, the workers
// run groups from the plan's bytes and send back their results as bytes.
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "bytes_convert.h"
#include "errors.h"
#include "fsspeckit/maintenance/commit.h"
#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/task.h"
#include "init.h"
#include "maintenance_plan.h"
#include "memory_convert.h"
#include "py_object.h"
#include "test_hooks.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

// A run whose tasks go elsewhere (Ray), between its preparation and its commit: holds
// the dataset's lock and the staging folder until committed or aborted.
struct PyPreparedMaintenance {
  std::unique_ptr<maintenance::PreparedMaintenance> prepared;
  std::string dataset_path;

  maintenance::PreparedMaintenance& Get() {
    if (!prepared) throw nb::value_error("this maintenance run was already committed or aborted");
    return *prepared;
  }
};

// The summary a worker's task sends back beside its result bytes.
nb::dict TaskSummary(const maintenance::TaskResult& result) {
  nb::dict d;
  d["group"] = result.group;
  d["attempt"] = result.attempt;
  d["rows"] = result.rows_written;
  d["seconds"] = result.seconds;
  d["memory_peak_mb"] = BytesToMb(result.memory_peak_bytes);
  return d;
}

// A failed task's status as a worker sends it: its code and its message, budget limits
// already spelled as the maintenance arguments (the typed detail does not cross).
arrow::Status StatusFrom(int code, const std::string& message) {
  const auto status_code = static_cast<arrow::StatusCode>(code);
  if (code <= 0 || status_code > arrow::StatusCode::AlreadyExists) {
    return arrow::Status::UnknownError(message);
  }
  return arrow::Status(status_code, message);
}

}  // namespace

void InitMaintenanceTasks(nb::module_& m) {
  nb::class_<PyPreparedMaintenance>(
      m, "PreparedMaintenance",
      "A maintenance run between its preparation and its commit, its tasks run elsewhere; "
      "holds the dataset's lock. Dropped or aborted uncommitted, its staging folder is removed.")
      .def_prop_ro("plan_bytes", [](PyPreparedMaintenance& self) { return Bytes(self.Get().plan().Serialize()); })
      .def_prop_ro("staging_dir", [](PyPreparedMaintenance& self) { return self.Get().staging_dir(); })
      .def_prop_ro("groups",
                   [](PyPreparedMaintenance& self) {
                     nb::list groups;
                     for (const maintenance::Group& g : self.Get().plan().groups) {
                       nb::dict d;
                       d["partition"] = g.partition;
                       d["rows"] = g.num_rows;
                       d["estimated_bytes"] = g.estimated_bytes;
                       groups.append(d);
                     }
                     return groups;
                   })
      .def_prop_ro("limits",
                   [](PyPreparedMaintenance& self) {
                     const memory::MemoryLimits& limits = self.Get().options().limits;
                     return nb::make_tuple(BytesToMb(limits.max_pool_bytes),
                                           limits.max_rss_bytes ? nb::object(nb::float_(BytesToMb(*limits.max_rss_bytes)))
                                                                : nb::none(),
                                           BytesToMb(limits.min_system_available_bytes));
                   })
      .def(
          "commit",
          [](PyPreparedMaintenance& self, std::vector<nb::bytes> results,
             std::optional<std::tuple<int, std::string>> failure) {
            self.Get();
            arrow::Result<std::vector<maintenance::TaskResult>> parsed = std::vector<maintenance::TaskResult>{};
            if (failure) {
              parsed = StatusFrom(std::get<0>(*failure), std::get<1>(*failure));
            } else {
              for (const nb::bytes& bytes : results) {
                parsed->push_back(ValueOrThrow(maintenance::TaskResult::Deserialize(View(bytes))));
              }
            }
            std::unique_ptr<maintenance::PreparedMaintenance> prepared = std::move(self.prepared);
            maintenance::MaintenanceResult result;
            {
              nb::gil_scoped_release nogil;
              result = maintenance::Commit(std::move(prepared), std::move(parsed));
            }
            return ResultWithReport(std::move(result), self.dataset_path);
          },
          nb::arg("results"), nb::arg("failure").none(),
          "Validates one result per group and commits; with `failure` (a task's status code "
          "and message) ends the run uncommitted, the dataset unchanged. Returns the result.")
      .def(
          "abort",
          [](PyPreparedMaintenance& self) {
            nb::gil_scoped_release nogil;
            self.prepared.reset();
          },
          "Removes the staging folder and releases the lock; the dataset is unchanged.");

  m.def(
      "prepare_maintenance",
      [](const NativePlan& native, nb::handle filesystem, nb::object collect) -> nb::object {
        maintenance::ExecuteOptions options = native.execute;
        options.collect = CollectHook(std::move(collect));
        options.commit.hooks = InstalledTestHooks();
        io::Location location = ResolveMaintenanceLocation(filesystem, native.plan.dataset_dir);
        if (native.plan.groups.empty() || location.path != native.plan.dataset_dir) {
          // Nothing to rewrite (the no-op result), or the wrong dataset (refused), as locally.
          maintenance::MaintenanceResult result;
          {
            nb::gil_scoped_release nogil;
            result = ValueOrThrow(maintenance::ExecuteMaintenance(native.plan, location, options),
                                  kMaintenanceLimits);
          }
          return ResultWithReport(std::move(result), location.path);
        }
        auto prepared = std::make_unique<PyPreparedMaintenance>();
        prepared->dataset_path = location.path;
        maintenance::MaintenanceResult failed;
        {
          nb::gil_scoped_release nogil;
          prepared->prepared = maintenance::Prepare(native.plan, location, options, failed);
        }
        if (!prepared->prepared) return ResultWithReport(std::move(failed), location.path);
        return nb::cast(std::move(prepared));
      },
      nb::arg("plan"), nb::arg("filesystem").none(), nb::arg("collect").none(),
      "Takes the lock, checks the dataset against the plan and makes the staging folder, for "
      "tasks run elsewhere: a PreparedMaintenance, or the result dict when it ends here "
      "(refused, or nothing to do).");

  m.def(
      "run_maintenance_task",
      [](const nb::bytes& plan_bytes, const std::string& staging_dir, int64_t group,
         nb::handle filesystem, double max_memory_mb, std::optional<double> max_process_memory_mb,
         double min_system_available_mb, nb::object collect) {
        maintenance::TaskOptions options;
        options.limits = LimitsFromMb(max_memory_mb, max_process_memory_mb, min_system_available_mb,
                                      kMaintenanceLimits);
        ThrowIfError(options.limits.Validate(), kMaintenanceLimits);
        options.collect = CollectHook(std::move(collect));
        options.hooks = InstalledTestHooks();
        maintenance::MaintenancePlan plan =
            ValueOrThrow(maintenance::MaintenancePlan::Deserialize(View(plan_bytes)));
        io::Location location = ResolveMaintenanceLocation(filesystem, plan.dataset_dir);
        if (location.path != plan.dataset_dir) {
          ThrowIfError(arrow::Status::Invalid("the plan is for '", plan.dataset_dir, "', the task was given '",
                                              location.path, "'"));
        }
        arrow::Result<maintenance::TaskResult> result = arrow::Status::UnknownError("not run");
        {
          nb::gil_scoped_release nogil;
          result = maintenance::RunTask(plan, staging_dir, group, location.filesystem, options);
        }
        if (!result.ok()) {
          const arrow::Status spelled = memory::SpellBudgetError(result.status(), kMaintenanceLimits);
          return nb::make_tuple(nb::none(), nb::make_tuple(static_cast<int>(spelled.code()), spelled.message()),
                                nb::dict());
        }
        return nb::make_tuple(Bytes(result->Serialize()), nb::none(), TaskSummary(*result));
      },
      nb::arg("plan"), nb::arg("staging_dir"), nb::arg("group"), nb::arg("filesystem").none(),
      nb::arg("max_memory_mb"), nb::arg("max_process_memory_mb").none(),
      nb::arg("min_system_available_mb"), nb::arg("collect").none(),
      "Runs one group of a serialized plan into the staging folder: (result bytes, None, "
      "summary), or (None, (status code, message), {}) when it failed.");
}

}  // namespace fsspeckit::python
