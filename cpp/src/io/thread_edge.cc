// fsspeckit: what crosses a thread's edge (or a Parquet call that throws) is a Status.
#include "io/thread_edge_internal.h"

#include <new>
#include <string>

#include <parquet/exception.h>

#include "fsspeckit/memory/capped_pool.h"

namespace fsspeckit::io {

arrow::Status StatusFromException(std::exception_ptr error, std::string_view context) {
  const std::string prefix = context.empty() ? "" : std::string(context) + ": ";
  try {
    std::rethrow_exception(error);
  } catch (const parquet::ParquetStatusException& e) {  // e.g. out of memory: keep its kind
    return e.status().WithMessage(prefix, e.status().message());
  } catch (const std::bad_alloc& e) {
    return arrow::Status::OutOfMemory(prefix, e.what());
  } catch (const std::exception& e) {
    // Some Parquet paths rethrow a refused allocation as a plain message.
    return arrow::Status(memory::IsCappedPoolRefusal(e.what()) ? arrow::StatusCode::OutOfMemory
                                                               : arrow::StatusCode::UnknownError,
                         prefix + e.what());
  } catch (...) {
    return arrow::Status::UnknownError(prefix, "an unknown exception");
  }
}

}  // namespace fsspeckit::io
