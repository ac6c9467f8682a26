// fsspeckit: one loop over indices on a few threads, the caller's among them.
#pragma once

#include <cstddef>
#include <functional>

namespace fsspeckit::merge {

/// Calls `body(i)` once for each i in [first, last), taking indices in increasing order
/// on up to `workers` threads (the caller's thread is one of them). Once a call returns
/// false (a failure), no further index starts. `body` must not throw (io::CatchAtEdge).
void ParallelFor(size_t first, size_t last, int workers, const std::function<bool(size_t)>& body);

}  // namespace fsspeckit::merge
