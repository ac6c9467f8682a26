// fsspeckit: the C++ filesystem inside a capsule from fsspeckit._fs_bridge.
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

}  // namespace fsspeckit::python
