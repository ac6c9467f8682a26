// fsspeckit: bindings for PyarrowDatasetIO's reads and writes.
#include <optional>
#include <string>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/compute/expression.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "arrow_stream.h"
#include "errors.h"
#include "test_hooks.h"
#include "expression.h"
#include "filesystem.h"
#include "fsspeckit/io/dataset_stats.h"
#include "fsspeckit/io/read_parquet.h"
#include "fsspeckit/io/retry_options.h"
#include "fsspeckit/io/write_dataset.h"
#include "fsspeckit/io/write_parquet.h"
#include "init.h"
#include "interrupt.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

io::Location Resolve(nb::handle filesystem, const std::string& path) {
  return ValueOrThrow(io::ResolveLocation(FileSystemFromCapsule(filesystem), path));
}

}  // namespace

void InitIo(nb::module_& m) {
  m.def(
      "set_retry_options",
      [](int max_attempts, int64_t base_delay_ms, int64_t max_delay_ms) {
        io::SetRetryOptions(io::RetryOptions{max_attempts, base_delay_ms, max_delay_ms});
      },
      nb::arg("max_attempts"), nb::arg("base_delay_ms"), nb::arg("max_delay_ms"),
      "Retries of transient store answers, for operations that start from now on.");
  m.def(
      "retry_options",
      [] {
        io::RetryOptions options = io::GetRetryOptions();
        nb::dict out;
        out["max_attempts"] = options.max_attempts;
        out["base_delay_ms"] = options.base_delay_ms;
        out["max_delay_ms"] = options.max_delay_ms;
        return out;
      },
      "The process's retry options as a dict.");

  m.def(
      "read_parquet",
      [](const std::string& path, nb::handle filesystem,
         std::optional<std::vector<std::string>> columns, nb::handle filter, bool use_threads) {
        io::ReadParquetOptions options;
        options.columns = std::move(columns);
        options.filter = DeserializeExpression(filter);
        options.use_threads = use_threads;
        io::Location location = Resolve(filesystem, path);
        nb::gil_scoped_release nogil;
        return TableStream{ValueOrThrow(io::ReadParquet(location, options))};
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("columns").none(),
      nb::arg("filter").none(), nb::arg("use_threads"));

  m.def(
      "read_parquet_schema",
      [](const std::string& path, nb::handle filesystem) {
        io::Location location = Resolve(filesystem, path);
        std::shared_ptr<arrow::Schema> schema;
        {
          nb::gil_scoped_release nogil;
          schema = ValueOrThrow(io::ReadParquetSchema(location));
        }
        return TableStream{arrow::Table::MakeEmpty(schema).ValueOrDie()};
      },
      nb::arg("path"), nb::arg("filesystem").none(),
      "An empty table with the schema read_parquet would return (SQL filters need it).");

  m.def(
      "collect_dataset_stats",
      [](const std::string& path, nb::handle filesystem,
         std::vector<std::string> partition_filter) {
        io::Location location = Resolve(filesystem, path);
        io::DatasetStats stats;
        {
          nb::gil_scoped_release nogil;
          stats = ValueOrThrow(io::CollectDatasetStats(location, partition_filter));
        }
        nb::list files;
        for (const io::FileStats& file : stats.files) {
          nb::dict entry;
          entry["path"] = file.path;
          entry["size_bytes"] = file.size_bytes;
          entry["num_rows"] = file.num_rows;
          files.append(entry);
        }
        nb::dict result;
        result["files"] = files;
        result["total_bytes"] = stats.total_bytes;
        result["total_rows"] = stats.total_rows;
        return result;
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("partition_filter"),
      "{'files': [{'path', 'size_bytes', 'num_rows'}], 'total_bytes', 'total_rows'}.");

  m.def(
      "write_parquet",
      [](nb::handle data, const std::string& path, nb::handle filesystem,
         std::optional<std::string> compression, std::optional<int64_t> row_group_size) {
        auto reader = ImportStream(data);
        io::Location location = Resolve(filesystem, path);
        nb::gil_scoped_release nogil;
        ThrowIfError(
            io::WriteParquet(std::move(reader), location, {compression, row_group_size}).status());
      },
      nb::arg("data"), nb::arg("path"), nb::arg("filesystem").none(),
      nb::arg("compression").none(), nb::arg("row_group_size").none());

  m.def(
      "write_dataset",
      [](nb::handle data, const std::string& path, nb::handle filesystem, std::string mode,
         std::optional<std::string> basename_template, nb::handle schema,
         std::vector<std::string> partition_by, std::string partitioning_flavor,
         std::optional<std::string> compression, std::optional<int64_t> max_rows_per_file,
         std::optional<int64_t> row_group_size, bool single_writer, bool durable) {
        io::WriteDatasetOptions options;
        options.commit.single_writer = single_writer;
        options.commit.hooks = InstalledTestHooks();
        options.commit.durable = durable;
        options.mode = std::move(mode);
        options.basename_template = std::move(basename_template);
        if (!schema.is_none()) options.schema = ImportSchema(schema);
        options.partition_by = std::move(partition_by);
        options.partitioning_flavor = std::move(partitioning_flavor);
        options.compression = std::move(compression);
        options.max_rows_per_file = max_rows_per_file;
        options.row_group_size = row_group_size;
        auto reader = ImportStream(data);
        io::Location location = Resolve(filesystem, path);
        InterruptScope interrupt;  // Ctrl-C cancels the write before its commit point
        options.stop = interrupt.token();
        arrow::Result<io::WriteDatasetResult> written = arrow::Status::UnknownError("not run");
        {
          nb::gil_scoped_release nogil;
          written = io::WriteDataset(std::move(reader), location, options);
        }
        interrupt.Finish(written.status(), "write");
        io::WriteDatasetResult result = ValueOrThrow(std::move(written));
        nb::list files;
        for (const io::WrittenFile& file : result.files) {
          files.append(nb::make_tuple(file.path, file.row_count, file.size_bytes));
        }
        return files;
      },
      nb::arg("data"), nb::arg("path"), nb::arg("filesystem").none(), nb::arg("mode"),
      nb::arg("basename_template").none(), nb::arg("schema").none(), nb::arg("partition_by"),
      nb::arg("partitioning_flavor"), nb::arg("compression").none(),
      nb::arg("max_rows_per_file").none(), nb::arg("row_group_size").none(),
      nb::arg("single_writer"), nb::arg("durable"),
      "Returns [(path, row_count, size_bytes)] of the files written.");
}

}  // namespace fsspeckit::python
