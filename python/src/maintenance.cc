// fsspeckit: bindings for dataset maintenance (the original's plan_parquet_* and
// execute_maintenance_plan): plans and results cross as plain dicts; plans pickle as
// bytes. Tasks run elsewhere (Ray): maintenance_tasks.cc.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/table.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "argument.h"
#include "arrow_stream.h"
#include "bytes_convert.h"
#include "errors.h"
#include "filesystem.h"
#include "fsspeckit/maintenance/commit.h"
#include "fsspeckit/maintenance/maintenance.h"
#include "fsspeckit/maintenance/maintenance_report.h"
#include "fsspeckit/maintenance/plan.h"
#include "fsspeckit/maintenance/task.h"
#include "init.h"
#include "interrupt.h"
#include "maintenance_plan.h"
#include "memory_convert.h"
#include "perf.h"
#include "py_object.h"
#include "test_hooks.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

// Kept beside the Python MaintenanceResult for its write_report().
struct MaintenanceReport {
  maintenance::MaintenanceResult result;
  std::string dataset_path;
};

// The settings of a plan's execution that are kept with it: memory_budget_mb,
// single_writer, durable (the plan_* arguments), in that order.
using PlanSettings = std::tuple<double, bool, bool>;

PlanSettings SettingsOf(const maintenance::ExecuteOptions& execute) {
  return {BytesToMb(execute.limits.max_pool_bytes), execute.commit.single_writer, execute.commit.durable};
}

nb::object OptionalInt(const std::optional<int64_t>& value) {
  return value ? nb::object(nb::int_(*value)) : nb::none();
}

nb::dict PlanDict(const maintenance::MaintenancePlan& plan) {
  nb::dict d;
  d["operation"] = std::string(maintenance::OperationName(plan.operation));
  d["dataset_path"] = plan.dataset_dir;
  d["atomic_rename"] = plan.atomic_rename;
  nb::list files;
  for (const maintenance::PlannedFile& f : plan.files) {
    files.append(nb::make_tuple(f.relative_path, f.path, f.size_bytes, f.num_rows, f.codec));
  }
  d["files"] = files;
  nb::dict mtimes;
  for (const maintenance::SnapshotEntry& entry : plan.snapshot) mtimes[entry.path.c_str()] = entry.mtime_ns;
  d["mtimes_ns"] = mtimes;
  d["partition_filter"] = plan.partition_filter;
  d["partition_paths"] = plan.partition_paths;
  d["schema"] = nb::cast(TableStream{arrow::Table::MakeEmpty(plan.schema).ValueOrDie()});
  d["schema_promoted"] = plan.schema_promoted;
  d["codec"] = plan.codec;
  d["max_rows_per_file"] = OptionalInt(plan.max_rows_per_file);
  d["target_byte_size"] = OptionalInt(plan.target_bytes);
  nb::list groups;
  for (const maintenance::Group& g : plan.groups) {
    groups.append(nb::make_tuple(g.partition, std::vector<int>(g.files), g.num_rows, g.size_bytes));
  }
  d["groups"] = groups;
  nb::list skipped;
  for (const maintenance::SkippedFile& s : plan.skipped) skipped.append(nb::make_tuple(s.file, s.reason));
  d["skipped"] = skipped;
  d["key_columns"] = plan.key_columns;
  d["deduplicating"] = !maintenance::KeepsRows(plan);
  d["partition_columns"] = plan.partition_columns;
  nb::list derived;
  for (const maintenance::DerivedPartitionColumn& c : plan.derived_columns) {
    derived.append(nb::make_tuple(c.name, c.function, c.source, c.format));
  }
  d["derived_partition_keys"] = derived;
  d["partition_timezone"] = plan.partition_timezone;
  d["cast_policy"] = std::string(maintenance::CastPolicyName(plan.cast_policy));
  d["changed_fields"] = plan.changed_fields;
  d["target_schema"] = plan.groups.empty() || plan.operation != maintenance::Operation::kSchemaRewrite
                           ? nb::object(nb::none())
                           : nb::cast(TableStream{arrow::Table::MakeEmpty(plan.groups[0].schema).ValueOrDie()});
  nb::list order;
  for (const maintenance::OrderColumn& o : plan.order_by) order.append(nb::make_tuple(o.column, o.descending));
  d["order_by"] = order;
  nb::list sort_keys;
  for (const maintenance::SortColumn& k : plan.sort_keys) {
    sort_keys.append(nb::make_tuple(k.column, k.descending, k.nulls_first));
  }
  d["sort_keys"] = sort_keys;
  return d;
}

