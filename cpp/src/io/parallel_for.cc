// fsspeckit: one loop over indices on a few threads, the caller's among them.
#include "io/parallel_for_internal.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "fsspeckit/io/location.h"

namespace fsspeckit::io {

void ParallelFor(size_t first, size_t last, int workers, const std::function<bool(size_t)>& body) {
  std::atomic<size_t> next{first};
  std::atomic<bool> stopped{false};
  auto work = [&] {
    for (size_t i = next++; i < last && !stopped; i = next++) {
      if (!body(i)) stopped = true;
    }
  };
  std::vector<std::jthread> threads;  // joined on the way out
  for (int w = 1; w < workers && static_cast<size_t>(w) < last - first; ++w) threads.emplace_back(work);
  work();
}

int ObjectStoreCallsInFlight() {
  static const int calls = [] {
    const char* value = std::getenv("FSSPECKIT_REQUESTS_IN_FLIGHT");
    const int asked = value && *value ? std::atoi(value) : kObjectStoreCallsInFlight;
    return std::clamp(asked, 1, 256);
  }();
  return calls;
}

int WorkersFor(const arrow::fs::FileSystem& fs, int local_workers) {
  return IsLocalDisk(fs) ? local_workers : ObjectStoreCallsInFlight();
}

}  // namespace fsspeckit::io
