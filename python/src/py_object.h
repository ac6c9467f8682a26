// fsspeckit: Python objects held by C++ code that may run or let go on any thread.
#pragma once

#include <memory>

#include <nanobind/nanobind.h>

namespace fsspeckit::python {

/// Shares `object` with C++ callbacks: the last owner may be a thread without the GIL
/// (a log message in flight, a scan being torn down), so the reference is dropped
/// under the GIL, and never once the interpreter is finalising.
inline std::shared_ptr<nanobind::object> ShareWithThreads(nanobind::object object) {
  return std::shared_ptr<nanobind::object>(
      new nanobind::object(std::move(object)), [](nanobind::object* held) {
        if (Py_IsInitialized()) {
          nanobind::gil_scoped_acquire gil;
          delete held;
        } else {
          held->release();  // Python is gone: leak the reference rather than crash
          delete held;
        }
      });
}

}  // namespace fsspeckit::python