nb::dict ResultDict(const maintenance::MaintenanceResult& r) {
  nb::dict d;
  d["succeeded"] = r.succeeded;
  d["committed"] = r.committed;
  d["error"] = r.succeeded ? nb::object(nb::none())
                           : nb::object(nb::str(maintenance::FailureMessage(r, kMaintenanceLimits).c_str()));
  nb::list phases;
  for (const maintenance::PhaseOutcome& p : r.phases) {
    nb::object error =
        p.succeeded ? nb::object(nb::none())
                    : nb::object(nb::str(memory::SpellBudgetError(r.status, kMaintenanceLimits).message().c_str()));
    phases.append(nb::make_tuple(p.phase, p.succeeded, error, p.seconds));
  }
  d["phases"] = phases;
  d["validated"] = r.validated ? nb::object(nb::bool_(*r.validated)) : nb::none();
  d["staged_rows"] = r.staged_rows;
  d["expected_rows"] = r.expected_rows;
  nb::list published;
  for (const io::WrittenFile& f : r.published) published.append(nb::make_tuple(f.path, f.row_count, f.size_bytes));
  d["published"] = published;
  d["removed"] = r.removed;
  d["files_before"] = r.files_before;
  d["files_after"] = r.files_after;
  d["bytes_before"] = r.bytes_before;
  d["bytes_after"] = r.bytes_after;
  d["rows_before"] = r.rows_before;
  d["rows_after"] = r.rows_after;
  d["row_groups_copied"] = r.row_groups_copied;
  d["row_groups_encoded"] = r.row_groups_encoded;
  nb::dict metrics = MetricsDict(r.metrics);
  nb::list tasks;
  for (const maintenance::TaskRecord& t : r.tasks) {
    nb::dict task;
    task["partition"] = t.partition;
    task["files_read"] = t.files_read;
    task["files_written"] = t.files_written;
    task["rows_read"] = t.rows_read;
    task["rows_written"] = t.rows_written;
    task["row_groups_copied"] = t.row_groups_copied;
    task["row_groups_encoded"] = t.row_groups_encoded;
    task["spill_buckets"] = t.spill_buckets;
    task["seconds"] = t.seconds;
    task["memory_peak_mb"] = BytesToMb(t.memory_peak_bytes);
    tasks.append(task);
  }
  metrics["tasks"] = tasks;
  metrics["requests"] = r.requests;
  d["metrics"] = metrics;
  return d;
}

std::optional<double> OptionalMb(nb::handle value) {
  return OptionalArgument<double>(value, "target_mb_per_file", "a number or None");
}

std::optional<int64_t> OptionalRows(nb::handle value) {
  return OptionalArgument<int64_t>(value, "target_rows_per_file", "an int or None");
}

// The execution settings every plan_* takes: memory_budget_mb, single_writer, durable.
maintenance::ExecuteOptions ExecuteFrom(nb::handle memory_budget_mb, bool single_writer, bool durable) {
  maintenance::ExecuteOptions options;
  const double budget_mb =
      memory_budget_mb.is_none()
          ? BytesToMb(maintenance::kDefaultMaintenanceMaxPoolBytes)
          : Argument<double>(memory_budget_mb, "memory_budget_mb", "a number or None");
  options.limits = LimitsFromMb(budget_mb, std::nullopt,
                                BytesToMb(memory::kDefaultMinSystemAvailableBytes), kMaintenanceLimits);
  ThrowIfError(options.limits.Validate(), kMaintenanceLimits);
  options.commit.single_writer = single_writer;
  options.commit.durable = durable;
  return options;
}

