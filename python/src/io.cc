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
#include "filesystem.h"
#include "fsspeckit/io/read_parquet.h"
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

// A pyarrow Expression arrives serialized (its own pickling format, which Arrow C++
// reads back): pyarrow has no C API for expressions.
std::optional<arrow::compute::Expression> DeserializeFilter(nb::handle serialized) {
  if (serialized.is_none()) return std::nullopt;
  nb::bytes bytes = nb::cast<nb::bytes>(serialized);
  std::shared_ptr<arrow::Buffer> buffer =
      arrow::Buffer::FromString(std::string(bytes.c_str(), bytes.size()));
  return ValueOrThrow(arrow::compute::Deserialize(std::move(buffer)));
}

}  // namespace

void InitIo(nb::module_& m) {
  m.def(
      "read_parquet",
      [](const std::string& path, nb::handle filesystem,
         std::optional<std::vector<std::string>> columns, nb::handle filter, bool use_threads) {
        io::ReadParquetOptions options;
        options.columns = std::move(columns);
        options.filter = DeserializeFilter(filter);
        options.use_threads = use_threads;
        io::Location location = Resolve(filesystem, path);
        nb::gil_scoped_release nogil;
        return TableStream{ValueOrThrow(io::ReadParquet(location, options))};
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("columns").none(),
      nb::arg("filter").none(), nb::arg("use_threads"));

  m.def(
      "write_parquet",
      [](nb::handle data, const std::string& path, nb::handle filesystem,
         std::optional<std::string> compression, std::optional<int64_t> row_group_size) {
        auto reader = ImportStream(data);
        io::Location location = Resolve(filesystem, path);
        nb::gil_scoped_release nogil;
        ThrowIfError(io::WriteParquet(std::move(reader), location, {compression, row_group_size}));
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
        interrupt.Finish(written.status(),
                         "fsspeckit: the write had committed when the interrupt arrived: the "
                         "dataset holds its result",
                         "fsspeckit: the write was cancelled before its commit: the dataset is "
                         "unchanged");
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
