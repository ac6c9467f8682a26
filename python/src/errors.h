// fsspeckit: arrow::Status -> Python exceptions, in one place.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include <arrow/result.h>
#include <arrow/status.h>
#include <nanobind/nanobind.h>

namespace fsspeckit::python {

/// Carries a failed Status to the translator registered by InitErrors().
class StatusError : public std::exception {
 public:
  explicit StatusError(arrow::Status status) : status_(std::move(status)) {}
  const arrow::Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  arrow::Status status_;
};

inline void ThrowIfError(const arrow::Status& status) {
  if (!status.ok()) throw StatusError(status);
}

template <typename T>
T ValueOrThrow(arrow::Result<T> result) {
  ThrowIfError(result.status());
  return std::move(result).ValueUnsafe();
}

/// Maps StatusCode to Python (path errors from io::PathError first, to DatasetPathError,
/// which is both a DatasetError and an OSError): Invalid->ValueError, KeyError->KeyError, IOError->OSError,
/// OutOfMemory->MemoryError, TypeError->TypeError, IndexError->IndexError,
/// NotImplemented->NotImplementedError, Cancelled->KeyboardInterrupt, else RuntimeError.
void InitErrors(nanobind::module_& m);

}  // namespace fsspeckit::python
