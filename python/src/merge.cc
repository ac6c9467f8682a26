// fsspeckit: bindings for PyarrowDatasetIO.merge and .recover.
#include <optional>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "argument.h"
#include "arrow_stream.h"
#include "errors.h"
#include "filesystem.h"
#include "fsspeckit/merge/merge.h"
#include "fsspeckit/merge/merge_report.h"
#include "init.h"
#include "interrupt.h"
#include "memory_convert.h"
#include "perf.h"
#include "py_object.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

nb::dict ResultDict(const merge::MergeResult& r) {
  nb::dict d;
  d["strategy"] = r.strategy;
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
  d["metrics"] = MetricsDict(r.metrics);
  return d;
}

// Kept beside the Python MergeResult for its write_report(): the C++ result, which the
// report is rendered from.
struct MergeReport {
  merge::MergeResult result;
  std::string dataset_path;
};

}  // namespace

void InitMerge(nb::module_& m) {
  nb::class_<MergeReport>(m, "MergeReport")
      .def(
          "write",
          [](const MergeReport& self, const std::string& path) {
            ThrowIfError(merge::WriteMergeReport(self.result, self.dataset_path, path));
          },
          nb::arg("path"));

  // Parameters carry the names of PyarrowDatasetIO.merge's, so that an error names the
  // one the caller got wrong.
  m.def(
      "merge",
      [](nb::handle data, const std::string& path, nb::handle filesystem, nb::handle strategy,
         std::vector<std::string> key_columns, std::vector<std::string> partition_columns,
         nb::handle schema, nb::handle compression, nb::handle max_rows_per_file,
         nb::handle row_group_size, nb::handle merge_chunk_size_rows,
         nb::handle merge_max_memory_mb, nb::handle merge_max_process_memory_mb,
         nb::handle merge_min_system_available_mb, nb::object merge_progress_callback,
         nb::object collect, bool single_writer, bool durable) {
        merge::MergeOptions options;
        options.strategy = Argument<std::string>(strategy, "strategy", "a str");
        options.key_columns = std::move(key_columns);
        options.partition_columns = std::move(partition_columns);
        if (!schema.is_none()) options.schema = ImportSchema(schema);
        options.compression =
            OptionalArgument<std::string>(compression, "compression", "a str or None");
        options.max_rows_per_file =
            OptionalArgument<int64_t>(max_rows_per_file, "max_rows_per_file", "an int or None");
        options.row_group_size =
            OptionalArgument<int64_t>(row_group_size, "row_group_size", "an int or None");
        options.chunk_size_rows =
            Argument<int64_t>(merge_chunk_size_rows, "merge_chunk_size_rows", "an int");
        options.limits = LimitsFromMb(
            Argument<double>(merge_max_memory_mb, "merge_max_memory_mb", "a number"),
            OptionalArgument<double>(merge_max_process_memory_mb, "merge_max_process_memory_mb",
                                     "a number or None"),
            Argument<double>(merge_min_system_available_mb, "merge_min_system_available_mb",
                             "a number"),
            merge::kMergeLimitNames);
        if (!merge_progress_callback.is_none() && !PyCallable_Check(merge_progress_callback.ptr())) {
          throw nb::type_error("merge_progress_callback must be callable or None");
        }
        options.progress =
            ProgressStatusCallback(std::move(merge_progress_callback), "merge_progress_callback");
        options.collect = CollectHook(std::move(collect));
        options.commit.single_writer = single_writer;
        options.commit.durable = durable;
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
        merge::MergeResult merged = ValueOrThrow(std::move(result));
        nb::dict d = ResultDict(merged);
        d["_report"] = nb::cast(MergeReport{std::move(merged), location.path});
        return d;
      },
      nb::arg("data"), nb::arg("path"), nb::arg("filesystem").none(), nb::arg("strategy").none(),
      nb::arg("key_columns"), nb::arg("partition_columns"), nb::arg("schema").none(),
      nb::arg("compression").none(), nb::arg("max_rows_per_file").none(),
      nb::arg("row_group_size").none(), nb::arg("merge_chunk_size_rows").none(),
      nb::arg("merge_max_memory_mb").none(), nb::arg("merge_max_process_memory_mb").none(),
      nb::arg("merge_min_system_available_mb").none(), nb::arg("merge_progress_callback").none(),
      nb::arg("collect").none(), nb::arg("single_writer"),
      nb::arg("durable"));

  m.def(
      "recover",
      [](const std::string& path, nb::handle filesystem, bool single_writer) {
        io::Location location =
            ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
        io::CommitOptions commit;
        commit.single_writer = single_writer;
        nb::gil_scoped_release nogil;
        return ValueOrThrow(merge::RecoverDataset(location, commit));
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("single_writer"),
      "Completes or rolls back an interrupted merge; True when there was one.");
}

}  // namespace fsspeckit::python
