// fsspeckit: what crosses a thread's edge (or a Parquet call that throws) is a Status.
#pragma once

#include <exception>
#include <string_view>

#include <arrow/status.h>

namespace fsspeckit::io {

/// The exception `error` as a Status whose message starts with `context`: a
/// parquet::ParquetStatusException keeps its status's code; std::bad_alloc, and an
/// allocation the capped pool refused that Parquet rethrew as a plain message, are
/// OutOfMemory (the budget's); anything else is UnknownError.
arrow::Status StatusFromException(std::exception_ptr error, std::string_view context);

/// Runs `body`, turning anything it throws into StatusFromException(..., context).
template <typename Body>
arrow::Status CatchAtEdge(std::string_view context, Body&& body) {
  try {
    return body();
  } catch (...) {
    return StatusFromException(std::current_exception(), context);
  }
}

}  // namespace fsspeckit::io
