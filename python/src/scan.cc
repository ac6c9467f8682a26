// fsspeckit: bindings for chunked scans (process_in_chunks).
#include <memory>

#include <arrow/table.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include "argument.h"
#include "arrow_stream.h"
#include "errors.h"
#include "expression.h"
#include "filesystem.h"
#include "fsspeckit/io/location.h"
#include "fsspeckit/memory/memory_monitor.h"
#include "fsspeckit/scan/chunked_scanner.h"
#include "fsspeckit/scan/dataset_source.h"
#include "fsspeckit/scan/parquet_batch_source.h"
#include "init.h"
#include "memory_convert.h"
#include "fsspeckit/scan/batch_source.h"
#include "py_object.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

class ChunkIterator {
 public:
  explicit ChunkIterator(std::unique_ptr<scan::ChunkedScanner> scanner)
      : scanner_(std::move(scanner)) {}

  ~ChunkIterator() {
    // Row groups decoding ahead on a filesystem implemented in Python (fsspec) need the
    // GIL: wait for them without it. The callbacks the scanner holds are released
    // afterwards, with the GIL.
    nb::gil_scoped_release nogil;
    scanner_->Close();
  }

  TableStream Next() {
    std::shared_ptr<arrow::Table> chunk;
    {
      nb::gil_scoped_release nogil;  // hooks and callbacks take it back when they run
      chunk = ValueOrThrow(scanner_->Next());
    }
    if (!chunk) throw nb::stop_iteration();
    return TableStream{std::move(chunk)};
  }

  scan::ChunkedScanner& scanner() { return *scanner_; }

 private:
  std::unique_ptr<scan::ChunkedScanner> scanner_;
};

// process_in_chunks's arguments, with errors naming its parameters.
scan::ChunkedScanOptions ScanOptions(nb::handle chunk_size_rows, nb::handle monitor,
                                     nb::object progress, bool log_progress, nb::object collect) {
  scan::ChunkedScanOptions options;
  options.chunk_size_rows = Argument<int64_t>(chunk_size_rows, "chunk_size_rows", "an int");
  options.monitor = Argument<std::shared_ptr<memory::MemoryMonitor>>(monitor, "memory_monitor",
                                                                     "a MemoryMonitor or None");
  if (!progress.is_none() && !PyCallable_Check(progress.ptr())) {
    throw nb::type_error("progress_callback must be callable or None");
  }
  options.log_progress = log_progress;
  options.progress = ProgressCallback(std::move(progress));
  options.collect = CollectHook(std::move(collect));
  return options;
}

// What a scan may hold in read-ahead: a quarter of the budget (scan::OptionsForBudget).
int64_t BudgetBytes(const scan::ChunkedScanOptions& options) {
  if (!options.monitor) throw nb::type_error("memory_monitor must be a MemoryMonitor");
  return options.monitor->limits().max_pool_bytes;
}

}  // namespace

