// fsspeckit: Arrow data across the seam as Arrow C streams (__arrow_c_stream__).
#pragma once

#include <memory>

#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <nanobind/nanobind.h>

namespace fsspeckit::python {

/// A table handed to Python: `pa.table(holder)` imports it without copying.
struct TableStream {
  std::shared_ptr<arrow::Table> table;
};

/// A stream C++ reads (a Parquet source read row group by row group) handed to Python
/// once: `__arrow_c_stream__` moves it out, as a RecordBatchReader's does.
struct ReaderStream {
  std::shared_ptr<arrow::RecordBatchReader> reader;
};

/// Any object with __arrow_c_stream__ (pa.Table, RecordBatchReader, polars, ...).
/// TypeError otherwise. The returned reader never needs the GIL unless the producer is
/// implemented in Python.
std::shared_ptr<arrow::RecordBatchReader> ImportStream(nanobind::handle obj);

/// Any object with __arrow_c_schema__ (pa.Schema, pa.Field types, ...).
std::shared_ptr<arrow::Schema> ImportSchema(nanobind::handle obj);

/// Registers fsspeckit._core._TableStream and _ReaderStream.
void InitArrowStream(nanobind::module_& m);

}  // namespace fsspeckit::python
