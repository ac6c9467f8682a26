// fsspeckit: one loop over indices on a few threads, the caller's among them.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/status.h>

#include "io/thread_edge_internal.h"

namespace fsspeckit::io {

/// Calls `body(i)` once for each i in [first, last), taking indices in increasing order
/// on up to `workers` threads (the caller's thread is one of them). Once a call returns
/// false (a failure), no further index starts. `body` must not throw (io::CatchAtEdge).
void ParallelFor(size_t first, size_t last, int workers, const std::function<bool(size_t)>& body);

/// Runs `step(i)` (returning arrow::Status; a throw becomes one) for each i in [0, count)
/// on up to `workers` threads; none starts after one failed. The first failure by index,
/// else OK: which one is reported does not depend on the scheduling.
template <typename Step>
arrow::Status ParallelForEach(size_t count, int workers, Step&& step) {
  std::vector<arrow::Status> status(count);
  ParallelFor(0, count, workers, [&](size_t i) {
    status[i] = CatchAtEdge("", [&] { return step(i); });
    return status[i].ok();
  });
  for (const arrow::Status& s : status) ARROW_RETURN_NOT_OK(s);
  return arrow::Status::OK();
}

/// Calls in flight at once on an object store by default: each mostly waits a round trip
/// (20 ms is a usual first byte on S3), so many overlap (the S3 SDK's pool holds 25
/// connections).
inline constexpr int kObjectStoreCallsInFlight = 16;

/// Calls in flight at once on an object store: FSSPECKIT_REQUESTS_IN_FLIGHT (1 to 256),
/// read once per process, else kObjectStoreCallsInFlight.
int ObjectStoreCallsInFlight();

/// Workers for a loop whose calls each wait on `fs`: `local_workers` on a local disk (where
/// the work is the CPU's), ObjectStoreCallsInFlight() elsewhere.
int WorkersFor(const arrow::fs::FileSystem& fs, int local_workers);

}  // namespace fsspeckit::io
