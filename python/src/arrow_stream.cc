// fsspeckit: Arrow data across the seam as Arrow C streams (__arrow_c_stream__).
#include "arrow_stream.h"

#include <arrow/c/bridge.h>

#include "errors.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

nb::capsule ExportStream(const std::shared_ptr<arrow::RecordBatchReader>& reader) {
  auto* stream = new ArrowArrayStream;
  arrow::Status st = arrow::ExportRecordBatchReader(reader, stream);
  if (!st.ok()) {
    delete stream;
    throw StatusError(st);
  }
  return nb::capsule(stream, "arrow_array_stream", [](void* p) noexcept {
    auto* s = static_cast<ArrowArrayStream*>(p);
    if (s->release) s->release(s);
    delete s;
  });
}

}  // namespace

std::shared_ptr<arrow::RecordBatchReader> ImportStream(nb::handle obj) {
  if (!nb::hasattr(obj, "__arrow_c_stream__")) {
    throw nb::type_error(
        "expected Arrow data: a pyarrow Table or RecordBatchReader, or any object with "
        "__arrow_c_stream__ (polars, pandas through pyarrow, ...)");
  }
  nb::object capsule = obj.attr("__arrow_c_stream__")();
  auto* stream = static_cast<ArrowArrayStream*>(
      PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
  if (!stream) throw nb::python_error();
  return ValueOrThrow(arrow::ImportRecordBatchReader(stream));  // moves; capsule no-ops
}

std::shared_ptr<arrow::Schema> ImportSchema(nb::handle obj) {
  if (!nb::hasattr(obj, "__arrow_c_schema__")) {
    throw nb::type_error("expected a pyarrow.Schema (an object with __arrow_c_schema__)");
  }
  nb::object capsule = obj.attr("__arrow_c_schema__")();
  auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_schema"));
  if (!schema) throw nb::python_error();
  return ValueOrThrow(arrow::ImportSchema(schema));
}

void InitArrowStream(nb::module_& m) {
  nb::class_<TableStream>(m, "_TableStream")
      .def(
          "__arrow_c_stream__",
          [](TableStream& self, nb::object /*requested_schema*/) {
            return ExportStream(std::make_shared<arrow::TableBatchReader>(self.table));
          },
          nb::arg("requested_schema").none() = nb::none())
      .def_prop_ro("num_rows", [](TableStream& self) { return self.table->num_rows(); });
  nb::class_<ReaderStream>(m, "_ReaderStream")
      .def(
          "__arrow_c_stream__",
          [](ReaderStream& self, nb::object /*requested_schema*/) {
            if (!self.reader) {
              throw nb::value_error("this Parquet source was read already: a stream is read once");
            }
            return ExportStream(std::move(self.reader));
          },
          nb::arg("requested_schema").none() = nb::none());
}

}  // namespace fsspeckit::python
