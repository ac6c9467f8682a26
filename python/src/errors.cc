// fsspeckit: arrow::Status -> Python exceptions, in one place.
#include "errors.h"

#include "fsspeckit/io/location.h"

#include <nanobind/stl/string.h>

namespace nb = nanobind;

namespace fsspeckit::python {

PythonErrorDetail::PythonErrorDetail(nb::python_error error)
    : error_(new nb::python_error(std::move(error)),
             [](nb::python_error* held) {
               if (!Py_IsInitialized()) return;  // Python is gone: leak it rather than crash
               nb::gil_scoped_acquire gil;
               delete held;
             }),
      description_(nb::cast<std::string>(error_->type().attr("__name__")) + ": " +
                   nb::cast<std::string>(nb::str(error_->value()))) {}

const char* PythonErrorDetail::type_id() const { return "fsspeckit::python::PythonErrorDetail"; }

std::string PythonErrorDetail::ToString() const { return description_; }

void PythonErrorDetail::Restore() const { nb::python_error(*error_).restore(); }

arrow::Status StatusFromPythonError(nb::python_error error, const std::string& context) {
  auto detail = std::make_shared<PythonErrorDetail>(std::move(error));
  return arrow::Status(arrow::StatusCode::UnknownError,
                       context + " raised " + detail->ToString(), detail);
}

namespace {

PyObject* dataset_path_error = nullptr;

PyObject* ExceptionFor(const arrow::Status& status) {
  if (io::IsPathError(status)) return dataset_path_error;
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
  // The original's DatasetError family; a path error is an OSError too, so callers that
  // catch OSError (or FileNotFoundError-style handling of I/O) keep working.
  PyObject* dataset_error =
      PyErr_NewExceptionWithDoc("fsspeckit._core.DatasetError",
                                "A dataset operation failed.", PyExc_Exception, nullptr);
  nb::object bases = nb::make_tuple(nb::handle(dataset_error), nb::handle(PyExc_OSError));
  dataset_path_error = PyErr_NewExceptionWithDoc(
      "fsspeckit._core.DatasetPathError",
      "The dataset path is missing, malformed or uses an unsupported protocol.",
      bases.ptr(), nullptr);
  m.attr("DatasetError") = nb::steal(dataset_error);
  m.attr("DatasetPathError") = nb::borrow(dataset_path_error);
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const StatusError& e) {
      if (auto* python = dynamic_cast<const PythonErrorDetail*>(e.status().detail().get())) {
        python->Restore();
        return;
      }
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
    else if (code == "PathError") status = io::PathError(arrow::StatusCode::IOError, message);
    else status = arrow::Status::UnknownError(message);
    ThrowIfError(status);
  });
}

}  // namespace fsspeckit::python
