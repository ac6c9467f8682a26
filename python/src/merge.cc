// fsspeckit: bindings for PyarrowDatasetIO.merge and .recover.
#include <optional>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "arrow_stream.h"
#include "errors.h"
#include "filesystem.h"
#include "fsspeckit/merge/merge.h"
#include "fsspeckit/merge/merge_report.h"
#include "init.h"
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

  m.def(
      "merge",
      [](nb::handle data, const std::string& path, nb::handle filesystem, std::string strategy,
         std::vector<std::string> key_columns, std::vector<std::string> partition_columns,
         nb::handle schema, std::optional<std::string> compression,
         std::optional<int64_t> max_rows_per_file, std::optional<int64_t> row_group_size,
         double max_memory_mb, std::optional<double> max_process_memory_mb,
         double min_system_available_mb, nb::object progress, nb::object collect) {
        merge::MergeOptions options;
        options.strategy = std::move(strategy);
        options.key_columns = std::move(key_columns);
        options.partition_columns = std::move(partition_columns);
        if (!schema.is_none()) options.schema = ImportSchema(schema);
        options.compression = std::move(compression);
        options.max_rows_per_file = max_rows_per_file;
        options.row_group_size = row_group_size;
        options.limits = LimitsFromMb(max_memory_mb, max_process_memory_mb, min_system_available_mb);
        options.progress = ProgressStatusCallback(std::move(progress), "merge_progress_callback");
        options.collect = CollectHook(std::move(collect));
        ThrowIfError(options.limits.Validate());
        auto reader = ImportStream(data);
        io::Location location =
            ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
        merge::MergeResult result;
        {
          nb::gil_scoped_release nogil;
          result = ValueOrThrow(merge::Merge(std::move(reader), location, options));
        }
        nb::dict d = ResultDict(result);
        d["_report"] = nb::cast(MergeReport{std::move(result), location.path});
        return d;
      },
      nb::arg("data"), nb::arg("path"), nb::arg("filesystem").none(), nb::arg("strategy"),
      nb::arg("key_columns"), nb::arg("partition_columns"), nb::arg("schema").none(),
      nb::arg("compression").none(), nb::arg("max_rows_per_file").none(),
      nb::arg("row_group_size").none(), nb::arg("max_memory_mb"),
      nb::arg("max_process_memory_mb").none(), nb::arg("min_system_available_mb"),
      nb::arg("progress").none(), nb::arg("collect").none());

  m.def(
      "recover",
      [](const std::string& path, nb::handle filesystem) {
        io::Location location =
            ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
        nb::gil_scoped_release nogil;
        return ValueOrThrow(merge::RecoverDataset(location));
      },
      nb::arg("path"), nb::arg("filesystem").none(),
      "Completes or rolls back an interrupted merge; True when there was one.");
}

}  // namespace fsspeckit::python
