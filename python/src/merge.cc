// fsspeckit: bindings for PyarrowDatasetIO.merge and .recover, and the merge's three
// steps (plan_merge, run_merge_task, PlannedMerge.commit) for executors written in Python.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "argument.h"
#include "arrow_stream.h"
#include "bytes_convert.h"
#include "errors.h"
#include "filesystem.h"
#include "fsspeckit/merge/merge.h"
#include "fsspeckit/merge/merge_report.h"
#include "fsspeckit/merge/commit.h"
#include "fsspeckit/merge/plan.h"
#include "fsspeckit/merge/task.h"
#include "init.h"
#include "interrupt.h"
#include "memory_convert.h"
#include "perf.h"
#include "py_object.h"
#include "test_hooks.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

nb::str Str(std::string_view text) { return nb::str(text.data(), text.size()); }

nb::dict ResultDict(const merge::MergeResult& r) {
  nb::dict d;
  d["strategy"] = Str(merge::StrategyName(r.strategy));
  d["source_count"] = r.source_count;
  d["target_count_before"] = r.target_count_before;
  d["target_count_after"] = r.target_count_after;
  d["inserted"] = r.inserted;
  d["updated"] = r.updated;
  d["deleted"] = r.deleted;
  d["keys_in_several_files"] = r.keys_in_several_files;
  nb::list files;
  for (const merge::MergedFile& f : r.files) {
    nb::object size = f.size_bytes ? nb::object(nb::int_(*f.size_bytes)) : nb::none();
    files.append(nb::make_tuple(f.path, f.row_count, f.operation, size));
  }
  d["files"] = files;
  d["rewritten_files"] = r.rewritten_files;
  d["inserted_files"] = r.inserted_files;
  d["preserved_files"] = r.preserved_files;
  d["removed_files"] = r.removed_files;
  nb::dict metrics = MetricsDict(r.metrics);
  nb::list tasks;
  for (const merge::TaskRecord& task : r.tasks) {
    nb::dict record;
    record["kind"] = task.kind;
    record["file"] = task.file.empty() ? nb::object(nb::none()) : nb::object(nb::str(task.file.c_str()));
    record["rows"] = task.rows;
    record["seconds"] = task.seconds;
    record["memory_peak_mb"] = BytesToMb(task.memory_peak_bytes);
    tasks.append(record);
  }
  metrics["tasks"] = tasks;
  nb::dict spill;  // all zero unless the source was larger than half the budget
  spill["bytes"] = r.spill.bytes;
  spill["parts"] = r.spill.parts;
  spill["passes"] = r.spill.passes;
  spill["files_scanned"] = r.spill.files_scanned;
  metrics["spill"] = spill;
  metrics["requests"] = r.requests;
  d["metrics"] = metrics;
  return d;
}

// Kept beside the Python MergeResult for its write_report(): the C++ result, which the
// report is rendered from.
struct MergeReport {
  merge::MergeResult result;
  std::string dataset_path;
};

// The result for Python, with the report it can render.
nb::dict ResultWithReport(merge::MergeResult merged, const std::string& dataset_path) {
  nb::dict d = ResultDict(merged);
  d["_report"] = nb::cast(MergeReport{std::move(merged), dataset_path});
  return d;
}

// The keyword arguments of _core.merge and _core.plan_merge: PyarrowDatasetIO.merge's own
// names (what io.py and the Ray executor pass, by keyword), each parsed under its name so
// that an error names the one the caller got wrong.
merge::MergeOptions MergeOptionsFrom(const nb::kwargs& arguments) {
  merge::MergeOptions options;
  double max_memory_mb = BytesToMb(merge::kDefaultMergeMaxPoolBytes);
  std::optional<double> max_process_memory_mb;
  double min_system_available_mb = BytesToMb(memory::kDefaultMinSystemAvailableBytes);
  for (auto [key, value] : arguments) {
    const std::string name = nb::cast<std::string>(key);
    if (name == "strategy") {
      options.strategy =
          ValueOrThrow(merge::ParseStrategy(Argument<std::string>(value, "strategy", "a str")));
    } else if (name == "key_columns") {
      options.key_columns = nb::cast<std::vector<std::string>>(value);
    } else if (name == "partition_columns") {
      options.partition_columns = nb::cast<std::vector<std::string>>(value);
    } else if (name == "schema") {
      if (!value.is_none()) options.schema = ImportSchema(value);
    } else if (name == "compression") {
      options.compression = OptionalArgument<std::string>(value, "compression", "a str or None");
    } else if (name == "max_rows_per_file") {
      options.max_rows_per_file = OptionalArgument<int64_t>(value, "max_rows_per_file", "an int or None");
    } else if (name == "row_group_size") {
      options.row_group_size = OptionalArgument<int64_t>(value, "row_group_size", "an int or None");
    } else if (name == "merge_chunk_size_rows") {
      options.chunk_size_rows = Argument<int64_t>(value, "merge_chunk_size_rows", "an int");
    } else if (name == "merge_max_memory_mb") {
      max_memory_mb = Argument<double>(value, "merge_max_memory_mb", "a number");
    } else if (name == "merge_max_process_memory_mb") {
      max_process_memory_mb =
          OptionalArgument<double>(value, "merge_max_process_memory_mb", "a number or None");
    } else if (name == "merge_min_system_available_mb") {
      min_system_available_mb = Argument<double>(value, "merge_min_system_available_mb", "a number");
    } else if (name == "collect") {
      options.collect = CollectHook(nb::borrow(value));
    } else if (name == "single_writer") {
      options.commit.single_writer = nb::cast<bool>(value);
    } else if (name == "durable") {
      options.commit.durable = nb::cast<bool>(value);
    } else {
      throw nb::type_error(("merge got an unexpected keyword argument '" + name + "'").c_str());
    }
  }
  options.limits = LimitsFromMb(max_memory_mb, max_process_memory_mb, min_system_available_mb,
                                kMergeLimits);
  options.commit.hooks = InstalledTestHooks();
  return options;
}

