// fsspeckit: arrow::Status -> Python exceptions, in one place.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <arrow/result.h>
#include <arrow/status.h>
#include <nanobind/nanobind.h>

#include "fsspeckit/memory/budget_error.h"

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

/// The Python names of the memory limits: MemoryMonitor's (and process_in_chunks',
/// PerformanceMonitor's), and merge's. A budget error (memory::BudgetError) is spelled
/// with the names of the function the caller called; the monitor's when none is given.
inline const memory::LimitSpelling kMonitorLimits{"max_pyarrow_mb", "max_process_memory_mb",
                                                  "min_system_available_mb"};
inline const memory::LimitSpelling kMergeLimits{"merge_max_memory_mb", "merge_max_process_memory_mb",
                                                "merge_min_system_available_mb"};
/// Maintenance (compact_parquet_dataset, ...): the original names its budget memory_budget_mb.
inline const memory::LimitSpelling kMaintenanceLimits{"memory_budget_mb", "max_process_memory_mb",
                                                      "min_system_available_mb"};

inline void ThrowIfError(const arrow::Status& status,
                         const memory::LimitSpelling& names = kMonitorLimits) {
  if (!status.ok()) throw StatusError(memory::SpellBudgetError(status, names));
}

template <typename T>
T ValueOrThrow(arrow::Result<T> result, const memory::LimitSpelling& names = kMonitorLimits) {
  ThrowIfError(result.status(), names);
  return std::move(result).ValueUnsafe();
}

/// A Python exception carried through C++ as a Status (raised by a callback the core
/// called on one of its threads): the translator raises it again, type and all, so a
/// callback's KeyboardInterrupt or SystemExit stays one.
class PythonErrorDetail : public arrow::StatusDetail {
 public:
  /// Under the GIL.
  explicit PythonErrorDetail(nanobind::python_error error);
  const char* type_id() const override;
  std::string ToString() const override;
  /// Under the GIL: makes the exception Python's current error again.
  void Restore() const;

 private:
  std::shared_ptr<nanobind::python_error> error_;  // released under the GIL
  std::string description_;
};

/// `error` (under the GIL) as an UnknownError "<context> raised <Type>: <message>"
/// carrying it (PythonErrorDetail).
arrow::Status StatusFromPythonError(nanobind::python_error error, const std::string& context);

/// Maps StatusCode to Python (a PythonErrorDetail first: its own exception; then path errors from io::PathError first, to DatasetPathError,
/// which is both a DatasetError and an OSError): Invalid->ValueError, KeyError->KeyError, IOError->OSError,
/// OutOfMemory->MemoryError, TypeError->TypeError, IndexError->IndexError,
/// NotImplemented->NotImplementedError, Cancelled->KeyboardInterrupt, else RuntimeError.
void InitErrors(nanobind::module_& m);

}  // namespace fsspeckit::python
