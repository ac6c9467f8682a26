// fsspeckit: arrow::Status -> Python exceptions, in one place.
#include "errors.h"

#include <nanobind/stl/string.h>

namespace nb = nanobind;

namespace fsspeckit::python {
namespace {

PyObject* ExceptionFor(const arrow::Status& status) {
  if (status.IsInvalid()) return PyExc_ValueError;
  if (status.IsKeyError()) return PyExc_KeyError;
  if (status.IsIOError()) return PyExc_OSError;
  if (status.IsOutOfMemory()) return PyExc_MemoryError;
  if (status.IsTypeError()) return PyExc_TypeError;
  if (status.IsIndexError()) return PyExc_IndexError;
  if (status.IsNotImplemented()) return PyExc_NotImplementedError;
  if (status.IsCancelled()) return PyExc_KeyboardInterrupt;
  return PyExc_RuntimeError;
}

}  // namespace

void InitErrors(nb::module_& m) {
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const StatusError& e) {
      PyErr_SetString(ExceptionFor(e.status()), e.status().message().c_str());
    }
  });
  // For the seam tests: raise the exception a StatusCode maps to.
  m.def("_raise_status", [](const std::string& code, const std::string& message) {
    arrow::Status status;
    if (code == "Invalid") status = arrow::Status::Invalid(message);
    else if (code == "KeyError") status = arrow::Status::KeyError(message);
    else if (code == "IOError") status = arrow::Status::IOError(message);
    else if (code == "OutOfMemory") status = arrow::Status::OutOfMemory(message);
    else if (code == "TypeError") status = arrow::Status::TypeError(message);
    else if (code == "IndexError") status = arrow::Status::IndexError(message);
    else if (code == "NotImplemented") status = arrow::Status::NotImplemented(message);
    else status = arrow::Status::UnknownError(message);
    ThrowIfError(status);
  });
}

}  // namespace fsspeckit::python