void InitScan(nb::module_& m) {
  nb::class_<ChunkIterator>(m, "_ChunkIterator")
      .def("__iter__", [](nb::handle self) { return self; })
      .def("__next__", &ChunkIterator::Next)
      .def_prop_ro("chunk_size_rows",
                   [](ChunkIterator& self) { return self.scanner().chunk_size_rows(); })
      .def_prop_ro("total_rows", [](ChunkIterator& self) { return self.scanner().total_rows(); });

  m.def(
      "scan_parquet",
      [](const std::string& path, nb::handle filesystem, nb::handle chunk_size_rows,
         nb::handle monitor, nb::object progress, bool log_progress,
         nb::object collect) {
        scan::ChunkedScanOptions options =
            ScanOptions(chunk_size_rows, monitor, std::move(progress), log_progress,
                        std::move(collect));
        std::shared_ptr<arrow::fs::FileSystem> fs = FileSystemFromCapsule(filesystem);
        auto source_options = scan::OptionsForBudget(BudgetBytes(options));
        std::unique_ptr<scan::ParquetBatchSource> source;
        {
          nb::gil_scoped_release nogil;
          io::Location location = ValueOrThrow(io::ResolveLocation(std::move(fs), path));
          source = ValueOrThrow(  // a missing path: a path error
              scan::ParquetBatchSource::Open(location.filesystem, location.path, source_options));
        }
        return std::make_unique<ChunkIterator>(
            ValueOrThrow(scan::ChunkedScanner::Make(std::move(source), std::move(options))));
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("chunk_size_rows"),
      nb::arg("monitor"), nb::arg("progress").none(), nb::arg("log_progress"),
      nb::arg("collect").none(),
      "Chunks of a Parquet file or hive dataset folder (a path or URI; filesystem is a "
      "_fs_bridge capsule or None), read row group by row group with read-ahead the ladder "
      "can drop.");

  m.def(
      "scan_dataset",
      [](nb::handle dataset, nb::handle filter, nb::handle chunk_size_rows, nb::handle monitor,
         nb::object progress, bool log_progress, nb::object collect) {
        scan::ChunkedScanOptions options =
            ScanOptions(chunk_size_rows, monitor, std::move(progress), log_progress,
                        std::move(collect));
        auto held = DatasetFromCapsule(dataset);
        auto predicate = DeserializeExpression(filter);
        std::unique_ptr<scan::BatchSource> source;
        {
          nb::gil_scoped_release nogil;
          source = ValueOrThrow(scan::OpenDatasetForScan(held, std::move(predicate),
                                                         BudgetBytes(options),
                                                         options.chunk_size_rows));
        }
        return std::make_unique<ChunkIterator>(
            ValueOrThrow(scan::ChunkedScanner::Make(std::move(source), std::move(options))));
      },
      nb::arg("dataset"), nb::arg("filter").none(), nb::arg("chunk_size_rows"),
      nb::arg("monitor"), nb::arg("progress").none(), nb::arg("log_progress"),
      nb::arg("collect").none(),
      "Chunks of a pyarrow.dataset.Dataset (a _fs_bridge dataset capsule) with an optional "
      "filter (a serialized Expression): Parquet read as scan_parquet reads a folder, other "
      "formats through Arrow's scanner, read ahead within a quarter of the budget.");

  m.def(
      "parquet_source",
      [](const std::string& path, nb::handle filesystem, double max_memory_mb) {
        auto fs = FileSystemFromCapsule(filesystem);
        nb::gil_scoped_release nogil;
        io::Location location = ValueOrThrow(io::ResolveLocation(std::move(fs), path));
        ThrowIfError(io::CheckExists(location));
        auto source = ValueOrThrow(scan::ParquetBatchSource::Open(
            location.filesystem, location.path, scan::OptionsForSourceOf(MbToBytes(max_memory_mb))));
        return ReaderStream{scan::AsRecordBatchReader(std::move(source))};
      },
      nb::arg("path"), nb::arg("filesystem").none(), nb::arg("max_memory_mb"),
      "A Parquet file or dataset folder as a stream read once, row group by row group, "
      "reading ahead within a merge budget of max_memory_mb (a merge's source).");

  m.def(
      "parquet_dataset_source",
      [](nb::handle dataset, nb::handle filter, double max_memory_mb) {
        auto held = DatasetFromCapsule(dataset);
        auto predicate = DeserializeExpression(filter);
        nb::gil_scoped_release nogil;
        auto source = ValueOrThrow(scan::ParquetBatchSource::Open(
            held, std::move(predicate), scan::OptionsForSourceOf(MbToBytes(max_memory_mb))));
        return ReaderStream{scan::AsRecordBatchReader(std::move(source))};
      },
      nb::arg("dataset"), nb::arg("filter").none(), nb::arg("max_memory_mb"),
      "A Parquet pyarrow.dataset.Dataset (a _fs_bridge dataset capsule) as parquet_source "
      "reads a folder.");

  m.def(
      "scan_stream",
      [](nb::handle stream, int64_t total_rows, nb::handle chunk_size_rows,
         nb::handle monitor, nb::object progress, bool log_progress,
         nb::object collect) {
        scan::ChunkedScanOptions options =
            ScanOptions(chunk_size_rows, monitor, std::move(progress), log_progress,
                        std::move(collect));
        auto source = scan::MakeReaderSource(ImportStream(stream), total_rows);
        return std::make_unique<ChunkIterator>(
            ValueOrThrow(scan::ChunkedScanner::Make(std::move(source), std::move(options))));
      },
      nb::arg("stream"), nb::arg("total_rows"), nb::arg("chunk_size_rows"), nb::arg("monitor"),
      nb::arg("progress").none(), nb::arg("log_progress"), nb::arg("collect").none(),
      "Chunks of any Arrow C stream (a table, or an object with __arrow_c_stream__, read "
      "on the caller's thread: it may need the GIL); total_rows may be -1 when unknown.");
}

}  // namespace fsspeckit::python
