// fsspeckit: Python objects held by C++ code that may run or let go on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <arrow/status.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "errors.h"

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

/// progress(done, total) as a C++ callback that takes the GIL; empty for None.
inline std::function<void(int64_t, int64_t)> ProgressCallback(nanobind::object progress) {
  if (progress.is_none()) return {};
  auto callback = ShareWithThreads(std::move(progress));
  return [callback](int64_t done, int64_t total) {
    nanobind::gil_scoped_acquire gil;
    (*callback)(done, total);
  };
}

/// The same for callers on worker threads, where an exception must not escape: what
/// the callback raises becomes an error Status naming it (and aborts the operation);
/// the bindings raise the callback's own exception again (PythonErrorDetail).
inline std::function<arrow::Status(int64_t, int64_t)> ProgressStatusCallback(
    nanobind::object progress, const char* name) {
  if (progress.is_none()) return {};
  auto callback = ShareWithThreads(std::move(progress));
  return [callback, name](int64_t done, int64_t total) -> arrow::Status {
    nanobind::gil_scoped_acquire gil;
    try {
      (*callback)(done, total);
      return arrow::Status::OK();
    } catch (nanobind::python_error& e) {
      return StatusFromPythonError(std::move(e), name);  // raised again as it was
    }
  };
}

/// A no-argument hook (gc.collect) as a C++ callback that takes the GIL; empty for None.
/// It may run on any thread, so what it raises is reported as unraisable, not thrown.
inline std::function<void()> CollectHook(nanobind::object collect) {
  if (collect.is_none()) return {};
  auto hook = ShareWithThreads(std::move(collect));
  return [hook] {
    nanobind::gil_scoped_acquire gil;
    try {
      (*hook)();
    } catch (nanobind::python_error& e) {
      e.discard_as_unraisable("fsspeckit collector hook");
    }
  };
}

}  // namespace fsspeckit::python
