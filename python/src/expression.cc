// fsspeckit: pyarrow compute expressions across the seam.
#include "expression.h"

#include <string>

#include <arrow/buffer.h>

#include "errors.h"

namespace nb = nanobind;

namespace fsspeckit::python {

std::optional<arrow::compute::Expression> DeserializeExpression(nb::handle serialized) {
  if (serialized.is_none()) return std::nullopt;
  nb::bytes bytes = nb::cast<nb::bytes>(serialized);
  std::shared_ptr<arrow::Buffer> buffer =
      arrow::Buffer::FromString(std::string(bytes.c_str(), bytes.size()));
  return ValueOrThrow(arrow::compute::Deserialize(std::move(buffer)));
}

}  // namespace fsspeckit::python
