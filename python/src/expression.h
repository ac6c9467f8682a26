// fsspeckit: pyarrow compute expressions across the seam.
#pragma once

#include <optional>

#include <arrow/compute/expression.h>
#include <nanobind/nanobind.h>

namespace fsspeckit::python {

/// None -> nullopt; bytes from pyarrow's own serialization of an Expression (its
/// pickling format, which Arrow C++ reads back: pyarrow has no C API for expressions).
std::optional<arrow::compute::Expression> DeserializeExpression(nanobind::handle serialized);

}  // namespace fsspeckit::python
