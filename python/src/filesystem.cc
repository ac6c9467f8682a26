// fsspeckit: the C++ filesystem (or dataset) inside a capsule from fsspeckit._fs_bridge.
#include "filesystem.h"

namespace nb = nanobind;

namespace fsspeckit::python {

std::shared_ptr<arrow::fs::FileSystem> FileSystemFromCapsule(nb::handle capsule) {
  if (capsule.is_none()) return nullptr;
  auto* held = static_cast<std::shared_ptr<arrow::fs::FileSystem>*>(
      PyCapsule_GetPointer(capsule.ptr(), "fsspeckit.arrow_filesystem"));
  if (!held) throw nb::python_error();
  return *held;
}

std::shared_ptr<arrow::dataset::Dataset> DatasetFromCapsule(nb::handle capsule) {
  auto* held = static_cast<std::shared_ptr<arrow::dataset::Dataset>*>(
      PyCapsule_GetPointer(capsule.ptr(), "fsspeckit.arrow_dataset"));
  if (!held) throw nb::python_error();
  return *held;
}

}  // namespace fsspeckit::python