// A plan kept as bytes (pickled, or saved by to_json) back with its execution settings.
std::unique_ptr<NativePlan> NativePlanFromBytes(const nb::bytes& plan_bytes, const PlanSettings& settings) {
  auto native = std::make_unique<NativePlan>();
  const auto& [memory_budget_mb, single_writer, durable] = settings;
  native->execute = ExecuteFrom(nb::float_(memory_budget_mb), single_writer, durable);
  native->plan = ValueOrThrow(maintenance::MaintenancePlan::Deserialize(View(plan_bytes)));
  return native;
}

// derived_partition_columns as Python converted it: (name, function, source, format).
std::vector<maintenance::DerivedPartitionColumn> DerivedColumns(
    const std::vector<std::tuple<std::string, std::string, std::string, std::string>>& items) {
  std::vector<maintenance::DerivedPartitionColumn> columns;
  for (const auto& [name, function, source, format] : items) columns.push_back({name, function, source, format});
  return columns;
}

// sort_keys items: the original's strings ("col", "-col") or (column, descending,
// nulls_first) tuples (SortKey, converted in Python).
std::vector<maintenance::SortColumn> SortColumns(nb::handle items) {
  std::vector<maintenance::SortColumn> keys;
  for (nb::handle item : items) {
    if (nb::isinstance<nb::str>(item)) {
      keys.push_back(ValueOrThrow(maintenance::ParseSortKey(nb::cast<std::string>(item))));
    } else {
      auto [column, descending, nulls_first] = nb::cast<std::tuple<std::string, bool, bool>>(item);
      keys.push_back({column, descending, nulls_first});
    }
  }
  return keys;
}


// What every plan_* binding shares: where the dataset is, the budget and commit options
// its execution will use, and the plan made without the GIL (budget errors spelled as the
// original's memory_budget_mb).
template <typename Options, typename Planner>
std::unique_ptr<NativePlan> MakeNativePlan(const std::string& path, nb::handle filesystem,
                                           nb::handle memory_budget_mb, bool single_writer,
                                           bool durable, const Options& options, Planner planner) {
  auto native = std::make_unique<NativePlan>();
  native->execute = ExecuteFrom(memory_budget_mb, single_writer, durable);
  io::Location location = ResolveMaintenanceLocation(filesystem, path);
  {
    nb::gil_scoped_release nogil;
    native->plan = ValueOrThrow(planner(location, options), kMaintenanceLimits);
  }
  return native;
}

// The output sizes, partition filter and codec most operations take.
template <typename Options>
void SetFileSizes(Options& options, nb::handle target_mb_per_file, nb::handle target_rows_per_file,
                  std::vector<std::string> partition_filter, std::optional<std::string> compression) {
  options.target_mb_per_file = OptionalMb(target_mb_per_file);
  options.target_rows_per_file = OptionalRows(target_rows_per_file);
  options.partition_filter = std::move(partition_filter);
  options.compression = std::move(compression);
}

}  // namespace

nb::dict ResultWithReport(maintenance::MaintenanceResult result, const std::string& dataset_path) {
  nb::dict d = ResultDict(result);
  d["_report"] = nb::cast(MaintenanceReport{std::move(result), dataset_path});
  return d;
}

io::Location ResolveMaintenanceLocation(nb::handle filesystem, const std::string& path) {
  return ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path), kMaintenanceLimits);
}

