// fsspeckit: bindings for merge_upsert_pyarrow / merge_update_pyarrow (in-memory merges).
#include <memory>
#include <string>
#include <vector>

#include <arrow/table.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "arrow_stream.h"
#include "errors.h"
#include "fsspeckit/merge/table_merge.h"
#include "init.h"

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

// The binding's object: the C++ merge behind a pointer (it is neither copied nor moved).
struct PyTableMerge {
  std::unique_ptr<merge::TableMerge> merge;
};

TableStream AsTable(const std::shared_ptr<arrow::Schema>& schema,
                    std::shared_ptr<arrow::RecordBatch> batch) {
  return TableStream{ValueOrThrow(arrow::Table::FromRecordBatches(schema, {std::move(batch)}))};
}

}  // namespace

void InitTableMerge(nb::module_& m) {
  nb::class_<PyTableMerge>(m, "_TableMerge")
      .def(
          "__init__",
          [](PyTableMerge* self, nb::handle source, nb::handle existing_schema,
             std::vector<std::string> key_columns, const std::string& strategy) {
            auto reader = ImportStream(source);
            auto schema = ImportSchema(existing_schema);
            std::unique_ptr<merge::TableMerge> made;
            {
              nb::gil_scoped_release nogil;
              made = ValueOrThrow(merge::TableMerge::Make(std::move(reader), std::move(schema),
                                                          std::move(key_columns), strategy));
            }
            new (self) PyTableMerge{std::move(made)};
          },
          nb::arg("source"), nb::arg("existing_schema"), nb::arg("key_columns"),
          nb::arg("strategy"))
      .def(
          "filter",
          [](PyTableMerge& self, nb::handle existing) {
            auto reader = ImportStream(existing);
            nb::gil_scoped_release nogil;
            arrow::RecordBatchVector kept;
            std::shared_ptr<arrow::RecordBatch> batch;
            while (true) {
              ThrowIfError(reader->ReadNext(&batch));
              if (!batch) break;
              kept.push_back(ValueOrThrow(self.merge->Filter(std::move(batch))));
            }
            return TableStream{
                ValueOrThrow(arrow::Table::FromRecordBatches(self.merge->schema(), kept))};
          },
          nb::arg("existing"),
          "The rows of an existing chunk whose key the source does not have.")
      .def(
          "tail",
          [](PyTableMerge& self) {
            nb::gil_scoped_release nogil;
            return AsTable(self.merge->schema(), ValueOrThrow(self.merge->Tail()));
          },
          "The source rows that follow the existing ones.");
}

}  // namespace fsspeckit::python