// A planned merge held by a Python executor until it commits or is dropped (dropped
// uncommitted: staging removed, lock released).
struct PyPlannedMerge {
  std::unique_ptr<merge::PlannedMerge> planned;

  merge::PlannedMerge& Get() {
    if (!planned) throw nb::value_error("this merge was already committed or aborted");
    return *planned;
  }
};

nb::dict TaskDict(const merge::MergeTask& task) {
  nb::dict d;
  d["kind"] = Str(merge::TaskKindName(task.kind));
  d["file"] = task.file.empty() ? nb::object(nb::none()) : nb::object(nb::str(task.file.c_str()));
  d["work_rows"] = task.work_rows;
  d["estimated_bytes"] = task.estimated_bytes;
  return d;
}

nb::dict TaskResultDict(const merge::TaskResult& result) {
  nb::dict d;
  d["task"] = result.task;
  d["attempt"] = result.attempt;
  d["rows"] = result.rows_written;
  d["matched_keys"] = result.matched_keys;
  d["seconds"] = result.seconds;
  d["memory_peak_mb"] = BytesToMb(result.memory_peak_bytes);
  nb::list staged;
  for (const io::WrittenFile& f : result.staged) staged.append(f.path);
  d["staged"] = staged;
  return d;
}

}  // namespace