void InitMaintenance(nb::module_& m) {
  nb::dict defaults;
  defaults["memory_budget_mb"] = LimitMb(maintenance::kDefaultMaintenanceMaxPoolBytes);
  defaults["codec"] = maintenance::kDefaultCodec;
  m.attr("MAINTENANCE_DEFAULTS") = defaults;

  nb::class_<NativePlan>(m, "MaintenancePlanHandle",
                         "A maintenance plan as C++ holds it, with its execution settings.")
      .def_prop_ro("info", [](const NativePlan& self) { return PlanDict(self.plan); })
      .def_prop_ro("plan_bytes", [](const NativePlan& self) { return Bytes(self.plan.Serialize()); })
      .def_prop_ro("settings",
                   [](const NativePlan& self) {
                     const auto [memory_budget_mb, single_writer, durable] = SettingsOf(self.execute);
                     nb::dict d;
                     d["memory_budget_mb"] = memory_budget_mb;
                     d["single_writer"] = single_writer;
                     d["durable"] = durable;
                     return d;
                   })
      .def("__getstate__",
           [](const NativePlan& self) { return nb::make_tuple(Bytes(self.plan.Serialize()), SettingsOf(self.execute)); })
      .def("__setstate__", [](NativePlan& self, std::tuple<nb::bytes, PlanSettings> state) {
        std::unique_ptr<NativePlan> back = NativePlanFromBytes(std::get<0>(state), std::get<1>(state));
        new (&self) NativePlan{std::move(back->plan), std::move(back->execute)};
      });

  m.def(
      "maintenance_plan_from_bytes",
      [](const nb::bytes& plan_bytes, double memory_budget_mb, bool single_writer, bool durable) {
        return NativePlanFromBytes(plan_bytes, {memory_budget_mb, single_writer, durable});
      },
      nb::arg("plan_bytes"), nb::arg("memory_budget_mb"), nb::arg("single_writer"), nb::arg("durable"),
      "A plan from MaintenancePlanHandle.plan_bytes (ValueError for damaged or foreign bytes).");

  nb::class_<MaintenanceReport>(m, "MaintenanceReport")
      .def(
          "write",
          [](const MaintenanceReport& self, const std::string& path) {
            ThrowIfError(maintenance::WriteMaintenanceReport(self.result, self.dataset_path, path));
          },
          nb::arg("path"));

  m.def(
      "plan_compaction",
      [](const std::string& path, nb::handle filesystem, nb::handle target_mb_per_file,
         nb::handle target_rows_per_file, std::vector<std::string> partition_filter,
         std::optional<std::string> compression, nb::handle memory_budget_mb, bool single_writer,
         bool durable) {
        maintenance::CompactionOptions options;
        SetFileSizes(options, target_mb_per_file, target_rows_per_file, std::move(partition_filter),
                     std::move(compression));
        return MakeNativePlan(path, filesystem, memory_budget_mb, single_writer, durable, options,
                              maintenance::PlanCompaction);
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("target_mb_per_file").none(),
      nb::arg("target_rows_per_file").none(), nb::arg("partition_filter"),
      nb::arg("compression").none(), nb::arg("memory_budget_mb").none(), nb::arg("single_writer"),
      nb::arg("durable"),
      "Plans a compaction from listings and footers; writes nothing.");

  m.def(
      "plan_deduplication",
      [](const std::string& path, nb::handle filesystem, std::optional<std::vector<std::string>> key_columns,
         std::vector<std::string> dedup_order_by, nb::handle target_mb_per_file,
         nb::handle target_rows_per_file, std::vector<std::string> partition_filter,
         std::optional<std::string> compression, nb::handle memory_budget_mb, bool single_writer,
         bool durable) {
        maintenance::DeduplicationOptions options;
        options.key_columns = std::move(key_columns);
        options.dedup_order_by = std::move(dedup_order_by);
        SetFileSizes(options, target_mb_per_file, target_rows_per_file, std::move(partition_filter),
                     std::move(compression));
        return MakeNativePlan(path, filesystem, memory_budget_mb, single_writer, durable, options,
                              maintenance::PlanDeduplication);
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("key_columns").none(),
      nb::arg("dedup_order_by"), nb::arg("target_mb_per_file").none(),
      nb::arg("target_rows_per_file").none(), nb::arg("partition_filter"),
      nb::arg("compression").none(), nb::arg("memory_budget_mb").none(), nb::arg("single_writer"),
      nb::arg("durable"),
      "Plans a partition-local deduplication from listings and footers; writes nothing.");

  m.def(
      "plan_ordered_compaction",
      [](const std::string& path, nb::handle filesystem, nb::handle sort_keys,
         nb::handle target_mb_per_file, nb::handle target_rows_per_file,
         std::vector<std::string> partition_filter, std::optional<std::string> compression,
         nb::handle memory_budget_mb, bool single_writer, bool durable) {
        maintenance::OrderedCompactionOptions options;
        options.sort_keys = SortColumns(sort_keys);
        SetFileSizes(options, target_mb_per_file, target_rows_per_file, std::move(partition_filter),
                     std::move(compression));
        return MakeNativePlan(path, filesystem, memory_budget_mb, single_writer, durable, options,
                              maintenance::PlanOrderedCompaction);
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("sort_keys"),
      nb::arg("target_mb_per_file").none(), nb::arg("target_rows_per_file").none(),
      nb::arg("partition_filter"), nb::arg("compression").none(), nb::arg("memory_budget_mb").none(),
      nb::arg("single_writer"), nb::arg("durable"),
      "Plans an ordered compaction from listings and footers; writes nothing.");

  m.def(
      "plan_optimization",
      [](const std::string& path, nb::handle filesystem,
         std::optional<std::vector<std::string>> deduplicate_key_columns,
         std::vector<std::string> dedup_order_by, nb::handle target_mb_per_file,
         nb::handle target_rows_per_file, std::vector<std::string> partition_filter,
         std::optional<std::string> compression, nb::handle memory_budget_mb, bool single_writer,
         bool durable) {
        maintenance::OptimizationOptions options;
        options.deduplicate_key_columns = std::move(deduplicate_key_columns);
        options.dedup_order_by = std::move(dedup_order_by);
        SetFileSizes(options, target_mb_per_file, target_rows_per_file, std::move(partition_filter),
                     std::move(compression));
        return MakeNativePlan(path, filesystem, memory_budget_mb, single_writer, durable, options,
                              maintenance::PlanOptimization);
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("deduplicate_key_columns").none(),
      nb::arg("dedup_order_by"), nb::arg("target_mb_per_file").none(),
      nb::arg("target_rows_per_file").none(), nb::arg("partition_filter"),
      nb::arg("compression").none(), nb::arg("memory_budget_mb").none(), nb::arg("single_writer"),
      nb::arg("durable"),
      "Plans an optimization (a deduplication with keys, else a compaction); writes nothing.");

  m.def(
      "plan_repartition",
      [](const std::string& path, nb::handle filesystem, std::vector<std::string> partition_columns,
         const std::vector<std::tuple<std::string, std::string, std::string, std::string>>& derived,
         const std::string& partition_timezone, nb::handle target_mb_per_file,
         nb::handle target_rows_per_file, std::optional<std::string> compression,
         nb::handle memory_budget_mb, bool single_writer, bool durable) {
        maintenance::RepartitionOptions options;
        options.partition_columns = std::move(partition_columns);
        options.derived_partition_columns = DerivedColumns(derived);
        options.partition_timezone = partition_timezone;
        options.target_mb_per_file = OptionalMb(target_mb_per_file);
        options.target_rows_per_file = OptionalRows(target_rows_per_file);
        options.compression = std::move(compression);
        return MakeNativePlan(path, filesystem, memory_budget_mb, single_writer, durable, options,
                              maintenance::PlanRepartition);
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("partition_columns"),
      nb::arg("derived_partition_columns"), nb::arg("partition_timezone"),
      nb::arg("target_mb_per_file").none(), nb::arg("target_rows_per_file").none(),
      nb::arg("compression").none(), nb::arg("memory_budget_mb").none(), nb::arg("single_writer"),
      nb::arg("durable"),
      "Plans a repartition from listings and footers; writes nothing.");

  m.def(
      "plan_deduplicate_repartition",
      [](const std::string& path, nb::handle filesystem, std::vector<std::string> partition_columns,
         const std::vector<std::tuple<std::string, std::string, std::string, std::string>>& derived,
         const std::string& partition_timezone,
         std::optional<std::vector<std::string>> key_columns, std::vector<std::string> dedup_order_by,
         nb::handle target_mb_per_file, nb::handle target_rows_per_file,
         std::optional<std::string> compression, nb::handle memory_budget_mb, bool single_writer,
         bool durable) {
        maintenance::DeduplicateRepartitionOptions options;
        options.partition_columns = std::move(partition_columns);
        options.derived_partition_columns = DerivedColumns(derived);
        options.partition_timezone = partition_timezone;
        options.key_columns = std::move(key_columns);
        options.dedup_order_by = std::move(dedup_order_by);
        options.target_mb_per_file = OptionalMb(target_mb_per_file);
        options.target_rows_per_file = OptionalRows(target_rows_per_file);
        options.compression = std::move(compression);
        return MakeNativePlan(path, filesystem, memory_budget_mb, single_writer, durable, options,
                              maintenance::PlanDeduplicateAndRepartition);
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("partition_columns"),
      nb::arg("derived_partition_columns"), nb::arg("partition_timezone"),
      nb::arg("key_columns").none(), nb::arg("dedup_order_by"), nb::arg("target_mb_per_file").none(),
      nb::arg("target_rows_per_file").none(), nb::arg("compression").none(),
      nb::arg("memory_budget_mb").none(), nb::arg("single_writer"), nb::arg("durable"),
      "Plans a global deduplication written into new hive folders; writes nothing.");

  m.def(
      "plan_schema_rewrite",
      [](const std::string& path, nb::handle filesystem, nb::handle target_schema,
         const std::string& cast_policy, nb::handle target_mb_per_file, nb::handle target_rows_per_file,
         std::vector<std::string> partition_filter, std::optional<std::string> compression,
         nb::handle memory_budget_mb, bool single_writer, bool durable) {
        maintenance::SchemaRewriteOptions options;
        options.target_schema = ImportSchema(target_schema);
        options.cast_policy = ValueOrThrow(maintenance::ParseCastPolicy(cast_policy));
        SetFileSizes(options, target_mb_per_file, target_rows_per_file, std::move(partition_filter),
                     std::move(compression));
        return MakeNativePlan(path, filesystem, memory_budget_mb, single_writer, durable, options,
                              maintenance::PlanSchemaRewrite);
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("target_schema"), nb::arg("cast_policy"),
      nb::arg("target_mb_per_file").none(), nb::arg("target_rows_per_file").none(),
      nb::arg("partition_filter"), nb::arg("compression").none(), nb::arg("memory_budget_mb").none(),
      nb::arg("single_writer"), nb::arg("durable"),
      "Plans a schema rewrite from listings and footers; writes nothing.");

  m.def(
      "execute_maintenance",
      [](const NativePlan& native, nb::handle filesystem, nb::object progress, nb::object collect) {
        maintenance::ExecuteOptions options = native.execute;
        if (!progress.is_none() && !PyCallable_Check(progress.ptr())) {
          throw nb::type_error("progress_callback must be callable or None");
        }
        options.progress = ProgressStatusCallback(std::move(progress), "progress_callback");
        options.collect = CollectHook(std::move(collect));
        options.commit.hooks = InstalledTestHooks();
        io::Location location = ResolveMaintenanceLocation(filesystem, native.plan.dataset_dir);
        const std::string operation(maintenance::OperationName(native.plan.operation));
        InterruptScope interrupt;  // Ctrl-C cancels the run before its commit point
        options.stop = interrupt.token();
        arrow::Result<maintenance::MaintenanceResult> result = arrow::Status::UnknownError("not run");
        {
          nb::gil_scoped_release nogil;
          result = maintenance::ExecuteMaintenance(native.plan, location, options);
        }
        arrow::Status outcome = result.ok() ? result->status : result.status();
        interrupt.Finish(outcome, operation);
        maintenance::MaintenanceResult done = ValueOrThrow(std::move(result), kMaintenanceLimits);
        // Raised, not reported: a stop the caller asked for, and a callback's own exception.
        if (done.status.IsCancelled() || dynamic_cast<const PythonErrorDetail*>(done.status.detail().get())) {
          ThrowIfError(done.status, kMaintenanceLimits);
        }
        return ResultWithReport(std::move(done), location.path);
      },
      nb::arg("plan"), nb::arg("filesystem").none(), nb::arg("progress").none(),
      nb::arg("collect").none(),
      "Executes a plan on the dataset it was made for; failures are in the result.");
}

}  // namespace fsspeckit::python