void InitMerge(nb::module_& m) {
  // The library's defaults, said once in C++: the Python signatures read them from here.
  nb::dict defaults;
  defaults["max_pyarrow_mb"] = LimitMb(memory::kDefaultMaxPoolBytes);
  defaults["min_system_available_mb"] = LimitMb(memory::kDefaultMinSystemAvailableBytes);
  defaults["merge_max_memory_mb"] = LimitMb(merge::kDefaultMergeMaxPoolBytes);
  defaults["merge_chunk_size_rows"] = merge::kDefaultMergeChunkSizeRows;
  defaults["max_rows_per_file"] = io::kDefaultMaxRowsPerFile;
  defaults["row_group_size"] = io::kDefaultRowGroupSize;
  m.attr("DEFAULTS") = defaults;

  nb::class_<MergeReport>(m, "MergeReport")
      .def(
          "write",
          [](const MergeReport& self, const std::string& path) {
            ThrowIfError(merge::WriteMergeReport(self.result, self.dataset_path, path));
          },
          nb::arg("path"));

  m.def(
      "merge",
      [](nb::handle data, const std::string& path, nb::handle filesystem, nb::object progress,
         const nb::kwargs& arguments) {
        merge::MergeOptions options = MergeOptionsFrom(arguments);
        if (!progress.is_none() && !PyCallable_Check(progress.ptr())) {
          throw nb::type_error("merge_progress_callback must be callable or None");
        }
        options.progress = ProgressStatusCallback(std::move(progress), "merge_progress_callback");
        auto reader = ImportStream(data);
        io::Location location =
            ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
        InterruptScope interrupt;  // Ctrl-C cancels the merge before its commit point
        options.stop = interrupt.token();
        arrow::Result<merge::MergeResult> result = arrow::Status::UnknownError("not run");
        {
          nb::gil_scoped_release nogil;
          result = merge::Merge(std::move(reader), location, options);
        }
        interrupt.Finish(result.status(), "merge");
        return ResultWithReport(ValueOrThrow(std::move(result), kMergeLimits), location.path);
      },
      nb::arg("data"), nb::arg("path"), nb::arg("filesystem").none(), nb::arg("progress").none(),
      nb::arg("arguments"),
      "Merges by PyarrowDatasetIO.merge's keyword arguments (strategy=..., key_columns=...).");

  nb::class_<PyPlannedMerge>(m, "PlannedMerge",
                             "A merge between its plan and its commit; holds the dataset's lock. "
                             "Dropped or aborted uncommitted, its staging folder is removed.")
      .def_prop_ro("plan_bytes", [](PyPlannedMerge& self) { return Bytes(self.Get().plan().Serialize()); })
      .def_prop_ro("tasks",
                   [](PyPlannedMerge& self) {
                     nb::list tasks;
                     for (const merge::MergeTask& task : self.Get().plan().tasks) tasks.append(TaskDict(task));
                     return tasks;
                   })
      .def_prop_ro("staging_dir", [](PyPlannedMerge& self) { return self.Get().plan().staging_dir; })
      .def(
          "commit",
          [](PyPlannedMerge& self, std::vector<nb::bytes> results) {
            std::vector<merge::TaskResult> parsed;
            for (const nb::bytes& bytes : results) {
              parsed.push_back(ValueOrThrow(merge::TaskResult::Deserialize(View(bytes))));
            }
            self.Get();
            std::unique_ptr<merge::PlannedMerge> planned = std::move(self.planned);
            const std::string dataset_path = planned->plan().dataset_dir;
            merge::MergeResult result;
            {
              nb::gil_scoped_release nogil;
              result = ValueOrThrow(merge::Commit(std::move(planned), std::move(parsed)), kMergeLimits);
            }
            return ResultWithReport(std::move(result), dataset_path);
          },
          nb::arg("results"),
          "Checks one result per task and the staged files, then commits (journal, renames).")
      .def(
          "abort",
          [](PyPlannedMerge& self) {
            nb::gil_scoped_release nogil;
            self.planned.reset();
          },
          "Removes the staging folder and releases the lock; the dataset is unchanged.");

  m.def(
      "plan_merge",
      [](nb::handle data, const std::string& path, nb::handle filesystem, const nb::kwargs& arguments) {
        merge::MergeOptions options = MergeOptionsFrom(arguments);
        auto reader = ImportStream(data);
        io::Location location =
            ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
        auto planned = std::make_unique<PyPlannedMerge>();
        {
          nb::gil_scoped_release nogil;
          planned->planned = ValueOrThrow(
              merge::MakePlan(std::move(reader), location, options, /*stage_source=*/true),
              kMergeLimits);
        }
        return planned;
      },
      nb::arg("data"), nb::arg("path"), nb::arg("filesystem").none(), nb::arg("arguments"),
      "Plans a merge for tasks that run elsewhere (the source is staged in the dataset), "
      "by PyarrowDatasetIO.merge's keyword arguments.");

  m.def(
      "run_merge_task",
      [](nb::bytes plan_bytes, int64_t task, const std::string& path, nb::handle filesystem,
         double max_memory_mb, std::optional<double> max_process_memory_mb,
         double min_system_available_mb, nb::object collect) {
        merge::TaskOptions options;
        options.limits = LimitsFromMb(max_memory_mb, max_process_memory_mb, min_system_available_mb,
                                      kMergeLimits);
        ThrowIfError(options.limits.Validate(), kMergeLimits);
        options.collect = CollectHook(std::move(collect));
        options.hooks = InstalledTestHooks();
        io::Location location =
            ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
        merge::TaskResult result;
        {
          nb::gil_scoped_release nogil;
          merge::Plan plan = ValueOrThrow(merge::Plan::Deserialize(View(plan_bytes)));
          if (plan.dataset_dir != location.path) {
            ThrowIfError(arrow::Status::Invalid("the plan is for '", plan.dataset_dir,
                                                "', the task was given '", location.path, "'"));
          }
          merge::TaskInput input = ValueOrThrow(merge::LoadTaskInput(plan, task, location.filesystem));
          result = ValueOrThrow(merge::RunTask(plan, task, input, location.filesystem, options),
                                kMergeLimits);
        }
        return nb::make_tuple(Bytes(result.Serialize()), TaskResultDict(result));
      },
      nb::arg("plan"), nb::arg("task"), nb::arg("path"), nb::arg("filesystem").none(),
      nb::arg("max_memory_mb"), nb::arg("max_process_memory_mb").none(),
      nb::arg("min_system_available_mb"), nb::arg("collect").none(),
      "Runs one task of a serialized plan into the dataset's staging folder; returns "
      "(result bytes for commit, a summary dict).");

  m.def(
      "recover",
      [](const std::string& path, nb::handle filesystem, bool single_writer) {
        io::Location location =
            ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
        io::CommitOptions commit;
        commit.single_writer = single_writer;
        commit.hooks = InstalledTestHooks();
        nb::gil_scoped_release nogil;
        return ValueOrThrow(merge::RecoverDataset(location, commit));
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("single_writer"),
      "Completes or rolls back an interrupted merge; True when there was one.");
}

}  // namespace fsspeckit::python
